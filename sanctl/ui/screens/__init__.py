"""Screens of the TUI, one module each; imported when first shown."""
