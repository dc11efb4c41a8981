"""Running the capture app: uvicorn on a socket we bind ourselves (so port 0 works and is announced)."""
from __future__ import annotations

import socket
import threading
from typing import Callable

import uvicorn

from analysis.capture.proxy import CaptureApp, Settings


class ListenError(ValueError):
    """A --listen value that is not HOST:PORT."""


def parse_listen(text: str) -> tuple[str, int]:
    """'127.0.0.1:8787', '[::1]:8787' or ':8787' (all interfaces) to (host, port)."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise ListenError(f"--listen {text!r} must look like 127.0.0.1:8787 (HOST:PORT; port 0 picks a free one).")
    host = host.strip("[]") or "0.0.0.0"
    return host, int(port)


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this. Without it, uvicorn's separate writes of a response's head
    # and body meet the client's delayed ACK: 40 ms per request on Linux (measured by the benchmark).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def server(app: CaptureApp, settings: Settings) -> uvicorn.Server:
    config = uvicorn.Config(
        app, lifespan="on", log_level="warning", access_log=False, proxy_headers=False,
        # The upstream's own Date/Server headers pass through; uvicorn must not add a second pair.
        server_header=False, date_header=False,
        # Longer than the usual client pool's idle time, so senders reuse their connection.
        timeout_keep_alive=65,
        # In-flight calls finish (and are logged) on Ctrl+C / SIGTERM, up to one upstream timeout.
        timeout_graceful_shutdown=int(settings.upstream_timeout) + 5)
    return uvicorn.Server(config)


def serve(settings: Settings, host: str, port: int, ready: Callable[[int], None] | None = None) -> None:
    """Run until SIGINT/SIGTERM; `ready(port)` is called with the bound port before serving."""
    sock = bind(host, port)
    if ready:
        ready(sock.getsockname()[1])
    server(CaptureApp(settings), settings).run(sockets=[sock])


class Background:
    """The capture app on a thread of this process (tests, the benchmark): start(), .port, stop()."""

    def __init__(self, settings: Settings, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = CaptureApp(settings)
        self.sock = bind(host, port)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        self.server = server(self.app, settings)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def start(self, timeout: float = 10.0) -> "Background":
        self.thread.start()
        for _ in range(int(timeout * 100)):
            if self.server.started:
                return self
            threading.Event().wait(0.01)
        raise RuntimeError("the capture server did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        self.sock.close()
