"""Every lint rule of the contract: a positive and a negative case with exact counts on inline data."""
from __future__ import annotations

import csv
import io

import pytest

from analysis.cli import main
from tests.scenario import Scenario, h, sev, ts, ud


@pytest.fixture
def sc(tmp_path):
    return Scenario(tmp_path)


def found(rep, rule, side="server", **match):
    """Sum of counts of the report's lint rows for a rule (optionally with field/diagnosis/event_name)."""
    rows = [r for r in rep["lint"] if r["rule"] == rule and r["side"] == side
            and all(r[k] == v for k, v in match.items())]
    return sum(r["count"] for r in rows)


DAY = "2026-10-01"


def report(sc):
    return sc.report(DAY, DAY)


def test_unhashed_pii_and_a_list_with_one_valid_element(sc):
    sc.server(sev("Lead", "2026-10-01T10:00:00", "l1", ud("fbp", em="mary@example.com")),
              sev("Lead", "2026-10-01T10:00:01", "l2", ud("fbp", ph="+1 650 555 1212")),
              sev("Lead", "2026-10-01T10:00:02", "l3", ud("fbp", em=[h("x@y.z"), "joe@example.com"])),
              sev("Lead", "2026-10-01T10:00:03", "l4", ud("fbp", em=[h("x@y.z")], fn=h("mary").upper())))
    rep = report(sc)
    assert found(rep, "unhashed_pii", field="em") == 2      # l1 and the list l3 (one element plaintext)
    assert found(rep, "unhashed_pii", field="ph") == 1
    assert found(rep, "unhashed_pii", field="fn") == 0      # an uppercase hash is a hash, not PII
    row = [r for r in rep["lint"] if r["rule"] == "unhashed_pii" and r["field"] == "em"][0]
    assert row["severity"] == "error" and row["share"] == 0.5 and row["examples"] == ["event_id=l1", "event_id=l3"]


def test_hashed_not_allowed_and_invalid_cookies(sc):
    sc.server(sev("Lead", "2026-10-01T10:00:00", "a", ud("em", fbp=h("fbp"), client_ip_address=h("ip"))),
              sev("Lead", "2026-10-01T10:00:01", "b", ud("em", fbc="fb.1.1759310000000", fbp="fb.1.1759310000.123")),
              sev("Lead", "2026-10-01T10:00:02", "c", ud("em", fbc="fb.1.1759310000000.IwAR2xK9.Ag",
                                                            client_ip_address="2001:db8::7")))
    rep = report(sc)
    assert found(rep, "hashed_not_allowed", field="fbp") == 1
    assert found(rep, "hashed_not_allowed", field="client_ip_address") == 1
    assert found(rep, "invalid_fbc") == 1                   # no fbclid; the .appendix one is fine
    assert found(rep, "invalid_fbp") == 2                   # the hashed one and the seconds one


def test_fbc_case_modified_paired_and_heuristic(sc):
    click = "IwAR2xK9vQpLm7ZrT4bNcY8sHd3FgJ6wEa1Ue5Oi"
    sc.browser("Purchase", "2026-10-01T10:00:00", "p1", fbc=f"fb.1.1759310000000.{click}")
    sc.server(sev("Purchase", "2026-10-01T10:00:02", "p1", ud("em", fbc=f"fb.1.1759310000000.{click.lower()}")),
              sev("Purchase", "2026-10-01T10:00:03", "p2", ud("em", fbc=f"fb.1.1759310000000.{click.lower()}")),
              sev("Purchase", "2026-10-01T10:00:04", "p3", ud("em", fbc=f"fb.1.1759310000000.{click}")),
              sev("Purchase", "2026-10-01T10:00:05", "p4", ud("em", fbc="fb.1.1759310000000.abc123")))
    rep = report(sc)
    assert found(rep, "fbc_case_modified", diagnosis=None) == 1
    assert found(rep, "fbc_case_modified", diagnosis="heuristic") == 1     # p2; p4 is too short, p3 mixed case



def test_fbc_case_modified_pairs_within_the_configured_window(sc):
    # The browser copy is 20 h away: paired with the default 48 h, not with a 12 h pairing window.
    click = "IwAR2xK9vQpLm7ZrT4bNcY8sHd3FgJ6wEa1Ue5Oi"
    sc.browser("Purchase", "2026-10-01T00:00:00", "p1", fbc=f"fb.1.1759310000000.{click}")
    sc.server(sev("Purchase", "2026-10-01T20:00:00", "p1", ud("em", fbc=f"fb.1.1759310000000.{click.lower()}")))
    assert found(report(sc), "fbc_case_modified", diagnosis=None) == 1
    narrow = sc.report(DAY, DAY, dedup__window_hours=12)
    assert found(narrow, "fbc_case_modified", diagnosis=None) == 0
    assert found(narrow, "fbc_case_modified", diagnosis="heuristic") == 1

def test_event_times(sc):
    ms = sev("Lead", "2026-10-01T10:00:00", "ms")
    ms["event_time"] *= 1000
    sc.server(ms)
    sc.server(sev("Lead", "2026-10-01T10:00:00", "stale"), sent_at="2026-10-08T10:00:01Z")
    sc.server(sev("Lead", "2026-10-01T10:00:00", "fresh"), sent_at="2026-10-08T09:59:59Z")
    sc.server(sev("Lead", "2026-10-01T10:11:00", "future"), sent_at="2026-10-01T10:00:00Z")
    sc.server(sev("Lead", "2026-10-01T10:09:00", "soon"), sent_at="2026-10-01T10:00:00Z")
    rep = report(sc)
    assert found(rep, "event_time_ms", diagnosis="ms") == 1
    assert found(rep, "stale_event_time") == 1
    assert found(rep, "future_event_time") == 1


def test_missing_fields_on_website_events_and_baseline(sc):
    sc.server(sev("Lead", "2026-10-01T10:00:00", "a", ud("em"), event_source_url=""),
              sev("Lead", "2026-10-01T10:00:01", "b", ud("em"), action_source="email", event_source_url=""),
              sev("Lead", "2026-10-01T10:00:02", "c", ud("ct", "zp", "client_user_agent")),
              sev("Lead", "2026-10-01T10:00:03", "d", ud()),
              sev("Lead", "2026-10-01T10:00:04", "e", ud("fn", "ge", "client_user_agent")))
    rep = report(sc)
    assert found(rep, "missing_event_source_url") == 1
    assert found(rep, "missing_client_user_agent") == 2      # a and d (b is not a website event)
    assert found(rep, "baseline_invalid") == 2               # c (geo + UA) and d (nothing); e is not a subset


def test_server_ip_and_server_user_agent(sc):
    events = [sev("ViewContent", f"2026-10-01T10:{i:02d}:00", f"v{i}",
                  ud("em", client_ip_address="198.51.100.1", fbp=f"fb.1.1759310000000.{i}")) for i in range(20)]
    events += [sev("ViewContent", "2026-10-01T11:00:00", "lib", ud("em", client_user_agent="python-requests/2.31"))]
    events += [sev("ViewContent", "2026-10-01T11:00:01", "ok", ud("em", client_user_agent="Mozilla/5.0 (X11) Chrome/120"))]
    sc.server(*events)
    rep = report(sc)
    assert found(rep, "server_ip_as_client_ip") == 20
    assert found(rep, "server_user_agent") == 1


def test_server_ip_needs_many_distinct_fbp(sc):
    sc.server(*[sev("ViewContent", f"2026-10-01T10:{i:02d}:00", f"v{i}",
                    ud("em", client_ip_address="198.51.100.1", fbp=f"fb.1.1759310000000.{i % 19}")) for i in range(40)])
    assert found(report(sc), "server_ip_as_client_ip") == 0


def test_server_ip_is_judged_per_day_against_that_days_share(sc):
    # Day 1: the address carries 20 of 30 events with 20 browser ids: flagged. Day 2: the same address,
    # 20 browser ids again, but only 20 of 500 events (4 % < 5 %): not flagged, though the month's share
    # would differ either way.
    ip = "198.51.100.1"
    day1 = [sev("ViewContent", f"2026-10-01T10:{i:02d}:00", f"a{i}", ud("em", client_ip_address=ip,
                                                                        fbp=f"fb.1.1759310000000.{i}")) for i in range(20)]
    day1 += [sev("ViewContent", f"2026-10-01T11:{i:02d}:00", f"b{i}", ud("em", client_ip_address=f"203.0.113.{i}"))
             for i in range(10)]
    day2 = [sev("ViewContent", f"2026-10-02T10:{i:02d}:00", f"c{i}", ud("em", client_ip_address=ip,
                                                                        fbp=f"fb.1.1759310000000.{i}")) for i in range(20)]
    day2 += [sev("ViewContent", f"2026-10-02T{12 + i // 60:02d}:{i % 60:02d}:00", f"d{i}",
                 ud("em", client_ip_address=f"203.0.{i // 200}.{i % 200}")) for i in range(480)]
    sc.server(*day1, *day2)
    assert found(report(sc), "server_ip_as_client_ip") == 20


def test_timestamp_event_id_but_not_a_shopify_order_id(sc):
    t = ts("2026-10-01T10:00:00")
    sc.server(sev("Purchase", "2026-10-01T10:00:00", str(t)),
              sev("Purchase", "2026-10-01T10:00:01", str(t * 1000 + 123)),
              sev("Purchase", "2026-10-01T10:00:02", "7340000000101"),        # a 13-digit Shopify id
              sev("Purchase", "2026-10-01T10:00:03", str(t - 3 * 86400)))      # 10 digits, 3 days off
    assert found(report(sc), "timestamp_event_id") == 2


def test_reused_and_missing_event_ids_per_side(sc):
    sc.server(sev("Purchase", "2026-10-01T01:00:00", "same"), sev("Purchase", "2026-10-03T12:00:00", "same"),
              sev("Purchase", "2026-10-01T02:00:00"), sev("AddToCart", "2026-10-01T02:00:00"))
    sc.browser("Purchase", "2026-10-01T02:00:01", None)
    sc.browser("Purchase", "2026-10-01T02:00:02", "b1")
    rep = sc.report("2026-10-01", "2026-10-03")
    assert found(rep, "reused_event_id") == 2                # both copies of the reused id
    assert found(rep, "missing_event_id") == 1               # Purchase: both sides send it; AddToCart: server only
    assert found(rep, "missing_event_id", side="browser") == 1


def test_purchase_value_currency_test_code_and_rejections(sc):
    sc.server(sev("Purchase", "2026-10-01T10:00:00", "a", custom_data={"currency": "USD"}),
              sev("Purchase", "2026-10-01T10:00:01", "b", custom_data={"value": 5, "currency": "usd"}),
              sev("Purchase", "2026-10-01T10:00:02", "c", custom_data={"value": 5, "currency": "DOLLARS"}),
              sev("Purchase", "2026-10-01T10:00:03", "d", custom_data={"value": 5}))
    sc.server(sev("Purchase", "2026-10-01T11:00:00", "t", custom_data={"value": 5, "currency": "EUR"}),
              test_event_code="TEST42")
    sc.server(sev("Purchase", "2026-10-01T12:00:00", "r", custom_data={"value": 5, "currency": "EUR"}),
              status=400, error_code=190)
    rep = report(sc)
    assert found(rep, "purchase_missing_value") == 1
    assert found(rep, "invalid_currency") == 2 and found(rep, "invalid_currency", diagnosis="missing") == 1
    assert found(rep, "test_event_code") == 1
    assert found(rep, "rejected_request", diagnosis="190") == 1


def test_order_rules_and_the_reconciliation(sc):
    sc.order("1", "2026-10-01T09:00:00", total=50.0)
    sc.order("2", "2026-10-01T09:00:00", total=50.0, status="pending")
    sc.order("3", "2026-10-01T09:00:00", total=50.0)
    sc.order("4", "2026-10-01T09:00:00", total=50.0)
    sc.server(sev("Purchase", "2026-10-01T09:00:05", "order-1", custom_data={"value": 50.2, "currency": "USD"}),
              sev("Purchase", "2026-10-01T09:00:06", "order-2", custom_data={"value": 50.0, "currency": "USD"}),
              sev("Purchase", "2026-10-01T09:00:07", "order-3", custom_data={"value": 40.0, "currency": "USD"}),
              sev("Purchase", "2026-10-01T09:00:08", "order-77", custom_data={"value": 9.0, "currency": "USD"}))
    rep = report(sc)
    assert found(rep, "purchase_for_unpaid_order", diagnosis="pending") == 1
    assert found(rep, "purchase_without_order") == 1
    assert found(rep, "value_mismatch") == 1                 # order 3; order 1 is within 1 %
    rec = rep["reconciliation"]
    assert rec["counts"] == {"no_server_purchase": 1, "purchase_for_unpaid_order": 1,
                             "purchase_without_order": 1, "value_mismatch": 1}
    assert {(r["issue"], r["order_id"]) for r in rec["rows"]} == {
        ("no_server_purchase", "4"), ("purchase_for_unpaid_order", "2"), ("purchase_without_order", "77"),
        ("value_mismatch", "3")}


def test_hash_mismatch_diagnoses(sc):
    sc.order("1", "2026-10-01T09:00:00", email="Mary@Example.com", phone="07700 900123", country="GB")
    sc.order("2", "2026-10-01T09:00:00", email="joe@example.com", phone="(650) 555-1212", country="US")
    sc.order("3", "2026-10-01T09:00:00", email="ann@example.com")
    sc.order("4", "2026-10-01T09:00:00", email="bob@example.com")
    sc.order("5", "2026-10-01T09:00:00", email="eve@example.com")
    sc.server(
        sev("Purchase", "2026-10-01T09:01:00", "order-1", ud("fbp", em=h("Mary@Example.com"), ph=h("7700900123"))),
        sev("Purchase", "2026-10-01T09:01:01", "order-2", ud("fbp", em=h("joe@example.com"), ph=h("6505551212"))),
        sev("Purchase", "2026-10-01T09:01:02", "order-3", ud("fbp", em=h(h("ann@example.com")))),
        sev("Purchase", "2026-10-01T09:01:03", "order-4", ud("fbp", em=h("someone@else.com"))),
        sev("Purchase", "2026-10-01T09:01:04", "order-5", ud("fbp", em=h("eve@example.com"))))
    rep = report(sc)
    assert found(rep, "hash_mismatch", field="em", diagnosis="not_lowercased") == 1
    assert found(rep, "hash_mismatch", field="em", diagnosis="double_hashed") == 1
    assert found(rep, "hash_mismatch", field="em", diagnosis="unknown") == 1
    assert found(rep, "hash_mismatch", field="ph", diagnosis="missing_country_code") == 2   # UK and US
    purchase = [e for e in rep["events"] if e["event_name"] == "Purchase"][0]
    assert purchase["hash_match"]["em"] == 0.4 and purchase["hash_match"]["ph"] == 0.0


def test_not_trimmed_diagnosis(sc):
    sc.order("1", "2026-10-01T09:00:00", email=" ann@example.com ")
    sc.server(sev("Purchase", "2026-10-01T09:01:00", "order-1", ud("fbp", em=h(" ann@example.com "))))
    assert found(report(sc), "hash_mismatch", field="em", diagnosis="not_trimmed") == 1


def test_lint_export_lists_every_id_and_no_personal_data(sc, capsys):
    sc.order("1", "2026-10-01T09:00:00", email="Mary@Example.com", phone="07700 900123", country="GB",
             first_name="Mary", last_name="Smith")
    sc.server(*[sev("Purchase", f"2026-10-01T09:{i:02d}:00", f"order-{i}", ud("fbp", em=f"user{i}@example.com",
                                                                                  ph="07700 900123"))
                for i in range(1, 12)])
    sc.ingest()
    assert main(["--db", str(sc.db), "lint", "--rule", "unhashed_pii", "--since", DAY, "--until", DAY]) == 0
    out = capsys.readouterr().out
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 22 and {r["field"] for r in rows} == {"em", "ph"}
    assert {r["event_id"] for r in rows} == {f"order-{i}" for i in range(1, 12)}
    assert main(["--db", str(sc.db), "lint", "--since", DAY, "--until", DAY, "--format", "json"]) == 0
    assert main(["--db", str(sc.db), "lint", "--reconciliation", "--since", DAY, "--until", DAY]) == 0
    assert main(["--db", str(sc.db), "report", "--since", DAY, "--until", DAY]) == 0
    everything = out + capsys.readouterr().out
    for secret in ("@example.com", "07700", "7700 900", "Mary", "Smith"):
        assert secret not in everything
    assert main(["--db", str(sc.db), "lint", "--rule", "no_such_rule"]) == 2


def test_only_window_events_are_counted(sc):
    sc.server(sev("Lead", "2026-09-30T23:00:00", "before", ud("fbp", em="x@example.com")),
              sev("Lead", "2026-10-01T10:00:00", "inside", ud("fbp", em="y@example.com")))
    rep = report(sc)
    assert found(rep, "unhashed_pii", field="em") == 1
    row = [r for r in rep["lint"] if r["rule"] == "unhashed_pii"][0]
    assert row["examples"] == ["event_id=inside"] and row["share"] == 1.0


def test_lint_csv_cells_cannot_start_a_formula(sc, capsys):
    # Ids and names come from the tracked site and the shop: a spreadsheet must not run them as formulas.
    sc.order("=1+1", "2026-10-01T09:00:00", channel="@SUM(A1)")
    sc.server(sev("Purchase", "2026-10-01T09:01:00", '=HYPERLINK("http://x")', ud("fbp", em="a@b.com"),
                  custom_data={"value": -3.0, "currency": "USD"}),
              sev("+Lead\x00", "2026-10-01T09:02:00", "\tev", ud("fbp", em="a@b.com")))
    sc.ingest()
    assert main(["--db", str(sc.db), "lint", "--since", DAY, "--until", DAY]) == 0
    assert main(["--db", str(sc.db), "lint", "--reconciliation", "--since", DAY, "--until", DAY]) == 0
    out = capsys.readouterr().out
    assert "\x00" not in out
    cells = [c for row in csv.reader(io.StringIO(out)) for c in row]
    assert not [c for c in cells if c.startswith(("=", "+", "@", "\t", "\r")) or
                (c.startswith("-") and c not in ("-3.0",))]
    assert {"'=HYPERLINK(\"http://x\")", "'+Lead", "'\tev", "'=1+1"} <= set(cells)
    assert "-3.0" in cells                        # a negative server value stays a number
