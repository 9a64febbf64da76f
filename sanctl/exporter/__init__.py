"""``sanctl exporter``: Prometheus metrics and alerts for the LIO target and the open-iscsi initiator.

- what it reads comes from the host (``host.exporter_reads()``,
  :mod:`sanctl.host.exporter_reads`: one method per reader);
- :mod:`sanctl.exporter.structure` — the configuration, cached and read again
  only when configfs's layout or the saved file changes, or every few minutes;
- :mod:`sanctl.exporter.collector` — the prometheus-client collector: one
  scrape, from fresh cheap reads and the cached structure;
- :mod:`sanctl.exporter.textfile` — node_exporter's textfile collector, written atomically;
- :mod:`sanctl.exporter.command` — the command line: ``--listen``, ``--textfile``, ``--once``.

No Textual here.
"""
