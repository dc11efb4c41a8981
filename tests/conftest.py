"""Shared test fixtures: Debian's Chromium for the real-browser tests (never a downloaded browser)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Iterator

import pytest

# The flags that keep headless Chromium off this machine's closed network and out of its sandbox.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str | None:
    """CAPI_AUDIT_CHROMIUM, else Debian's /usr/bin/chromium, else `chromium` on PATH."""
    configured = os.environ.get("CAPI_AUDIT_CHROMIUM", "/usr/bin/chromium")
    return configured if Path(configured).exists() else shutil.which("chromium")


needs_chromium = pytest.mark.skipif(
    chromium_path() is None,
    reason="Debian's chromium is not installed (apt-get install chromium); the real-browser tests need it")


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """A headless Chromium (Playwright) per test module.

    Not per session: Playwright's sync API keeps an asyncio loop running in the main thread while it
    is open, and later tests that call asyncio.run() would fail.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# The longest files first: the run hands out a file per worker in this order (pytest-xdist, --dist
# loadfile), so starting them first keeps a worker from being left with one of them at the end while
# the other waits. Measured slowest on two cores: Spark's session and run, the benchmark's smoke run
# (Chromium included), the DuckDB engine tests, the real-browser pages, the scopes of many clients.
SLOWEST_FIRST = ("test_engines_spark.py", "test_bench_smoke.py", "test_engines.py", "test_browser.py",
                 "test_clients.py", "test_rollups.py", "test_serve_browser.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(SLOWEST_FIRST)))     # stable: same order within
