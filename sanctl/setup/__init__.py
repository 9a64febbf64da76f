"""The guided first-time setup: from a bare disk to a logged-in client.

The wizard's domain, importable without Textual (the screen is
:mod:`sanctl.ui.screens.setup`):

- :mod:`~sanctl.setup.answers` — what the operator answered, step by step
  (:class:`~sanctl.setup.answers.Answers`), and the order of the steps.
- :mod:`~sanctl.setup.state` — the answers and the current step kept in a
  0600 file so that leaving half way and coming back resumes there.
- :mod:`~sanctl.setup.context` — what the steps know about the host (the
  configuration, block devices, addresses, RDMA, this host's initiator name),
  asked of the :class:`~sanctl.host.protocol.Host`.
- :mod:`~sanctl.setup.checks` — root, configfs and the target modules,
  rtslib-fb, the boot-time restore service under this distribution's name,
  open-iscsi: each with how to fix it, from what a probe answers.
- :mod:`~sanctl.setup.probe` — the probes the host hands in: what the checks
  read and the fixes do on this host, or on the demo SAN's tree.
- :mod:`~sanctl.setup.presets` — Linux, VMware ESXi, Windows, Proxmox VE.
- :mod:`~sanctl.setup.fields` — each step's inputs as a FormSpec of fields
  (label, help, kind, choices, check), as the screen draws them.
- :mod:`~sanctl.setup.validate` — each step's refusals and warnings.
- :mod:`~sanctl.setup.plan` — the answers as writer changes, with the
  equivalent targetcli commands.
- :mod:`~sanctl.setup.apply` — the one transaction (progress per step,
  rollback on failure), the save with a backup, the boot service.
- :mod:`~sanctl.setup.firewall` — is the port open (firewalld, nftables, ufw),
  and the command that opens it (run only when the operator asks).
- :mod:`~sanctl.setup.client` — the commands each client runs.
"""
