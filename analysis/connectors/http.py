"""The one HTTP client of every connector: timeouts, retries with backoff, waits a server asks for, no secret in any text."""
from __future__ import annotations

import email.utils
import ipaddress
import json
import logging
import random
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import quote, urlsplit

import httpx

USER_AGENT = "capi-audit/0.1 (+https://github.com/capi-audit; self-hosted audit)"
# What can succeed later (openai-python's list): timeouts, conflicts, throttling, server errors.
RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
# Query parameters that carry a credential. Graph's paging.next URLs embed access_token; WooCommerce's
# query-string auth carries consumer_key/consumer_secret.
SECRET_PARAMS = ("access_token", "appsecret_proof", "consumer_key", "consumer_secret", "client_secret",
                 "oauth_signature", "api_key", "password", "token")
# No word boundary before the name: inside an encoded URL it follows "%3F" or "%26" (over-redacting a
# *_token parameter is harmless).
_SECRET_PARAM = re.compile(r"(?i)(" + "|".join(SECRET_PARAMS) + r")(=|%3D)((?:(?!%26)[^&\s\"'<>#])*)")

log = logging.getLogger("analysis.connectors")


class ConnectorError(Exception):
    """A request that failed for good, as a sentence that says what to do (never a secret)."""


@dataclass(frozen=True)
class Retry:
    """An answer worth trying again: why, and how long the server asked us to wait (None: back off)."""

    reason: str
    wait: float | None = None


@dataclass(frozen=True)
class Answer:
    """A response the connector accepted, its body parsed once (data is None when it is not JSON)."""

    response: httpx.Response
    data: Any


# A connector's reading of a response and its parsed body: Retry, None (no objection), or it raises
# ConnectorError.
Inspector = Callable[[httpx.Response, Any], "Retry | None"]


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every credential query parameter and every known secret value replaced by ***."""
    text = _SECRET_PARAM.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
    for s in secrets:
        if s and len(s) >= 4:
            text = text.replace(s, "***").replace(quote(s, safe=""), "***")
    return text


class _RedactHttpxLog(logging.Filter):
    """httpx logs every request URL at INFO; a URL may carry appsecret_proof or a consumer secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(str(a)) if isinstance(a, httpx.URL) else a for a in record.args)
        return True


logging.getLogger("httpx").addFilter(_RedactHttpxLog())


def body_json(resp: httpx.Response) -> Any:
    """The response's JSON, or None when it is not JSON."""
    try:
        return json.loads(resp.content)
    except ValueError:
        return None


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds a server asked to wait: `retry-after-ms`, `Retry-After` seconds or an HTTP date."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(float(ms) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Client:
    """httpx with the house rules: bounded retries of what can succeed later, told waits honoured up to a cap."""

    def __init__(self, base_url: str, *, name: str, setting: str, headers: Mapping[str, str] | None = None,
                 params: Mapping[str, str] | None = None, auth: httpx.Auth | tuple[str, str] | None = None,
                 secrets: Iterable[str | None] = (), inspect: Inspector | None = None,
                 sleep: Callable[[float], None] = time.sleep, max_retries: int = 4, timeout: float = 30.0,
                 max_wait: float = 600.0, backoff: float = 0.5, max_backoff: float = 30.0,
                 jitter: Callable[[], float] = random.random) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConnectorError(f"{name}: {redact(base_url)!r} is not an http(s) address; fix {setting}.")
        # Credentials travel in headers or the query: never in clear text over a network.
        if parts.scheme == "http" and not _loopback(parts.hostname):
            raise ConnectorError(f"{name}: {redact(base_url)} is plain http, so the credentials would cross the "
                                 f"network unencrypted; set {setting} to its https:// address.")
        self.name, self.setting = name, setting
        self.sleep, self.inspect = sleep, inspect
        self.max_retries, self.timeout, self.max_wait = max_retries, timeout, max_wait
        self.backoff, self.max_backoff, self.jitter = backoff, max_backoff, jitter
        self._secrets = tuple(s for s in secrets if s)
        self._http = httpx.Client(base_url=base_url.rstrip("/"), headers={"User-Agent": USER_AGENT, **(headers or {})},
                                  params=dict(params or {}), auth=auth, timeout=timeout, follow_redirects=False)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def redact(self, text: str) -> str:
        return redact(text, self._secrets)

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Answer:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any) -> Answer:
        return self.request("POST", path, json_body=body)

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                json_body: Any = None) -> Answer:
        """One call, retried while the failure can pass; returns what the inspector accepted."""
        started = time.monotonic()
        for attempt in range(1, self.max_retries + 2):
            try:
                resp = self._http.request(method, path, params=params, json=json_body)
            except httpx.TimeoutException:
                retry = Retry(f"did not answer {path} within {self.timeout:g} s")
            except httpx.TransportError as exc:
                retry = Retry(f"could not be reached for {path} ({type(exc).__name__}: {self.redact(str(exc))})")
            else:
                data = body_json(resp)
                try:
                    retry = self._judge(resp, data)
                except ConnectorError as exc:
                    exc.args = (self.redact(str(exc)),)     # the subclass and its fields stay for the caller
                    raise
                if retry is None:
                    return Answer(resp, data)
            if attempt > self.max_retries:
                raise ConnectorError(self.redact(
                    f"{self.name} {retry.reason}, still after {attempt} tries over "
                    f"{time.monotonic() - started:.0f} s. It may be down or overloaded: run the sync again later."))
            delay = self._delay(attempt, retry)
            log.info("%s", self.redact(f"{self.name} {retry.reason}; try {attempt + 1} of {self.max_retries + 1} "
                                       f"in {delay:.1f} s"))
            self.sleep(delay)
        raise AssertionError("unreachable")

    def json(self, answer: Answer) -> Any:
        """The answer's JSON; anything else is an error that names what answered."""
        resp, data = answer.response, answer.data
        if data is None:
            kind = resp.headers.get("content-type", "no content type").split(";")[0]
            raise ConnectorError(
                f"{self.name} answered {resp.request.url.path} with something that is not JSON (HTTP "
                f"{resp.status_code}, {kind}, {len(resp.content)} bytes). Check {self.setting}: is a proxy or "
                "a login page in the way?")
        return data

    def _judge(self, resp: httpx.Response, data: Any) -> Retry | None:
        path = resp.request.url.path
        if resp.is_redirect:
            where = self.redact(resp.headers.get("location", "?"))
            raise ConnectorError(f"{self.name} redirects {path} to {where}; set {self.setting} to the final "
                                 "address (credentials are never sent on to a redirect).")
        if self.inspect is not None:
            verdict = self.inspect(resp, data)
            if verdict is not None:
                return verdict
        if resp.status_code in RETRY_STATUSES:
            return Retry(f"answered HTTP {resp.status_code} for {path}", retry_after(resp.headers))
        if resp.status_code >= 400:
            raise ConnectorError(f"{self.name} refused {path} (HTTP {resp.status_code}{said(data)}). "
                                 f"Check {self.setting} and the credentials.")
        return None

    def _delay(self, attempt: int, retry: Retry) -> float:
        if retry.wait is not None:
            if retry.wait > self.max_wait:
                until = datetime.now(timezone.utc).timestamp() + retry.wait
                at = datetime.fromtimestamp(until, timezone.utc).strftime("%H:%M UTC")
                raise ConnectorError(
                    f"{self.name} {retry.reason} and asks to wait {retry.wait / 60:.0f} min, longer than the "
                    f"{self.max_wait / 60:.0f} min this sync waits (setting sync.max_wait); run it again after {at}.")
            return retry.wait
        # Exponential backoff with jitter (as openai-python): 0.5, 1, 2, 4 … s, each less up to a quarter.
        return min(self.backoff * 2 ** (attempt - 1), self.max_backoff) * (1 - 0.25 * self.jitter())


def said(data: Any, limit: int = 300) -> str:
    """', “message”' from a parsed error body (Graph's error.message, GraphQL errors, WordPress's message)."""
    msg: Any = None
    if isinstance(data, dict):
        err = data.get("error")
        errors = data.get("errors")
        if isinstance(err, dict):
            msg = err.get("message")
        elif isinstance(err, str):
            msg = err
        elif isinstance(errors, list) and errors and isinstance(errors[0], dict):
            msg = errors[0].get("message")
        elif isinstance(errors, (str, dict)):
            msg = errors if isinstance(errors, str) else json.dumps(errors)
        else:
            msg = data.get("message")
    if not isinstance(msg, str) or not msg.strip():
        return ""
    msg = " ".join(msg.split())
    return f", “{msg[:limit]}{'…' if len(msg) > limit else ''}”"
