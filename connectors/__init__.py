"""Platform connectors: Facebook Pages, Zalo Official Accounts and TikTok.

This package imports nothing else of loa's: connectors take plain values (what to publish,
the channel's credentials) and return what happened.
"""
