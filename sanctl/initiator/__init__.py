"""The open-iscsi side: iscsiadm, the initiator name, services, multipath. No Textual here."""
