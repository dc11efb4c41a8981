"""Tests for the demo's day-at-once writers: they give what the one-at-a-time ones give."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis import demo_build
from analysis.demo import generate
from analysis.demo.files import shopify_time, shopify_times
from analysis.demo.generator import file_count
from analysis.ingest import Batch, IngestError


def test_shopify_times_round_to_the_microsecond_like_datetime() -> None:
    # datetime rounds to the microsecond (half to even) before dropping the fraction: x.9999996 s is the next second
    edge = [1798000000, 1798000000.0, 1798000000.5, 1798000000.9999994, 1798000000.9999995, 1798000000.9999996,
            1798000059.9999999, 1798012799.99999951, 1798012799.9999995]
    rng = np.random.default_rng(3)
    times = edge + (1.75e9 + rng.random(2000) * 1e7).tolist()
    assert shopify_times(times) == [shopify_time(t) for t in times]
    assert shopify_times([1798000000.9999996]) == ["2026-12-23 04:26:41 +0000"]
    assert shopify_times([]) == []


def test_file_count_is_what_generate_writes(tmp_path: Path) -> None:
    for days in (1, 2, 31, 62):
        paths = generate(tmp_path / str(days), days=days, orders_per_day=3)
        assert sum(map(len, paths.values())) == file_count(days), days


def test_the_build_reports_its_load_truthfully(tmp_path: Path) -> None:
    seen: list[tuple[str, int, int]] = []
    results = demo_build.build(tmp_path / "demo.duckdb", days=3, orders_per_day=10, log=lambda m: None,
                               progress=lambda step, done, total: seen.append((step, done, total)))
    assert len(results) == file_count(3) and (tmp_path / "demo.duckdb").is_file()
    assert [done for step, done, _ in seen if step == "generate"] == [1, 2, 3]
    load = [(done, total) for step, done, total in seen if step == "load"]
    # one total from the first report on; the files parsed, then each kind stored and the rollups
    assert {total for _, total in load} == {file_count(3) + len(demo_build.ORDER) + 1}
    assert [done for done, _ in load] == sorted(done for done, _ in load) and load[-1][0] == load[-1][1]


def test_a_file_the_build_cannot_parse_stops_it_and_leaves_nothing(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    stage = Batch.stage

    def broken(self: Batch, path: Path, *args: object, **kwargs: object) -> object:
        if self.kind == "meta-stats" and path.name == "2026-11-22.jsonl":
            raise IngestError(f"{path}: could not be read as meta-stats (on purpose).")
        return stage(self, path, *args, **kwargs)

    monkeypatch.setattr(Batch, "stage", broken)
    with pytest.raises(IngestError, match="on purpose"):
        demo_build.build(tmp_path / "demo.duckdb", days=3, orders_per_day=10, log=lambda m: None)
    assert list(tmp_path.iterdir()) == []
