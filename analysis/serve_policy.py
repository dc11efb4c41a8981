"""What the dashboard's front enforces besides proxying: security headers, password sessions, the login page."""
from __future__ import annotations

import base64
import hashlib
import hmac
import html
import re
import secrets
import time
from importlib import resources

COOKIE = "capi_audit_session"
LOGIN, LOGOUT = "/_capi/login", "/_capi/logout"
SESSION_S = 12 * 3600


def _inline_script_hashes() -> list[str]:
    """CSP hashes of the inline scripts in Streamlit's index.html, read from the installed package, so that
    'unsafe-inline' is never needed and a Streamlit upgrade keeps working."""
    try:
        page = resources.files("streamlit").joinpath("static/index.html").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return []
    bodies = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", page, flags=re.S)
    return [f"'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'" for b in bodies]


def content_security_policy() -> str:
    # Styles: Streamlit's components inject <style> elements at run time (emotion), hence 'unsafe-inline'
    # for styles only. Scripts: the bundle plus the hashed inline bootstrap, never eval; 'wasm-unsafe-eval'
    # lets only WebAssembly compile (the protobuf decoder's 64-bit arithmetic tries it on every page).
    return "; ".join([
        "default-src 'self'", "script-src 'self' 'wasm-unsafe-eval' " + " ".join(_inline_script_hashes()),
        "style-src 'self' 'unsafe-inline'", "img-src 'self' data: blob:", "font-src 'self' data:",
        "connect-src 'self'", "worker-src 'self' blob:", "frame-src 'self'", "object-src 'none'",
        "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'"])


def security_headers() -> list[tuple[bytes, bytes]]:
    """Added to every answer, replacing any the dashboard sets itself."""
    return [(b"x-frame-options", b"DENY"), (b"x-content-type-options", b"nosniff"),
            (b"content-security-policy", content_security_policy().encode()), (b"referrer-policy", b"no-referrer")]


class Sessions:
    """The password check and signed session cookies (no server-side state)."""

    def __init__(self, password: str | None) -> None:
        self.password = password
        # Signed with a key that lives only in this process: a restart logs everyone out.
        self.key = secrets.token_bytes(32)

    def _sign(self, expires: int) -> str:
        return hmac.new(self.key, str(expires).encode(), hashlib.sha256).hexdigest()

    def new(self, now: float | None = None) -> str:
        expires = int((now or time.time()) + SESSION_S)
        return f"{expires}.{self._sign(expires)}"

    def valid(self, value: str, now: float | None = None) -> bool:
        expires, _, sig = value.partition(".")
        if not expires.isdigit():
            return False
        return hmac.compare_digest(sig, self._sign(int(expires))) and int(expires) > (now or time.time())

    def password_ok(self, given: str) -> bool:
        # compare_digest: the time taken does not tell an attacker how much of a guess was right.
        return self.password is not None and hmac.compare_digest(given.encode(), self.password.encode())

    def cookie(self, scheme: str | None, value: str, max_age: int | None = None) -> bytes:
        """The Set-Cookie value; Secure when the browser came over https (uvicorn trusts X-Forwarded-Proto
        from a proxy on this machine only)."""
        secure = "; Secure" if scheme in ("https", "wss") else ""
        age = f"; Max-Age={max_age}" if max_age is not None else ""
        return f"{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict{secure}{age}".encode()


def local_target(target: str) -> str:
    """Where to go after logging in: a path on this site only (never //evil.example or https://…)."""
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else "/"


def login_page(target: str, failed: bool) -> bytes:
    note = '<p class="bad">Wrong password.</p>' if failed else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>capi-audit · log in</title>
<style>body{{font-family:sans-serif;max-width:22rem;margin:6rem auto;padding:0 1rem}}
input{{font-size:1rem;padding:.4rem;width:100%;box-sizing:border-box;margin:.3rem 0 .8rem}}
button{{font-size:1rem;padding:.4rem 1.2rem}}.bad{{color:#b00020}}</style></head>
<body><h1>capi-audit</h1>{note}
<form method="post" action="{LOGIN}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" autofocus required>
<input type="hidden" name="next" value="{html.escape(target, quote=True)}">
<button type="submit">Log in</button></form></body></html>
""".encode()
