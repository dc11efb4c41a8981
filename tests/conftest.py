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


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """One headless Chromium (Playwright) for the whole run."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
