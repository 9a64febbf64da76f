"""Forms as data: what the configuration's ``a``/``e``/``d`` keys show and build, free of Textual.

:mod:`~sanctl.forms.spec` says what a form is (fields, checks, a pure
:func:`~sanctl.forms.spec.evaluate`); :mod:`~sanctl.forms.actions` says which
form each node kind opens; the forms themselves are in :mod:`~sanctl.forms.add`,
:mod:`~sanctl.forms.edit` and :mod:`~sanctl.forms.alua`; the initiator tab's dialogs (CHAP,
discovery, a record's settings, a new record) in :mod:`~sanctl.forms.initiator`. What a form needs
from the system (devices, addresses, an object's details) is read before, by
:mod:`sanctl.ui.forms.gather`, into a :class:`~sanctl.forms.context.Context`.
"""
