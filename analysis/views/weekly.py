"""The weekly review's EMQ: the window's last seven days against the seven before, per pixel × event."""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd


def weekly_emq(emq: pd.DataFrame, until: date) -> dict[tuple[str, str], tuple[float | None, float | None]]:
    """(last 7 days, the 7 before) estimated EMQ per pixel × event, event-weighted from the daily rows."""
    if emq.empty:
        return {}
    d = emq.assign(day=pd.to_datetime(emq["day"]).dt.date)
    last = d[(d["day"] > until - timedelta(days=7)) & (d["day"] <= until)]
    prev = d[(d["day"] > until - timedelta(days=14)) & (d["day"] <= until - timedelta(days=7))]

    def mean(part: pd.DataFrame) -> dict[tuple[str, str], float]:
        # The daily emq is a mean over that day's events; weight by them to get the 7-day mean.
        g = part.assign(w=part["emq"] * part["events"]).groupby(["pixel_id", "event_name"])[["w", "events"]].sum()
        return {k: (r.w / r.events if r.events else None) for k, r in g.iterrows()}

    a, b = mean(last), mean(prev)
    return {k: (a.get(k), b.get(k)) for k in set(a) | set(b)}


def change(last: float | None, prev: float | None) -> float | None:
    """The week's change as shown (one decimal; never -0.0), None without both weeks."""
    return None if last is None or prev is None else round(last - prev, 1) + 0.0
