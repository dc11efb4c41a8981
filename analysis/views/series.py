"""Daily series the charts draw, summed over the events charted: ratios of sums, never means of ratios."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

RATIO_COLUMNS = ["metric", "day", "value"]
SIDE_COLUMNS = ["day", "server_events", "browser_events"]
PAIRING = ("paired", "server_only", "browser_only")


def ratios(daily: pd.DataFrame, metrics: Iterable[str] | None = None, by_event: bool = False) -> pd.DataFrame:
    """Σ num / Σ den per metric and day of the facts' daily rows (metric, day, value; event_name first with
    by_event), days without a denominator left out, sorted by metric then day."""
    keys = (["event_name"] if by_event else []) + ["metric", "day"]
    if daily.empty:
        return pd.DataFrame(columns=keys[:-1] + ["day", "value"])
    rows = daily if metrics is None else daily[daily["metric"].isin(list(metrics))]
    g = rows.groupby(keys)[["num", "den"]].sum().sort_index()
    g = g[g["den"] > 0]
    out = g.index.to_frame(index=False)
    out["value"] = (g["num"] / g["den"]).to_numpy()
    return out


def ratio(series: pd.DataFrame, metric: str, event_name: str | None = None) -> pd.DataFrame:
    """One metric's (day, value) rows of ratios() (of one event's, with event_name)."""
    if series.empty:
        return pd.DataFrame(columns=["day", "value"])
    rows = series[series["metric"] == metric]
    if event_name is not None:
        rows = rows[rows["event_name"] == event_name]
    return rows[["day", "value"]].reset_index(drop=True)


def coverage_by_day(coverage: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Each key's coverage per day over the events given, weighted by their server events (day, one column per
    key; a day where no event carries the key's share is missing). Empty without server events."""
    if coverage.empty or not coverage["server_events"].fillna(0).any():
        return pd.DataFrame(columns=["day", *keys])
    w = coverage["server_events"].fillna(0)
    shares = {}
    for key in keys:
        num = (coverage[key].astype("float64") * w).groupby(coverage["day"]).sum(min_count=1)
        den = w.where(coverage[key].notna(), 0).groupby(coverage["day"]).sum()
        shares[key] = (num / den.where(den > 0)).sort_index()
    out = pd.DataFrame(shares)
    return out.rename_axis("day").reset_index()


def sides_by_day(dedup: pd.DataFrame) -> pd.DataFrame:
    """Server and browser events per day, summed over the events given (day, server_events, browser_events)."""
    if dedup.empty:
        return pd.DataFrame(columns=SIDE_COLUMNS)
    return dedup.groupby("day")[["server_events", "browser_events"]].sum().sort_index().reset_index()


def dedup_by_day(dedup: pd.DataFrame, keys: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """The dedup rows of the (pixel, event) keys summed per day: paired, server only, browser only and, where the
    rows carry them, the shares of events with an event_id (weighted by each side's events)."""
    rows = dedup[pd.Series(list(zip(dedup["pixel_id"], dedup["event_name"])), index=dedup.index).isin(
        list(keys))] if not dedup.empty else dedup
    if rows.empty:
        return pd.DataFrame(columns=["day", *PAIRING])
    counts = rows.groupby("day")[list(PAIRING)].sum()
    for side in ("server", "browser"):
        share, n = f"{side}_with_event_id", f"{side}_events"
        if share in rows and n in rows:
            weight = rows[n].where(rows[share].notna(), 0)
            with_id = (rows[share].astype("float64") * weight).groupby(rows["day"]).sum(min_count=1)
            total = weight.groupby(rows["day"]).sum()
            counts[share] = with_id / total.where(total > 0)
    return counts.sort_index().reset_index()
