"""Small writers shared by the generator and the samples: times as text, compact JSON, CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from pathlib import Path

compact_json = json.JSONEncoder(separators=(",", ":")).encode  # compact and fast (the C encoder)


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def shopify_time(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M:%S +0000")



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

