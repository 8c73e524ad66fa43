"""The HTTP server under devkit's loopback services (the demo source, the OpenRegister server).

A threading server that remembers its open connections, so stopping it also ends keep-alive
connections a client still holds (otherwise a stopped server keeps answering them), and that logs a
client hanging up mid-response quietly: in tests and benchmarks that is normal.
"""

from __future__ import annotations

import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

log = logging.getLogger(__name__)


class LoopbackServer(ThreadingHTTPServer):
    """Serve ``handler`` for ``owner`` (the handler reaches it as ``self.server.owner``)."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], owner: Any) -> None:
        super().__init__(address, handler)
        self.owner = owner
        self.connections: set[socket.socket] = set()
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """Return the bound port (useful when asked for port 0)."""
        return int(self.server_address[1])

    def start(self, name: str) -> LoopbackServer:
        """Serve in a daemon thread called ``name``."""
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, end every open connection, release the port."""
        self.shutdown()
        for connection in list(self.connections):
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by the client
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("%s: connection from %s ended abruptly", type(self.owner).__name__, client_address)
