"""loa: the interfaces people touch: the command line (cli/), the officer's workspace (workspace/),
the public pages (portal/), the report, printed materials and the avatar frame, the demo, and
settings.py (the one place that reads LOA_* variables). No business rule lives here."""

__version__ = "0.1.0"
