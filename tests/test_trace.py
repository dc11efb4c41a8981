"""`capi-audit trace ID`: the order, both sides' copies, lint hits and pairing, never plaintext."""
from __future__ import annotations

import json

from analysis.cli import main
from tests.scenario import Scenario, h, sev, ud


def test_trace_an_order_by_its_id_and_alias(tmp_path, capsys):
    sc = Scenario(tmp_path)
    sc.order("1001", "2026-10-01T09:00:00", total=20.0, email="mary@example.com", phone="07700 900123",
             country="GB", alt_id="6131652823278")
    sc.server(sev("Purchase", "2026-10-01T09:00:05", "order-1001",
                  ud("fbp", em=h("mary@example.com"), ph=h("7700900123")), custom_data={"value": 20.0, "currency": "USD"}))
    sc.browser("purchase", "2026-10-01T09:00:03", "order-1001")
    sc.server(sev("Purchase", "2026-10-01T10:00:00", "order-2002"))
    sc.ingest()
    for ident in ("1001", "6131652823278", "order-1001"):
        assert main(["--db", str(sc.db), "trace", ident, "--format", "json"]) == 0
        got = json.loads(capsys.readouterr().out)
        assert [o["order_id"] for o in got["orders"]] == ["1001"]
        assert [e["event_id"] for e in got["server"]] == ["order-1001"]
        assert [e["event_name"] for e in got["browser"]] == ["purchase"]
        assert got["server"][0]["em_valid"] is True and got["server"][0]["ph_valid"] is True
        assert {(r["rule"], r["diagnosis"]) for r in got["lint"] if r["rule"] == "hash_mismatch"} == {
            ("hash_mismatch", "missing_country_code")}
        assert {(p["event_name"], p["paired"], p["name_mismatch"]) for p in got["paired"]} == {
            ("Purchase", False, True), ("purchase", False, True)}
        text = json.dumps(got)
        assert "mary" not in text and "7700" not in text
    assert main(["--db", str(sc.db), "trace", "1001"]) == 0
    out = capsys.readouterr().out
    assert "Order 1001" in out and "NOT paired" in out and "hash_mismatch" in out
    assert main(["--db", str(sc.db), "trace", "nope"]) == 1
    assert "Nothing is known about 'nope'" in capsys.readouterr().err
