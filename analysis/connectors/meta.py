"""Meta Graph API: Dataset Quality snapshots and pixel /stats pages, in the meta-quality and meta-stats ingest shapes."""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timezone
from typing import Any, Iterator, Mapping
from urllib.parse import parse_qsl, urlsplit

import httpx

from analysis.connectors.http import SECRET_PARAMS, Client, ConnectorError, Retry

GRAPH_URL = "https://graph.facebook.com"
SOURCES = ("WEB_ONLY", "SERVER_ONLY")
# Reference §6: throttling (app, user, ad account, business use case) and transient codes are retried.
THROTTLED = frozenset({4, 17, 32, 341, 613, *range(80000, 80015)})
TRANSIENT = frozenset({1, 2})
TOKEN_SUBCODES = {458: "the app is not authorised", 460: "the password changed", 463: "it expired",
                  464: "the user is unconfirmed", 467: "it is invalid"}
PERMISSIONS = ("The token needs ads_read plus ads_management or business_management, and its system user must be "
               "assigned to the pixel (Business Settings → Data sources → Datasets).")
# Reference §5: every documented field. The field table spells dedup_key_feedback, examples and the
# SDK dedupe_key_feedback; Graph refuses a field it does not know, so each spelling is tried, then none.
QUALITY_FIELDS = ("event_name", "event_match_quality", "event_coverage", "data_freshness", "acr",
                  "event_potential_aly_acr_increase")
DEDUP_SPELLINGS = ("dedupe_key_feedback", "dedup_key_feedback", None)
MAX_PAGES = 10_000


class GraphError(ConnectorError):
    """A Graph API error Meta will not change its mind about; the sentence says what to do."""

    def __init__(self, sentence: str, code: int, subcode: int | None, message: str) -> None:
        super().__init__(sentence)
        self.code, self.subcode, self.message = code, subcode, message


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def regain_wait(headers: Mapping[str, str]) -> float | None:
    """Seconds until Meta lifts a throttle: X-Business-Use-Case-Usage minutes, X-Ad-Account-Usage seconds."""
    waits: list[float] = []
    try:
        buc = json.loads(headers.get("x-business-use-case-usage") or "{}")
        for entries in (buc.values() if isinstance(buc, dict) else []):
            for e in entries if isinstance(entries, list) else []:
                minutes = e.get("estimated_time_to_regain_access") if isinstance(e, dict) else None
                if isinstance(minutes, (int, float)) and minutes > 0:
                    waits.append(minutes * 60.0)
    except ValueError:
        pass
    try:
        acc = json.loads(headers.get("x-ad-account-usage") or "{}")
        reset = acc.get("reset_time_duration") if isinstance(acc, dict) else None
        if isinstance(reset, (int, float)) and reset > 0:
            waits.append(float(reset))
    except ValueError:
        pass
    return max(waits) if waits else None


def inspect(resp: httpx.Response, data: Any) -> Retry | None:
    """Graph's error envelope by code (reference §6): retry, or stop with the fix."""
    err = data.get("error") if isinstance(data, dict) else None
    if not isinstance(err, dict):
        return None                       # no envelope: the client's generic status rules apply
    code, sub = _int(err.get("code")) or 0, _int(err.get("error_subcode"))
    message = " ".join(str(err.get("message") or "").split())[:300]
    path = resp.request.url.path
    if code in THROTTLED:
        return Retry(f"is throttling this app (code {code})", regain_wait(resp.headers))
    if code in TRANSIENT or err.get("is_transient") is True:
        return Retry(f"reported a temporary problem with {path} (code {code})")
    if code in (190, 102):
        why = TOKEN_SUBCODES.get(sub or 0, "it is no longer valid")
        raise GraphError(f"Meta refused the access token because {why} (code {code}"
                         f"{f', subcode {sub}' if sub else ''}). Create a new system-user token (Business Settings → "
                         f"Users → System users → Generate new token) and set META_ACCESS_TOKEN.", code, sub, message)
    if code == 10 or 200 <= code <= 299:
        raise GraphError(f"Meta says the token may not read {path} (code {code}): “{message}”. {PERMISSIONS}",
                         code, sub, message)
    if code == 100:
        raise GraphError(f"Meta rejected a parameter of {path} (code 100{f', subcode {sub}' if sub else ''}): "
                         f"“{message}”. Check [meta] pixels and graph_version in capi-audit.toml.", code, sub, message)
    raise GraphError(f"Meta refused {path} (HTTP {resp.status_code}, code {code}): “{message}”.", code, sub, message)


def next_params(url: str) -> dict[str, str]:
    """The query of a paging.next URL without its credentials (it embeds the access token)."""
    return {k: v for k, v in parse_qsl(urlsplit(url).query, keep_blank_values=True) if k not in SECRET_PARAMS}


class Meta:
    """The Graph API for one access token; every call goes to `base_url` (paging URLs only lend their cursor)."""

    def __init__(self, token: str, *, app_secret: str | None = None, graph_version: str = "v24.0",
                 base_url: str | None = None, **client: Any) -> None:
        # The token travels in the Authorization header, never in a URL; appsecret_proof proves the
        # caller holds the app secret (required when the app enables "Require App Secret").
        proof = hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest() if app_secret else None
        self.version = graph_version.strip("/")
        self.client = Client(base_url or GRAPH_URL, name="Meta", setting="META_GRAPH_URL",
                             headers={"Authorization": f"Bearer {token}"},
                             params={"appsecret_proof": proof} if proof else None,
                             secrets=(token, app_secret, proof), inspect=inspect, **client)

    def close(self) -> None:
        self.client.close()

    def _unknown(self, exc: GraphError, pixel: str) -> ConnectorError:
        if exc.code == 803 or (exc.code == 100 and (exc.subcode == 33 or pixel in exc.message
                                                   or "dataset" in exc.message.lower())):
            return ConnectorError(
                f"Meta knows no dataset {pixel}, or this token cannot see it (code {exc.code}): "
                f"“{self.client.redact(exc.message)}”. Check the id under [meta] pixels in capi-audit.toml "
                f"(Events Manager → Data sources shows it). {PERMISSIONS}")
        return exc

    def dataset_quality(self, pixel: str, agent_name: str | None = None) -> dict[str, Any]:
        """The current Dataset Quality snapshot of one pixel: the response body, {"web": [...]}."""
        for dedup in DEDUP_SPELLINGS:
            fields = ",".join(QUALITY_FIELDS + ((dedup,) if dedup else ()))
            params = {"dataset_id": pixel, "fields": f"web{{{fields}}}"}
            if agent_name:
                params["agent_name"] = agent_name
            try:
                answer = self.client.get(f"/{self.version}/dataset_quality", params)
            except GraphError as exc:
                if exc.code == 100 and dedup and dedup in exc.message:
                    continue                  # this spelling is unknown to this Graph version: try the next
                raise self._unknown(exc, pixel) from None
            body = self.client.json(answer)
            if not isinstance(body, dict) or not isinstance(body.get("web"), list):
                raise ConnectorError(f"Meta's Dataset Quality answer for {pixel} has no web list; "
                                     f"is graph_version {self.version!r} right?")
            return body
        raise AssertionError("unreachable: the last spelling requests no dedup field")

    def stats(self, pixel: str, event_source: str, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        """Hourly /stats?aggregation=event pages for one source, following `next` until it is absent."""
        path = f"/{self.version}/{pixel}/stats"
        params: dict[str, Any] = {"aggregation": "event", "event_source": event_source,
                                  "start_time": int(start.replace(tzinfo=start.tzinfo or timezone.utc).timestamp()),
                                  "end_time": int(end.replace(tzinfo=end.tzinfo or timezone.utc).timestamp())}
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            try:
                body = self.client.json(self.client.get(path, params))
            except GraphError as exc:
                raise self._unknown(exc, pixel) from None
            if not isinstance(body, dict):
                raise ConnectorError(f"Meta's /stats answer for {pixel} is not a JSON object.")
            yield body
            # A short or empty page can still have next: only its absence ends the list (reference §6).
            nxt = (body.get("paging") or {}).get("next") if isinstance(body.get("paging"), dict) else None
            if not nxt:
                return
            params = next_params(str(nxt))
            key = json.dumps(params, sort_keys=True)
            if key in seen:
                raise ConnectorError(f"Meta's /stats paging for {pixel} repeats a page; stopped to avoid a loop.")
            seen.add(key)
        raise ConnectorError(f"Meta's /stats for {pixel} ran past {MAX_PAGES} pages; stopped to avoid a loop.")


def quality_envelope(pixel: str, fetched_at: str, body: dict[str, Any], agent_name: str | None) -> dict[str, Any]:
    """The meta-quality file shape (spec: inputs.md)."""
    env: dict[str, Any] = {"pixel_id": pixel, "fetched_at": fetched_at, "response": {"web": body.get("web")}}
    if agent_name:
        env["agent_name"] = agent_name
    return env


def stats_envelope(pixel: str, fetched_at: str, event_source: str, body: dict[str, Any]) -> dict[str, Any]:
    """One meta-stats JSON Lines record; paging is dropped, since its URLs carry the access token."""
    return {"pixel_id": pixel, "fetched_at": fetched_at,
            "params": {"aggregation": "event", "event_source": event_source},
            "response": {"data": body.get("data")}}
