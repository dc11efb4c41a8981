"""Tests for the demo's day-at-once writers: they give what the one-at-a-time ones give."""

from __future__ import annotations

import numpy as np

from analysis.demo.files import shopify_time, shopify_times


def test_shopify_times_round_to_the_microsecond_like_datetime() -> None:
    # datetime rounds to the microsecond (half to even) before dropping the fraction: x.9999996 s is the next second
    edge = [1798000000, 1798000000.0, 1798000000.5, 1798000000.9999994, 1798000000.9999995, 1798000000.9999996,
            1798000059.9999999, 1798012799.99999951, 1798012799.9999995]
    rng = np.random.default_rng(3)
    times = edge + (1.75e9 + rng.random(2000) * 1e7).tolist()
    assert shopify_times(times) == [shopify_time(t) for t in times]
    assert shopify_times([1798000000.9999996]) == ["2026-12-23 04:26:41 +0000"]
    assert shopify_times([]) == []
