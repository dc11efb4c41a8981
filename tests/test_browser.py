"""The dashboard in a real browser: Debian's Chromium driven by Playwright against `capi-audit serve`."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from tests.conftest import needs_chromium

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

pytestmark = needs_chromium


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_demo(folder: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """`capi-audit serve` on a 20-day demo built in `folder`; yields its URL once it answers, stops it after."""
    from analysis import demo_build

    db = folder / "demo.duckdb"
    demo_build.build(db, days=20, orders_per_day=40, log=lambda m: None)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "analysis.cli", "--db", str(db), "serve", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("the dashboard did not answer /_stcore/health within 60 s")
    yield url
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from serve_demo(tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def browser(chromium):
    return chromium


def _settle(page, charts: int) -> None:
    page.wait_for_selector("[data-testid='stApp']", timeout=60_000)
    # stApp appears before content: wait for the script run to finish and the charts to draw.
    page.wait_for_selector("[data-testid='stMain'] h1, [data-testid='stMain'] h2", timeout=60_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    if charts:
        page.wait_for_function(f"() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= {charts}",
                               timeout=60_000)


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1400, "height": max(900, int(height) + 40)})
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


# The default page (weekly EMQ) lives at "/", the others at their file names.
PAGES = [("", 2), ("health_check", 6), ("deployments", 2), ("dedup", 1), ("discrepancies", 1), ("trace", 0),
         ("data_sources", 0)]


@pytest.mark.parametrize("slug,charts", PAGES)
def test_each_page_renders_without_an_exception(server, browser, slug, charts):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    t0 = time.monotonic()
    page.goto(f"{server}/{slug}")
    _settle(page, charts)
    elapsed = time.monotonic() - t0
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_text("Page not found").count() == 0
    assert page.locator(".js-plotly-plot").count() >= charts
    _shot(page, slug or "weekly_emq")
    print(f"{slug or 'weekly_emq'}: rendered in {elapsed:.1f} s")
    page.close()


def test_a_filter_change_reruns_in_the_browser(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{server}/dedup")
    _settle(page, 1)
    tz = page.locator("[data-testid='stSidebar'] input[aria-label='Time zone']")
    tz.fill("Europe/Paris")
    tz.press("Enter")
    # The page's caption names the window's time zone once the rerun is done.
    page.get_by_text("(Europe/Paris)").first.wait_for(timeout=60_000)
    _settle(page, 1)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator(".js-plotly-plot").count() >= 1
    page.close()


def test_the_health_check_downloads_its_reports(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    page.goto(f"{server}/health_check")
    _settle(page, 6)
    with page.expect_download(timeout=60_000) as md:
        page.get_by_role("button", name="Markdown report").click()
    text = Path(md.value.path()).read_text(encoding="utf-8")
    assert md.value.suggested_filename == "capi-audit-2026-11.md" and text.startswith("# capi-audit report")
    # The HTML report is built on the click (deferred): plotly.js inline, about 5 MB.
    with page.expect_download(timeout=120_000) as html:
        page.get_by_role("button", name="HTML report").click()
    body = Path(html.value.path()).read_text(encoding="utf-8")
    assert html.value.suggested_filename == "capi-audit-2026-11.html"
    assert body.startswith("<!DOCTYPE html>") and len(body) > 1_000_000 and "chart-emq" in body
    assert page.locator("[data-testid='stException']").count() == 0
    page.close()


def test_the_deployments_drill_down_exports_affected_ids(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    page.goto(f"{server}/deployments")
    _settle(page, 2)
    with page.expect_download(timeout=60_000) as ids:
        page.get_by_role("button", name="Every affected id").click()
    head = Path(ids.value.path()).read_text(encoding="utf-8").splitlines()[0]
    assert head == "deployment,rule,pixel_id,event_name,event_id,order_id,event_time,event_uid"
    page.close()
