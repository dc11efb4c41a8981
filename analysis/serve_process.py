"""`capi-audit serve`: Streamlit on a private loopback port, behind the front on the address asked for."""
from __future__ import annotations

import ipaddress
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Callable

import uvicorn

from analysis.capture.server import bind
from analysis.serve_front import Front

PASSWORD_ENV = "CAPI_AUDIT_PASSWORD"


class ServeError(Exception):
    """Why the dashboard cannot start, as a sentence with the fix."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def refusal(host: str, password: str | None, no_auth: bool) -> str | None:
    """The sentence `serve` exits with when HOST would expose the dashboard without a password, else None."""
    if is_loopback(host) or password or no_auth:
        return None
    return (f"Refusing to serve the dashboard on {host} without a password: anyone who reaches it could read the "
            f"audit and run ingests and syncs. Set {PASSWORD_ENV} in the environment (and put a TLS proxy in front, "
            "see SECURITY.md), keep the default --host 127.0.0.1, or pass --no-auth if a proxy in front already "
            "authenticates.")


def no_auth_warning(host: str, port: int) -> str:
    return (f"warning: --no-auth: the dashboard on {host}:{port} asks for no password; anyone who can reach it can "
            "read the audit, upload files and run a sync. Use it only behind a proxy that authenticates.")


def free_loopback_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def streamlit_command(app: Path, port: int, max_upload_mb: int) -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true",
            "--server.address", "127.0.0.1", "--server.port", str(port),
            "--server.maxUploadSize", str(max_upload_mb), "--server.enableXsrfProtection", "true",
            "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
            # Its "started on 127.0.0.1:PORT" lines name the private port, which is not the address to open.
            "--logger.level", "warning"]


def _die_with_parent() -> None:
    # Linux: Streamlit gets SIGTERM if this process dies, even by SIGKILL, so no orphan keeps the port.
    import ctypes

    ctypes.CDLL(None).prctl(1, signal.SIGTERM)     # PR_SET_PDEATHSIG


def run(app: Path, env: dict[str, str], host: str, port: int, password: str | None, max_upload_mb: int,
        announce: Callable[[int], None]) -> int:
    """Serve until Ctrl+C/SIGTERM or until Streamlit stops; `announce(port)` once the address is bound."""
    try:
        sock = bind(host.strip("[]"), port)         # "[::]" as in a URL
    except OSError as exc:
        raise ServeError(f"Cannot listen on {host}:{port} ({exc.strerror or exc}); pick a free port with --port "
                         "or stop what uses it.") from None
    private = free_loopback_port()
    proc = subprocess.Popen(streamlit_command(app, private, max_upload_mb), env=env, stdout=subprocess.DEVNULL,
                            preexec_fn=_die_with_parent if sys.platform == "linux" else None)
    front = Front(private, password, max_upload_mb * 2**20)
    server = uvicorn.Server(uvicorn.Config(
        front, lifespan="on", log_level="warning", access_log=False, server_header=False,
        # X-Forwarded-Proto/For are trusted from a TLS proxy on this machine only (uvicorn's default list).
        proxy_headers=True, forwarded_allow_ips="127.0.0.1,::1", timeout_graceful_shutdown=5))
    stopping, stopped_by_itself = threading.Event(), threading.Event()

    def watch() -> None:
        proc.wait()
        if not stopping.is_set():
            stopped_by_itself.set()
            server.should_exit = True

    threading.Thread(target=watch, daemon=True).start()
    announce(sock.getsockname()[1])
    try:
        server.run(sockets=[sock])
    finally:
        stopping.set()
        sock.close()
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    if stopped_by_itself.is_set() and proc.returncode not in (0, -signal.SIGTERM, -signal.SIGINT):
        raise ServeError(f"The dashboard process stopped (exit {proc.returncode}); its error is above.")
    return 0
