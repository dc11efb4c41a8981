"""Alerts: the checklist's failing and warning items, posted to a Slack-compatible incoming webhook.

`capi-audit check --notify URL` (or the `notify_url` setting, env CAPI_AUDIT_NOTIFY_URL) posts after printing.
Choices:

- Nothing is posted when no item fails or warns (`always=True`, `--notify-always`, posts an all-clear instead);
  `unknown` items are posted only with `include_unknown=True`, which `check --strict` sets because there they
  fail the check too.
- The message carries each item's status, title and evidence, never its `details`. Evidence is our own
  sentence over ids and numbers, but event, deployment and pixel names in it come from input data: Slack's
  control characters `&`, `<`, `>` are escaped as its formatting reference asks (so no name can form a link, a
  `<!channel>` mention or a user mention), email addresses are replaced (a name should never hold one, but
  personal data must not leave even when it does) and link previews are switched off.
- The URL is a credential (whoever has it can post): messages name only its scheme and host (`redact_url`),
  the HTTP layer's redaction knows every token-like part of it, and it is never stored.
- Delivery goes through the connectors' one HTTP client: 408/409/429/5xx and transport errors are retried
  with backoff and jitter (and `Retry-After`); any other 4xx is final, with a sentence that says what to do.
"""
from __future__ import annotations

import logging
import re
import time
from typing import Any, Callable, Mapping
from urllib.parse import parse_qsl, urlsplit

import httpx

from analysis.config import redact_url
from analysis.connectors.http import Client, ConnectorError, retry_after

__all__ = ["NotifyError", "escape", "message", "notify", "redact_url", "send", "validate"]

ENV = "CAPI_AUDIT_NOTIFY_URL"
POSTED = ("fail", "warn")
EMOJI = {"fail": ":red_circle:", "warn": ":large_yellow_circle:", "unknown": ":white_circle:",
         "pass": ":large_green_circle:"}
SECTION_MAX = 3000          # Slack: a section's text is at most 3000 characters
TEXT_ITEM_MAX = 1000        # per item in the plain `text` fallback (notifications, services that ignore blocks)
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_CODE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")       # Slack's error strings: no_service, invalid_token, …
_sleep: Callable[[float], None] = time.sleep        # module-level so a test can replace it for the CLI


class NotifyError(Exception):
    """The alert could not be delivered: a sentence that says why and what to do, never the URL's secret part."""


# ------------------------------------------------------------------------------------------- the message

def escape(text: str) -> str:
    """Slack's three control characters as HTML entities (only those: the rest is left as written)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clean(text: str, limit: int) -> str:
    """Input-derived text made safe to post: emails removed, escaped, cut to `limit` escaped characters
    (never inside an entity)."""
    text = _EMAIL.sub("[email removed]", str(text))
    out = escape(text)
    if len(out) <= limit:
        return out
    pieces, size = [], 0
    for ch in text:
        piece = escape(ch)
        if size + len(piece) > limit - 1:
            break
        pieces.append(piece)
        size += len(piece)
    return "".join(pieces) + "…"


def _where(report: Mapping[str, Any]) -> str:
    w = report.get("window") or {}
    window = f"{w.get('since')} … {w.get('until')} ({w.get('timezone', 'UTC')})"
    if report.get("pixel_id"):
        pixels = [str(report["pixel_id"])]
    else:
        pixels = sorted({str(e.get("pixel_id")) for e in report.get("events") or [] if e.get("pixel_id")})
    if not pixels:
        who = "all pixels"
    elif len(pixels) == 1:
        who = f"pixel {pixels[0]}"
    elif len(pixels) <= 3:
        who = "pixels " + ", ".join(pixels)
    else:
        who = f"{len(pixels)} pixels"
    return f"{window} {who}"


def _posted(items: list[dict[str, Any]], include_unknown: bool) -> list[dict[str, Any]]:
    """The items an alert carries: failing first, then warning (then unknown), each in checklist order."""
    order = {s: n for n, s in enumerate(POSTED + (("unknown",) if include_unknown else ()))}
    return sorted((i for i in items if i.get("status") in order), key=lambda i: order[i["status"]])


def message(report: Mapping[str, Any], *, always: bool = False, include_unknown: bool = False) -> dict[str, Any] | None:
    """The Slack payload for a report's checklist: `{"text": …, "blocks": […]}`, or None when there is nothing
    to say (no item fails or warns, and not `always`)."""
    items = list(report.get("checklist") or [])
    posted = _posted(items, include_unknown)
    if not posted and not always:
        return None
    counts = {s: sum(1 for i in items if i.get("status") == s) for s in ("pass", "warn", "fail", "unknown")}
    head = f"capi-audit: {counts['fail']} failing, {counts['warn']} warning"
    if include_unknown and counts["unknown"]:
        head += f", {counts['unknown']} unknown"
    header = _clean(f"{head} — {_where(report)}", 500)
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{header}*"}}]
    lines = [header]
    for i in posted:
        emoji, title = EMOJI[i["status"]], _clean(i.get("title") or i.get("id") or "?", 200)
        evidence = str(i.get("evidence") or "")
        room = SECTION_MAX - len(f"{emoji} *{title}* ({i['status']})\n")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text":
                       f"{emoji} *{title}* ({i['status']})\n{_clean(evidence, room)}"}})
        lines.append(f"{emoji} {title} ({i['status']}): {_clean(evidence, TEXT_ITEM_MAX)}")
    if not posted:
        clear = f"{EMOJI['pass']} Nothing fails or warns"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": clear + "."}})
        lines.append(clear + ".")
    tally = ", ".join(f"{counts[s]} {s}" for s in ("pass", "warn", "fail", "unknown") if counts[s]) or "no items"
    prev = report.get("previous_window") or {}
    context = tally + (f"; compared with {prev['since']} … {prev['until']}" if prev.get("since") else "")
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _clean(context, 2000)}]})
    return {"text": "\n".join(lines), "blocks": blocks, "unfurl_links": False, "unfurl_media": False}


# ------------------------------------------------------------------------------------------- delivery

def _split(url: str) -> tuple[str, str, list[str]]:
    """(scheme://host[:port], path?query, its token-like parts) of a webhook URL; NotifyError when it is none."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise NotifyError(f"The webhook URL ({redact_url(url)}) is not a valid address; set {ENV} to the "
                          "incoming webhook's https:// URL.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NotifyError(f"The webhook URL ({redact_url(url)}) is not an http(s) address; set {ENV} to the "
                          "incoming webhook's https:// URL.")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    base = f"{parts.scheme}://{host}" + (f":{port}" if port else "")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    # Every part that can be (or hold) the token, for the HTTP layer to redact from any text it produces.
    values = [s for s in parts.path.split("/")] + [v for _, v in parse_qsl(parts.query, keep_blank_values=True)]
    secrets = [target] + [v for v in values if len(v) >= 8 and (len(v) >= 16 or any(c.isdigit() for c in v))]
    secrets += [s for s in (parts.username, parts.password) if s]
    return base, target, [s for s in secrets if len(s) >= 4]        # shorter ones would redact common text


def _client(url: str, sleep: Callable[[float], None], **opts: Any) -> Client:
    base, _, secrets = _split(url)
    try:
        return Client(base, name="The webhook", setting=ENV, secrets=secrets, sleep=sleep, **opts)
    except ConnectorError as exc:
        raise NotifyError(str(exc)) from None


def validate(url: str) -> None:
    """Raise NotifyError unless `url` is an address the alert could be posted to (https, or http on loopback)."""
    _client(url, _sleep).close()


_ADVICE = {
    "no_service": "the URL is wrong or the webhook was removed; create a new incoming webhook and set {env}.",
    "no_team": "the URL is wrong or the workspace is gone; create a new incoming webhook and set {env}.",
    "no_service_id": "the URL is incomplete; copy the whole incoming webhook URL into {env}.",
    "team_disabled": "the workspace is disabled; create an incoming webhook in an active one and set {env}.",
    "invalid_token": "the webhook's token is no longer valid (the app was removed or the token revoked); "
                     "create a new incoming webhook and set {env}.",
    "channel_not_found": "the webhook's channel no longer exists; create a new incoming webhook for an existing "
                         "channel and set {env}.",
    "channel_is_archived": "the webhook's channel is archived; unarchive it, or create a new incoming webhook for "
                           "another channel and set {env}.",
    "action_prohibited": "a workspace admin restricted what this webhook may post; ask them, or use a webhook for "
                         "another channel.",
    "posting_to_general_channel_denied": "only admins may post to that channel; use a webhook for another channel.",
}
_REFUSED_PAYLOAD = ("the service did not accept capi-audit's message; report this as a bug (with the status and "
                    "code above, never the URL).")
_BY_STATUS = {
    400: _REFUSED_PAYLOAD, 413: _REFUSED_PAYLOAD, 422: _REFUSED_PAYLOAD,
    401: "the webhook refused to post (not authorized); check that {env} is the whole URL and the webhook is "
         "still enabled, or create a new one.",
    403: "the webhook refused to post (forbidden); check that {env} is the whole URL and the webhook is still "
         "enabled, or create a new one.",
    404: _ADVICE["no_service"],
    405: "that address does not accept posts; set {env} to the incoming webhook's URL.",
    410: "the webhook or its channel is gone; create a new incoming webhook and set {env}.",
}


def _code(resp: httpx.Response, data: Any) -> str | None:
    """Slack's error string from the body (`no_service`), or an `error` field of a JSON body; None otherwise."""
    text = resp.text.strip() if len(resp.content) <= 200 else ""
    if _CODE.match(text):
        return text
    if isinstance(data, dict) and isinstance(data.get("error"), str) and _CODE.match(data["error"]):
        return data["error"]
    return None


class _Attempts:
    """What the webhook answered, try by try: the inspector and the sleep count, the final sentence reads them."""

    def __init__(self, sleep: Callable[[float], None], max_wait: float) -> None:
        self._sleep, self.max_wait = sleep, max_wait
        self.waits = 0
        self.last_status: int | None = None
        self.last_try_answered = False
        self.asked_wait: float | None = None

    def sleep(self, seconds: float) -> None:
        self.waits += 1
        self.last_try_answered = False
        self._sleep(seconds)

    def inspect(self, resp: httpx.Response, data: Any) -> None:
        self.last_status, self.last_try_answered = resp.status_code, True
        self.asked_wait = retry_after(resp.headers)
        if resp.status_code < 400 or resp.status_code in (408, 409, 429) or resp.status_code >= 500:
            return None                     # success, or the HTTP layer's retry (with Retry-After) takes it
        code = _code(resp, data)
        advice = _ADVICE.get(code or "") or _BY_STATUS.get(resp.status_code) or (
            "the webhook refused the message; check {env}.")
        raise NotifyError(f"The webhook answered {resp.status_code}{f' ({code})' if code else ''}: "
                          + advice.format(env=ENV))

    @property
    def tries(self) -> int:
        return self.waits + 1


class _RedactWebhookLog(logging.Filter):
    """httpx logs each request's URL at INFO: the webhook's path is its token."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = sorted(secrets, key=len, reverse=True)

    def _scrub(self, value: Any) -> Any:
        text = str(value)
        if not any(s in text for s in self.secrets):
            return value
        for s in self.secrets:
            text = text.replace(s, "/…" if s.startswith("/") else "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self._scrub(a) for a in record.args)
        record.msg = self._scrub(record.msg)
        return True


def send(url: str, payload: Mapping[str, Any], client: Client | None = None,
         sleep: Callable[[float], None] | None = None, **opts: Any) -> None:
    """POST `payload` as JSON to the webhook at `url`; NotifyError when it was not delivered.

    `client`: a Client for the webhook's host to use instead of a new one (its inspector is replaced for the
    call, its sleep kept unless `sleep` is given). `sleep` replaces time.sleep between tries; `opts` go to
    Client (max_retries, timeout, max_wait, backoff, jitter …).
    """
    _, target, secrets = _split(url)
    attempts = _Attempts(_sleep if sleep is None else sleep, float(opts.get("max_wait", 600.0)))
    own = client is None
    if client is None:
        client = _client(url, attempts.sleep, **opts)
    else:
        attempts.max_wait = client.max_wait
        if sleep is None:
            attempts._sleep = client.sleep
        saved = client.inspect, client.sleep, client._secrets
        client._secrets = tuple(saved[2]) + tuple(secrets)
    client.inspect, client.sleep = attempts.inspect, attempts.sleep
    started = time.monotonic()
    guard = _RedactWebhookLog(secrets)
    httpx_log = logging.getLogger("httpx")
    httpx_log.addFilter(guard)
    try:
        client.post(target, dict(payload))
    except NotifyError as exc:
        raise NotifyError(client.redact(str(exc))) from None
    except ConnectorError as exc:
        raise NotifyError(_undelivered(attempts, client.redact(str(exc)), time.monotonic() - started)) from None
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        # Not a transport error the client retries (e.g. a URL httpx cannot send): name the kind, not the text.
        raise NotifyError(f"The webhook could not be called ({type(exc).__name__}); check {ENV}.") from None
    finally:
        httpx_log.removeFilter(guard)
        if own:
            client.close()
        else:
            client.inspect, client.sleep, client._secrets = saved


def _undelivered(attempts: _Attempts, said: str, seconds: float) -> str:
    """The sentence for a delivery the HTTP layer gave up on (its own text speaks of syncs)."""
    tries = f"{attempts.tries} {'try' if attempts.tries == 1 else 'tries'} over {seconds:.0f} s"
    if "redirects" in said:
        return said
    if attempts.last_try_answered and attempts.asked_wait is not None and attempts.asked_wait > attempts.max_wait:
        return (f"The webhook answered HTTP {attempts.last_status} and asks to wait {attempts.asked_wait:.0f} s, "
                f"longer than the {attempts.max_wait:.0f} s a check waits (setting sync.max_wait). Run the check "
                "again later.")
    if attempts.last_try_answered and attempts.last_status is not None:
        return (f"The webhook answered HTTP {attempts.last_status}, still after {tries}. The service may be down "
                "or throttling: run the check again later.")
    why = re.search(r"\((\w+(?:Error|Exception|Timeout)\b[^)]*)\)", said)
    detail = why.group(1) if why else ("no answer in time" if "did not answer" in said else "")
    return (f"The webhook could not be reached{f' ({detail})' if detail else ''}, still after {tries}. Check "
            "the network and the host in the URL, or run the check again later.")


def options(cfg: Any) -> dict[str, Any]:
    """The retry settings a webhook call shares with every other request (`sync.*`)."""
    return {"max_retries": int(cfg["sync.max_retries"]), "timeout": float(cfg["sync.timeout"]),
            "max_wait": float(cfg["sync.max_wait"])}


def notify(url: str, report: Mapping[str, Any], *, always: bool = False, include_unknown: bool = False,
           sleep: Callable[[float], None] | None = None, **opts: Any) -> str:
    """Post the report's alert; a sentence saying what was (or was not) posted. NotifyError when undelivered."""
    where = redact_url(url)
    payload = message(report, always=always, include_unknown=include_unknown)
    if payload is None:
        what = "warns or fails" if not include_unknown else "warns, fails or is unknown"
        return f"Nothing posted to {where}: no item {what} (--notify-always posts an all-clear)."
    send(url, payload, sleep=sleep, **opts)
    n = len(_posted(list(report.get("checklist") or []), include_unknown))
    if n == 0:
        return f"Posted an all-clear to the webhook ({where})."
    return f"Posted {n} checklist item{'s' if n != 1 else ''} to the webhook ({where})."
