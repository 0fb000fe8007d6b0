"""An application served by waitress, as `loa serve` serves it, on a loopback port the system
gives, for tests that need a real socket (a browser, a proxy in front, a phone's upload)."""
from __future__ import annotations

import threading
from contextlib import contextmanager


@contextmanager
def served(app, *, threads: int = 4, **options):
    """``(server, base)``: ``app`` served on 127.0.0.1 until the block ends. ``app`` may be None and
    given later as ``server.application`` (a workspace has to know its own address first).

    Stopped inside its own loop: waitress has no stop call of its own, and closing its sockets from
    another thread pulls them from under a select() in progress (EBADF in the server's thread)."""
    from waitress import wasyncore
    from waitress.server import create_server

    server = create_server(app or (lambda environ, start_response: []), host="127.0.0.1", port=0,
                           threads=threads, **options)
    thread = threading.Thread(target=server.run, daemon=True, name="waitress")
    thread.start()
    try:
        yield server, f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))  # the loop ends with its map empty
        thread.join(timeout=10)
        server.task_dispatcher.shutdown()
