"""The README's pixel-mirror snippet in real Chromium: a shop page on one origin, capture on another."""
from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


from analysis.capture import Background, Settings
from tests.conftest import needs_chromium

README = Path(__file__).resolve().parents[1] / "README.md"

pytestmark = needs_chromium


def readme_snippet() -> str:
    """The <script> block of the README's capture section, exactly as documented."""
    section = README.read_text(encoding="utf-8").split("## Capturing what is sent", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```html\n(<script>.*?</script>)\n```", section, re.S).group(1)


def shop(snippet: str) -> ThreadingHTTPServer:
    page = f"<!doctype html><html><head><title>shop</title>{snippet}</head><body>thanks</body></html>".encode()

    class Shop(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: object) -> None:
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Shop)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def test_the_snippet_mirrors_pixel_events_across_origins(tmp_path, chromium):
    bg = Background(Settings(upstream="http://127.0.0.1:9", log_dir=tmp_path)).start()
    # localhost vs 127.0.0.1: a different origin, so CORS applies as on a real shop.
    collect = f"http://localhost:{bg.port}/collect"
    snippet = readme_snippet()
    assert "'https://capture.shop.example/collect', '1234567890'" in snippet
    srv = shop(snippet.replace("https://capture.shop.example/collect", collect).replace("'1234567890'", "'111'"))
    url = f"http://127.0.0.1:{srv.server_port}/thank-you"
    try:
        page = chromium.new_page()
        page.goto(url)
        page.evaluate("""() => {
            document.cookie = '_fbp=fb.1.1790850000000.42; path=/';
            document.cookie = '_fbc=fb.1.1790850000000.AbCdEfGh; path=/';
            capiMirror('Purchase', {value: 59.0, currency: 'EUR'}, {eventID: 'order-1001'});   // sendBeacon
        }""")
        # Without sendBeacon the snippet falls back to fetch (a simple request, no preflight).
        page.evaluate("() => { navigator.sendBeacon = undefined; capiMirror('Lead', {}, {eventID: 'lead-7'}); }")
        # A page posting JSON triggers a CORS preflight: the browser must accept the answer.
        status = page.evaluate("""async (u) => (await fetch(u, {method: 'POST',
            headers: {'Content-Type': 'application/json'},
            body: JSON.stringify({pixel_id: '111', event_name: 'PageView', event_time: Date.now()})})).status""",
                               collect)
        assert status == 204
        deadline = time.monotonic() + 10
        lines: list[dict] = []
        while time.monotonic() < deadline and len(lines) < 3:
            bg.app.journal.flush()
            lines = [json.loads(x) for f in tmp_path.rglob("*.jsonl") for x in f.read_text().splitlines()]
            time.sleep(0.1)
        ua = page.evaluate("() => navigator.userAgent")
        page.close()
    finally:
        bg.stop()
        srv.shutdown()
        srv.server_close()
    by_name = {x["event_name"]: x for x in lines}
    assert sorted(by_name) == ["Lead", "PageView", "Purchase"]
    purchase = by_name["Purchase"]
    assert {k: purchase[k] for k in ("source", "pixel_id", "event_id", "event_source_url", "fbp", "fbc",
                                     "client_user_agent")} == {
        "source": "mirror", "pixel_id": "111", "event_id": "order-1001", "event_source_url": url,
        "fbp": "fb.1.1790850000000.42", "fbc": "fb.1.1790850000000.AbCdEfGh", "client_user_agent": ua}
    assert abs(purchase["event_time"] / 1000 - time.time()) < 60
    assert by_name["Lead"]["event_id"] == "lead-7" and by_name["Lead"]["fbp"] == "fb.1.1790850000000.42"
