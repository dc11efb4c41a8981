"""Small writers shared by the generator and the samples: times as text, compact JSON, CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

compact_json = json.JSONEncoder(separators=(",", ":")).encode  # compact and fast (the C encoder)


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def shopify_time(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M:%S +0000")


def shopify_times(times: list[float]) -> list[str]:
    """shopify_time() of each time, all at once (times from 1970 on)."""
    t = np.asarray(times, dtype=np.float64)
    whole = np.floor(t)
    # datetime rounds a time to the microsecond (half to even) before it drops the fraction: 59.9999996 s is 60 s
    seconds = (whole + (np.rint((t - whole) * 1e6) >= 1e6)).astype(np.int64).astype("datetime64[s]")
    return [f"{s[:10]} {s[11:]} +0000" for s in np.datetime_as_string(seconds, unit="s").tolist()]



def write_deployments(path: Path, rows: list[tuple[int, str, str, str, str]]) -> None:
    with path.open("w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["deployed_at", "name", "description", "component", "pixel_id"])
        writer.writerows([iso(t), name, text, component, pixel] for t, name, text, component, pixel in rows)



def csv_text(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()

