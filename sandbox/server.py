"""Serve a :class:`Sandbox` on loopback, in a thread (tests) or in the foreground (the CLI)."""
from __future__ import annotations

import logging
import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from .app import Sandbox


class _Handler(WSGIRequestHandler):
    """Keeps headers with underscores: Zalo's own API uses ``access_token``, ``secret_key``
    and ``token`` headers, which werkzeug's development server drops by default."""

    def make_environ(self):
        environ = super().make_environ()
        for key, value in self.headers.items():
            if "_" in key:
                environ["HTTP_" + key.upper().replace("-", "_")] = value.replace("\r\n", "")
        return environ

    def log_request(self, *args, **kwargs) -> None:  # quiet: the sandbox keeps its own call log
        pass


class SandboxServer:
    """``with SandboxServer() as s: s.base`` is the LOA_API_BASE to use."""

    def __init__(self, sandbox: Sandbox | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the sandbox serves loopback only")
        self.sandbox = sandbox or Sandbox()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.server = make_server(host, port, self.sandbox, threaded=True, request_handler=_Handler)
        self.server.daemon_threads = True
        self.host, self.port = host, self.server.server_port
        self.sandbox.public_base = self.base
        self._thread: threading.Thread | None = None

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "SandboxServer":
        self._thread = threading.Thread(target=self.server.serve_forever, name="loa-sandbox", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.server.serve_forever()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> "SandboxServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
