"""The publishing engine and its APScheduler wiring: claim due deliveries, publish each once,
follow processing items, reconcile unknown outcomes, refresh tokens, preflight what is coming."""
