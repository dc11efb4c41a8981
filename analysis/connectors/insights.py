"""Marketing API insights of an ad account: daily spend and actions, in the meta-insights ingest shape."""
from __future__ import annotations

import json
from datetime import date
from typing import Any, Iterator

from analysis.connectors.http import ConnectorError
from analysis.connectors.meta import MAX_PAGES, GraphError, Meta
from analysis.ingest.meta_insights import account_id

FIELDS = "spend,actions,cost_per_action_type,date_start,date_stop,account_currency,account_id"
PERMISSION = ("The token needs ads_read, and its system user must be assigned to the ad account (Business Settings → "
              "Accounts → Ad accounts).")


def accounts(raw: Any) -> list[str]:
    """The configured ad accounts as act_<digits>; a malformed one is a sentence with the fix."""
    out = []
    for item in raw if isinstance(raw, list) else [raw]:
        if str(item).strip() == "":
            continue
        acct = account_id(item)
        if acct is None:
            raise ConnectorError(f"{str(item)[:40]!r} is not an ad account id; write it as \"act_\" and its digits "
                                 "under [meta] ad_accounts in capi-audit.toml (Ads Manager shows it).")
        out.append(acct)
    return list(dict.fromkeys(out))


def _refusal(exc: GraphError, account: str, path: str) -> ConnectorError:
    if exc.code == 10 or 200 <= exc.code <= 299:
        return ConnectorError(f"Meta says the token may not read the insights of {account} (code {exc.code}): "
                              f"“{exc.message}”. {PERMISSION}")
    if exc.code == 100 or exc.code == 803:
        return ConnectorError(f"Meta knows no ad account {account}, or refused a parameter of {path} (code {exc.code}): "
                              f"“{exc.message}”. Check [meta] ad_accounts and graph_version in capi-audit.toml.")
    return exc


def pages(graph: Meta, account: str, since: date, until: date) -> Iterator[dict[str, Any]]:
    """One ad account's daily insights pages; the next page is asked for by its cursor, never by paging.next
    (that URL embeds the access token)."""
    path = f"/{graph.version}/{account}/insights"
    params: dict[str, Any] = {"level": "account", "time_increment": 1, "fields": FIELDS, "limit": 100,
                              "time_range": json.dumps({"since": since.isoformat(), "until": until.isoformat()})}
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        try:
            body = graph.client.json(graph.client.get(path, params))
        except GraphError as exc:
            raise _refusal(exc, account, path) from None
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise ConnectorError(f"Meta's insights answer for {account} has no data list; is graph_version "
                                 f"{graph.version!r} right?")
        yield body
        paging = body.get("paging") if isinstance(body.get("paging"), dict) else {}
        cursors = paging.get("cursors") if isinstance(paging.get("cursors"), dict) else {}
        after = cursors.get("after")
        # Graph writes `next` only while there are more pages; the cursor alone is on the last one too.
        if not paging.get("next") or not isinstance(after, str) or not after:
            return
        if after in seen:
            raise ConnectorError(f"Meta's insights paging for {account} repeats a page; stopped to avoid a loop.")
        seen.add(after)
        params = {**params, "after": after}
    raise ConnectorError(f"Meta's insights for {account} ran past {MAX_PAGES} pages; stopped to avoid a loop.")


def envelope(account: str, fetched_at: str, body: dict[str, Any]) -> dict[str, Any]:
    """One meta-insights JSON Lines record; paging is dropped, since its URLs carry the access token."""
    return {"ad_account_id": account, "fetched_at": fetched_at, "response": {"data": body.get("data")}}
