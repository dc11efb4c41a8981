"""Settings: code defaults < capi-audit.toml < environment; `capi-audit config` shows the source."""
from __future__ import annotations

import pytest

from analysis import config
from analysis.cli import main


def test_defaults_file_and_environment(tmp_path):
    toml = tmp_path / "capi-audit.toml"
    toml.write_text('timezone = "Europe/Paris"\n[discrepancy]\nthreshold = 0.2\nmin_orders = 5\n'
                    '[priority_events]\nPurchase = { tier = 1, target = 8.5 }\n')
    cfg = config.load(toml, env={"CAPI_AUDIT_DISCREPANCY__MIN_ORDERS": "7", "CAPI_AUDIT_DB": "/x/y.duckdb"})
    assert cfg["timezone"] == "Europe/Paris" and cfg.sources["timezone"] == str(toml)
    assert cfg["discrepancy.threshold"] == 0.2
    assert cfg["discrepancy.min_orders"] == 7 and cfg.sources["discrepancy.min_orders"] == "env CAPI_AUDIT_DISCREPANCY__MIN_ORDERS"
    assert cfg["db"] == "/x/y.duckdb"
    assert cfg["priority_events"] == {"Purchase": {"tier": 1, "target": 8.5}}
    assert cfg["report.days"] == 30 and cfg.sources["report.days"] == "default"


def test_bad_values_are_sentences(tmp_path):
    with pytest.raises(config.ConfigError, match="CAPI_AUDIT_DISCREPANCY__THRESHOLD is not a valid float"):
        config.load(env={"CAPI_AUDIT_DISCREPANCY__THRESHOLD": "lots"})
    bad = tmp_path / "bad.toml"
    bad.write_text("timezone = \n")
    with pytest.raises(config.ConfigError, match="is not valid TOML"):
        config.load(bad, env={})
    with pytest.raises(config.ConfigError, match="does not exist"):
        config.load(tmp_path / "nope.toml", env={})


def test_config_command_prints_values_and_sources(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CAPI_AUDIT_TIMEZONE", "America/New_York")
    monkeypatch.chdir(tmp_path)
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert "America/New_York" in out and "env CAPI_AUDIT_TIMEZONE" in out and "discrepancy.threshold" in out
