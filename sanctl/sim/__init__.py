"""The demo SAN: a simulated kernel writing LIO's configfs under a temporary root.

- :mod:`sanctl.sim.layout` — :class:`~sanctl.sim.layout.SimKernel` and one
  function per kernel object (``create_storage_object``, ``create_target``,
  ``create_tpg``, ``create_lun``, ``create_acl``, ``create_mapped_lun``,
  ``create_portal``, ``set_*``, ``delete_*``), each writing the files the
  kernel would, with its content and modes.
- :mod:`sanctl.sim.blockdev` — the sysfs block devices iblock backstores sit on.
- :mod:`sanctl.sim.demo` — :func:`~sanctl.sim.demo.build_demo`, the demo SAN.
- :mod:`sanctl.sim.scale` — :func:`~sanctl.sim.scale.build_scale`, a large tree
  for benchmarks.

Nothing here imports Textual.
"""
