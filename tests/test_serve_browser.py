"""`capi-audit serve` with a password, in Debian's Chromium: log in through the form, charts render, the
Content-Security-Policy blocks nothing the dashboard needs, and an upload goes through the front."""
from __future__ import annotations

import os

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.conftest import needs_chromium
from tests.test_browser import _settle, serve_demo

pytestmark = needs_chromium
PASSWORD = "a long passphrase for the test"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from serve_demo(tmp_path_factory.mktemp("serve-browser"), dict(os.environ, CAPI_AUDIT_PASSWORD=PASSWORD))


def _watch(page) -> list[str]:
    """Every CSP violation the page reports: the DOM event, and Chromium's console line about it.

    Other console errors are expected and not the policy's doing: the wrong password's 401, and
    Streamlit probing `/PAGE/_stcore/health` for a base path before it tries `/_stcore/health`."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console: {m.text}")
            if "Content Security Policy" in m.text or "Refused to" in m.text else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.expose_function("reportViolation", lambda text: problems.append("csp: " + text))
    page.add_init_script("document.addEventListener('securitypolicyviolation', "
                         "e => window.reportViolation(e.violatedDirective + ' ' + e.blockedURI))")
    return problems


def test_login_then_the_dashboard_renders_its_charts_under_the_csp(server, chromium, tmp_path):
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    problems = _watch(page)
    first = page.goto(f"{server}/dedup")
    assert "/_capi/login" in page.url and first.status == 200
    page.fill("input[name=password]", "not it")
    page.click("button[type=submit]")
    page.get_by_text("Wrong password.").wait_for(timeout=10_000)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url == f"{server}/dedup"
    _settle(page, 1)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator(".js-plotly-plot").count() >= 1
    cookie = next(c for c in context.cookies() if c["name"] == "capi_audit_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

    page.goto(server + "/")
    _settle(page, 2)
    assert page.locator(".js-plotly-plot").count() >= 2
    headers = page.goto(server + "/").headers
    assert headers["x-frame-options"] == "DENY" and "frame-ancestors 'none'" in headers["content-security-policy"]
    _settle(page, 2)

    # An upload travels through the front (Streamlit's XSRF cookie and header included) and is ingested.
    page.goto(server + "/data_sources")
    _settle(page, 0)
    csv = tmp_path / "deployments.csv"
    csv.write_text("deployed_at,name,description,component,pixel_id\n2026-10-12T09:00:00Z,via-upload,,theme,\n")
    # A click that lands while the page still settles focuses the box without opening its list: retry.
    option = page.get_by_role("option", name="deployments")
    for _ in range(5):
        page.get_by_role("combobox", name="Kind").click()
        try:
            option.wait_for(timeout=3_000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    option.click()
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(csv))
    page.get_by_text("deployments.csv").first.wait_for(timeout=20_000)
    page.get_by_role("button", name="Ingest").click()
    page.get_by_text("ingest deployments deployments.csv: done").wait_for(timeout=120_000)
    assert page.locator("[data-testid='stException']").count() == 0
    assert problems == []
    context.close()


def test_without_logging_in_the_websocket_and_pages_stay_closed(server, chromium):
    context = chromium.new_context()
    page = context.new_page()
    page.goto(server + "/")
    assert "/_capi/login" in page.url
    opened = page.evaluate("""url => new Promise(done => {
        const ws = new WebSocket(url, ['streamlit']);
        ws.onopen = () => done('open'); ws.onerror = () => done('refused');
    })""", server.replace("http", "ws") + "/_stcore/stream")
    assert opened == "refused"
    context.close()
