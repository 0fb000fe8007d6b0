"""loa: the interfaces people touch (CLI, upload portal, report, demo). No business rule lives here."""

__version__ = "0.1.0"
