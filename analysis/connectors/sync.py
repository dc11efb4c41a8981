"""capi-audit sync: fetch each live source, write it in its ingest shape, ingest it, then move the source's cursor."""
from __future__ import annotations

import csv
import json
import math
import os
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import duckdb

from analysis import interrupts, store
from analysis.config import Config
from analysis.connectors import insights, meta, shopify, state, woocommerce
from analysis.connectors.http import ConnectorError
from analysis.ingest import Options, Result, commit, stage
from analysis.ingest import staging
from analysis.ingest.base import IngestError, Staged
from analysis.ingest.orders import CANONICAL

SOURCES = ("meta", "meta-insights", "shopify", "woocommerce", "rollup")
ORDER_COLUMNS = CANONICAL + ("alt_id",)
# The cursor's own second is read again: an order updated twice within it is not lost, and the
# orders upsert makes the repeats no-ops.
OVERLAP = timedelta(seconds=1)
STATS_DAYS = 7                       # Meta keeps /stats for 7 days (reference §5)
# Meta keeps attributing purchases to past days for a while (the default attribution window is 7 days after a
# click), so each insights sync reads the week before its cursor again; the newer reading of a day wins.
INSIGHTS_REREAD = timedelta(days=7)

Report = Callable[[str, str, int], None]          # (source, what it is doing, records fetched so far)
File = tuple[str, Path, str]                       # (ingest kind, temp file, label stored as its path)


class SyncError(Exception):
    """A sync that cannot start (a source not configured, a secret missing), said with the fix."""


@dataclass
class Outcome:
    """What one source's sync did."""

    source: str
    status: str = "ok"                 # ok, partial (some pixels failed), failed, skipped
    fetched: int = 0                   # orders, or quality snapshots plus /stats hourly buckets
    loaded: int = 0
    duplicates: int = 0
    rejected: int = 0
    cursor: str | None = None          # where the next incremental sync starts
    seconds: float = 0.0
    messages: list[str] = field(default_factory=list)


@dataclass
class _Run:
    db: str
    cfg: Config
    env: Mapping[str, str]
    now: datetime
    since: date | None
    sleep: Callable[[float], None]
    report: Report
    lock_timeout: float
    cursors: dict[str, str] = field(default_factory=dict)

    def client_options(self, source: str, out: Outcome) -> dict[str, Any]:
        def sleep(seconds: float) -> None:
            # A long wait is visible on the progress line, not a silent hang.
            self.report(source, f"waiting {seconds:.0f} s (throttled or retrying)", out.fetched)
            self.sleep(seconds)
        return {"sleep": sleep, "timeout": float(self.cfg["sync.timeout"]),
                "max_retries": int(self.cfg["sync.max_retries"]), "max_wait": float(self.cfg["sync.max_wait"])}


def _iso(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(ts: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(ts.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def missing(source: str, cfg: Config, env: Mapping[str, str]) -> str | None:
    """Why `source` cannot run (what to set), or None when it is configured."""
    need: list[str] = []
    if source == "meta":
        if not cfg["meta.pixels"]:
            need.append("pixels = [\"…\"] under [meta] in capi-audit.toml")
        need += [v for v in ("META_ACCESS_TOKEN",) if not env.get(v)]
    elif source == "meta-insights":
        if not cfg["meta.ad_accounts"]:
            need.append("ad_accounts = [\"act_…\"] under [meta] in capi-audit.toml")
        need += [v for v in ("META_ACCESS_TOKEN",) if not env.get(v)]
    elif source == "shopify":
        if not (cfg["shopify.shop"] or env.get("SHOPIFY_API_URL")):
            need.append("shop = \"your-store.myshopify.com\" under [shopify] in capi-audit.toml")
        need += [v for v in ("SHOPIFY_ACCESS_TOKEN",) if not env.get(v)]
    elif source == "rollup":
        if not _rollup_configured(cfg):
            need.append("lake = \"DIR\" (the Parquet lake an engine computes the rollups from) or events_map = "
                        "\"FILE\" (tables of another shape; see README: When one machine is not enough)")
    else:
        if not (cfg["woocommerce.url"] or env.get("WOOCOMMERCE_URL")):
            need.append("url = \"https://your-shop.example\" under [woocommerce] in capi-audit.toml")
        need += [v for v in ("WOOCOMMERCE_KEY", "WOOCOMMERCE_SECRET") if not env.get(v)]
    return f"{source} is not configured: set {' and '.join(need)} (secrets only in the environment)." if need else None


def run(db: str | Path, cfg: Config, source: str = "all", since: date | None = None, *,
        env: Mapping[str, str] | None = None, sleep: Callable[[float], None] = time.sleep,
        now: datetime | None = None, report: Report | None = None, lock_timeout: float = 60.0) -> list[Outcome]:
    """Sync one source or every configured one; each lands in its own transactions, so one failing loses nothing else."""
    env = os.environ if env is None else env
    wanted = SOURCES if source == "all" else (source,)
    if source == "all" and not cfg["meta.ad_accounts"]:
        # Spend is optional to an audit: without ad accounts, `all` does not even list meta-insights as skipped.
        wanted = tuple(s for s in wanted if s != "meta-insights")
    if source == "all" and not _rollup_configured(cfg):
        # Likewise the rollups of a lake: only a store fed from one (or from mapped tables) runs them.
        wanted = tuple(s for s in wanted if s != "rollup")
    if source not in SOURCES and source != "all":
        raise SyncError(f"Unknown source {source!r}; choose one of {', '.join(SOURCES)} or all.")
    why = {s: missing(s, cfg, env) for s in wanted}
    if source != "all" and why[source]:
        raise SyncError(f"{why[source]} See the README, “Live sources”.")
    if all(why.values()):
        raise SyncError("No live source is configured (the README's “Live sources” says how):\n" +
                        "\n".join(f"  {w}" for w in why.values() if w))
    with store.writer(db, wait=lock_timeout) as con:          # creates the database on a first sync
        cursors = state.cursors(con)
    now = now or datetime.now(timezone.utc)
    now = (now if now.tzinfo else now.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    ctx = _Run(str(db), cfg, env, now, since, sleep, report or (lambda *_: None), lock_timeout, cursors)
    outcomes = []
    for s in wanted:
        outcomes.append(Outcome(s, "skipped", messages=[why[s] or ""]) if why[s]
                        else _sync_rollup(ctx) if s == "rollup" else _sync(ctx, s))
    return outcomes


def _rollup_configured(cfg: Config) -> bool:
    return bool(str(cfg["lake"] or "").strip() or str(cfg["events_map"] or "").strip())


def _sync_rollup(ctx: _Run) -> Outcome:
    """The rollups of the lake's new days on the `engine` setting, merged into the store.

    The range starts the pairing window before the last day the previous run saw (a copy on a new day
    pairs with one up to the window before it, whose bucket's counts change), or at --since; the first
    run takes the whole lake. The cursor is the last day holding rollups, moved only after the merge.
    """
    import pyarrow.compute as pc

    from analysis.engines import command
    from analysis.engines.mapping import MapError, load
    from analysis.engines.merge import MergeError
    from analysis.engines.sources import EngineError, lake_ref

    out = Outcome("rollup")
    t0 = time.perf_counter()
    stored = ctx.cursors.get("rollup")
    try:
        back = timedelta(days=math.ceil(float(ctx.cfg["dedup.window_hours"]) / 24))
        since = ctx.since or (date.fromisoformat(stored) - back if stored else None)
    except ValueError:
        since = None
    lo, _ = command.bounds(since, None)
    engine = str(ctx.cfg["engine"])
    try:
        ctx.report("rollup", f"computing on {engine}", 0)
        ref = str(ctx.cfg["events_map"] or "").strip()
        done = command.compute_and_merge(ctx.db, ctx.cfg, engine, lake_ref(ctx.cfg["lake"]), lo, None,
                                         events_map=load(ref) if ref else None)
        out.fetched = sum(int(t.num_rows) for t in done.results.values())
        out.loaded = sum(m.inserted for m in done.merged)
        last = pc.max(done.results["rollup_events"].column("bucket")).as_py()     # None when empty
        out.cursor = last.date().isoformat() if last is not None else None
        with store.writer(ctx.db, wait=ctx.lock_timeout) as con:
            state.save(con, "rollup", _status_text(out), ctx.now.replace(tzinfo=None), out.cursor)
    except (EngineError, MapError, MergeError, store.StoreError, duckdb.Error, OSError) as exc:
        _failed(ctx, "rollup", out, exc)
    out.seconds = time.perf_counter() - t0
    return out


def _failed(ctx: _Run, source: str, out: Outcome, exc: Exception) -> None:
    """A source that failed: stop on Ctrl+C or SIGTERM, else record the failure (its cursor stays)."""
    interrupts.check()              # failed because of Ctrl+C or SIGTERM: stop, record nothing
    out.status = "failed"
    out.messages.append(str(exc).splitlines()[0])
    try:
        with store.writer(ctx.db, wait=ctx.lock_timeout) as con:
            state.save(con, source, _status_text(out), ctx.now.replace(tzinfo=None))
    except store.StoreError as exc2:
        out.messages.append(str(exc2))


def _sync(ctx: _Run, source: str) -> Outcome:
    out = Outcome(source)
    t0 = time.perf_counter()
    # Plaintext personal data (a store's orders) exists only here, in a private directory removed below
    # (beside the database: a sync killed meanwhile leaves it to the next load's sweep, not to /tmp).
    tmp = staging.claim(staging.area(ctx.db), f"capi-sync-{source}")
    try:
        ctx.report(source, "connecting", 0)
        files = FETCH[source](ctx, tmp, out)
        if out.messages and not files:
            out.status = "failed"
        elif out.messages:
            out.status = "partial"
        _load(ctx, source, files, out)
    except (ConnectorError, IngestError, store.StoreError, duckdb.Error, OSError) as exc:
        _failed(ctx, source, out, exc)
    finally:
        staging.release(tmp)
    out.seconds = time.perf_counter() - t0
    return out


def _status_text(out: Outcome) -> str:
    text = out.status + (": " + "; ".join(dict.fromkeys(out.messages)) if out.messages else "")
    return text[:1000]


def _load(ctx: _Run, source: str, files: list[File], out: Outcome) -> None:
    """Stage every file (no lock held), then commit them and the cursor with one writer connection."""
    staged: list[Staged] = []
    opts = Options(default_country=ctx.cfg.get("default_country") or None, pixels=ctx.cfg.get("pixels") or {},
                   purchase_actions=tuple(ctx.cfg["meta.purchase_action_types"]))
    try:
        for kind, path, label in files:
            st = stage(kind, path, opts, workdir=staging.area(ctx.db))
            st.path = Path(label)               # the ingestions row names the source, not a deleted temp file
            staged.append(st)
        with store.writer(ctx.db, wait=ctx.lock_timeout) as con, interrupts.watching(con, writer=True):
            results: list[Result] = []
            for st in staged:
                results.append(commit(con, st, ctx.now.replace(tzinfo=None)))
            for r in results:
                out.loaded, out.duplicates, out.rejected = (out.loaded + r.loaded, out.duplicates + r.duplicates,
                                                            out.rejected + r.rejected)
            # Only after the rows are committed does the cursor move: a crash before this re-reads them.
            state.save(con, source, _status_text(out), ctx.now.replace(tzinfo=None), out.cursor)
    finally:
        for st in staged:
            staging.release(st.staging.parent)


def _meta_client(ctx: _Run, source: str, out: Outcome) -> meta.Meta:
    """The Graph API client of one Meta source: the token and app secret from the environment only."""
    return meta.Meta(ctx.env["META_ACCESS_TOKEN"], app_secret=ctx.env.get("META_APP_SECRET") or None,
                     graph_version=str(ctx.cfg["meta.graph_version"]), base_url=ctx.env.get("META_GRAPH_URL") or None,
                     **ctx.client_options(source, out))


def _fetch_meta(ctx: _Run, tmp: Path, out: Outcome) -> list[File]:
    """Per pixel: a Dataset Quality snapshot and 7 days of hourly /stats for web and server events."""
    raw = ctx.cfg["meta.pixels"]
    pixels = [str(p).strip() for p in (raw if isinstance(raw, list) else [raw]) if str(p).strip()]
    agent = str(ctx.cfg["meta.agent_name"] or "").strip() or None
    fetched_at = _iso(ctx.now)
    # An hour inside Meta's 7 days, so the oldest bucket is never refused as too old.
    start = ctx.now.replace(minute=0, second=0) - timedelta(days=STATS_DAYS) + timedelta(hours=1)
    if ctx.since:
        start = max(start, datetime.combine(ctx.since, datetime.min.time(), timezone.utc))
    client = _meta_client(ctx, "meta", out)
    files: list[File] = []
    stats = tmp / "meta-stats.jsonl"
    try:
        with open(stats, "w", encoding="utf-8") as fh:
            for pixel in pixels:
                try:
                    ctx.report("meta", f"pixel {pixel}: Dataset Quality", out.fetched)
                    body = client.dataset_quality(pixel, agent)
                    quality = tmp / f"meta-quality-{len(files)}.json"
                    quality.write_text(json.dumps(meta.quality_envelope(pixel, fetched_at, body, agent)), encoding="utf-8")
                    files.append(("meta-quality", quality, f"sync:meta/{pixel}/dataset_quality"))
                    out.fetched += 1
                    lines = []                   # a pixel's stats land whole or not at all
                    for es in meta.SOURCES:
                        for page in client.stats(pixel, es, start, ctx.now):
                            lines.append(json.dumps(meta.stats_envelope(pixel, fetched_at, es, page)))
                            out.fetched += len(page.get("data") or [])
                            ctx.report("meta", f"pixel {pixel}: /stats {es}", out.fetched)
                    fh.writelines(line + "\n" for line in lines)
                except ConnectorError as exc:
                    out.messages.append(f"pixel {pixel}: {exc}")
    finally:
        client.close()
    if stats.stat().st_size:
        files.append(("meta-stats", stats, "sync:meta/stats"))
    return files


def _fetch_insights(ctx: _Run, tmp: Path, out: Outcome) -> list[File]:
    """Per ad account: daily spend and purchases from the cursor's week before (or --since) up to yesterday (UTC)."""
    accounts = insights.accounts(ctx.cfg["meta.ad_accounts"])
    stored = ctx.cursors.get("meta-insights")
    try:
        start = ctx.since or (date.fromisoformat(stored) - INSIGHTS_REREAD if stored else None)
    except ValueError:
        start = None
    # Complete days only: today's spend and purchases are still growing, and a partial day would read as a CPA move.
    until = ctx.now.date() - timedelta(days=1)
    start = min(start or until - timedelta(days=int(ctx.cfg["sync.initial_days"])), until)
    fetched_at = _iso(ctx.now)
    client = _meta_client(ctx, "meta-insights", out)
    path = tmp / "meta-insights.jsonl"
    try:
        with open(path, "w", encoding="utf-8") as fh:
            for account in accounts:
                try:
                    lines = []                   # an account's days land whole or not at all
                    for page in insights.pages(client, account, start, until):
                        lines.append(json.dumps(insights.envelope(account, fetched_at, page)))
                        out.fetched += len(page["data"])
                        ctx.report("meta-insights", f"{account}: daily insights", out.fetched)
                    fh.writelines(line + "\n" for line in lines)
                except ConnectorError as exc:
                    out.messages.append(f"{account}: {exc}")
    finally:
        client.close()
    if not out.messages:                 # an account that failed is read again from the old cursor
        out.cursor = until.isoformat()
    return [("meta-insights", path, "sync:meta-insights")] if path.stat().st_size else []


def _since(ctx: _Run, source: str) -> datetime:
    """--since, else the stored cursor (less the overlap), else sync.initial_days back."""
    if ctx.since:
        return datetime.combine(ctx.since, datetime.min.time(), timezone.utc)
    stored = _parse(ctx.cursors.get(source) or "")
    if stored:
        return stored - OVERLAP
    return ctx.now - timedelta(days=int(ctx.cfg["sync.initial_days"]))


def _write_orders(ctx: _Run, source: str, pages: Iterable[list[dict[str, Any]]],
                  to_row: Callable[[dict[str, Any]], dict[str, str]], tmp: Path, out: Outcome) -> list[File]:
    """Pages of orders into one canonical orders CSV; the cursor becomes the newest updated_at seen."""
    path = tmp / f"{source}-orders.csv"
    newest = _parse(ctx.cursors.get(source) or "")
    # A shop the `pixels` setting names owns its orders (they join only its pixels' events); otherwise
    # they stay orders of every pixel, as before (a changed owner would be another order).
    shop = str((ctx.cfg["shopify.shop"] if source == "shopify" else ctx.cfg["woocommerce.url"]) or "").strip()
    shop = shop if shop in (ctx.cfg.get("pixels") or {}) else ""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=ORDER_COLUMNS + ("shop",), extrasaction="ignore")
        writer.writeheader()
        for page in pages:
            for order in page:
                r = to_row(order) | {"shop": shop}
                writer.writerow(r)
                seen = _parse(r["updated_at"])
                if seen and (newest is None or seen > newest):
                    newest = seen
            out.fetched += len(page)
            ctx.report(source, "orders", out.fetched)
    # Never backwards: a --since re-read of old months keeps the newer stored cursor.
    out.cursor = _iso(newest) if newest else None
    return [("orders", path, f"sync:{source}/orders")] if out.fetched else []


def _fetch_shopify(ctx: _Run, tmp: Path, out: Outcome) -> list[File]:
    client = shopify.Shopify(str(ctx.cfg["shopify.shop"] or ""), ctx.env["SHOPIFY_ACCESS_TOKEN"],
                             api_version=str(ctx.cfg["shopify.api_version"]),
                             base_url=ctx.env.get("SHOPIFY_API_URL") or None, **ctx.client_options("shopify", out))
    try:
        return _write_orders(ctx, "shopify", client.orders(_since(ctx, "shopify")), shopify.row, tmp, out)
    finally:
        client.close()


def _fetch_woocommerce(ctx: _Run, tmp: Path, out: Outcome) -> list[File]:
    client = woocommerce.WooCommerce(ctx.env.get("WOOCOMMERCE_URL") or str(ctx.cfg["woocommerce.url"]),
                                     ctx.env["WOOCOMMERCE_KEY"], ctx.env["WOOCOMMERCE_SECRET"],
                                     auth=str(ctx.cfg["woocommerce.auth"]), **ctx.client_options("woocommerce", out))
    try:
        return _write_orders(ctx, "woocommerce", client.orders(_since(ctx, "woocommerce")), woocommerce.row, tmp, out)
    finally:
        client.close()


FETCH: dict[str, Callable[[_Run, Path, Outcome], list[File]]] = {
    "meta": _fetch_meta, "meta-insights": _fetch_insights, "shopify": _fetch_shopify, "woocommerce": _fetch_woocommerce}
