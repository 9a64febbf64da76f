"""The Textual UI of sanctl. ``from sanctl.ui.app import SanctlApp``."""
