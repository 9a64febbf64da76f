"""The one way into a storage host: its facts, its commands and (to come) the Host seam."""
