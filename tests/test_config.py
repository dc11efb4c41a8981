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


@pytest.mark.parametrize("text, variable", [
    ('[meta]\naccess_token = "EAABsecret123"\n', "META_ACCESS_TOKEN"),
    ('[meta]\napp_secret = "EAABsecret123"\n', "META_APP_SECRET"),
    ('SHOPIFY_ACCESS_TOKEN = "EAABsecret123"\n', "SHOPIFY_ACCESS_TOKEN"),
    ('[woocommerce]\nkey = "EAABsecret123"\n', "WOOCOMMERCE_KEY"),
    ('[woocommerce]\nsecret = "EAABsecret123"\n', "WOOCOMMERCE_SECRET"),
    ('[serve]\npassword = "EAABsecret123"\n', "CAPI_AUDIT_PASSWORD"),
    ('notify_url = "https://hooks.slack.com/services/T/B/EAABsecret123"\n', "CAPI_AUDIT_NOTIFY_URL"),
])
def test_a_secret_in_the_settings_file_is_refused(tmp_path, capsys, text, variable):
    toml = tmp_path / "s.toml"
    toml.write_text(text)
    assert main(["--config", str(toml), "config"]) == 2
    captured = capsys.readouterr()
    line = " ".join(captured.err.split())
    assert f"set the environment variable {variable} instead" in line and str(toml) in line
    assert captured.err.count("\n") == 1 and "EAABsecret123" not in captured.out + captured.err


def test_config_shows_secrets_only_as_set(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("META_ACCESS_TOKEN", "EAABsecret123")
    monkeypatch.delenv("SHOPIFY_ACCESS_TOKEN", raising=False)
    (tmp_path / "capi-audit.toml").write_text('[meta]\naccess_tokn = "EAABsecret456"\n')   # misspelt: unknown
    cfg = config.load(env={"META_ACCESS_TOKEN": "EAABsecret123"})
    rows = {name: (value, source) for name, value, source in config.describe(cfg)}
    assert rows["META_ACCESS_TOKEN"] == ("set (value not shown)", "environment (secret)")
    assert rows["SHOPIFY_ACCESS_TOKEN"][0] == "not set"
    assert rows["meta.access_tokn"][0] == "(not shown: not a known setting)"
    assert main(["config"]) == 0
    captured = capsys.readouterr()
    assert "META_ACCESS_TOKEN" in captured.out and "EAABsecret" not in captured.out + captured.err


def test_wrong_types_and_unreadable_files_name_the_file_and_setting(tmp_path, capsys):
    typed = tmp_path / "typed.toml"
    typed.write_text('[discrepancy]\nthreshold = "high"\n')
    with pytest.raises(config.ConfigError, match=r"typed.toml: setting `discrepancy.threshold` must be a number"):
        config.load(typed, env={})
    whole = tmp_path / "whole.toml"
    whole.write_text('[discrepancy]\nmin_orders = 2.5\nthreshold = 1\n')
    with pytest.raises(config.ConfigError, match=r"`discrepancy.min_orders` must be a whole number"):
        config.load(whole, env={})
    whole.write_text('[discrepancy]\nthreshold = 1\n')
    assert config.load(whole, env={})["discrepancy.threshold"] == 1.0     # an integer where a number goes
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00\x01timezone = 1\n")
    with pytest.raises(config.ConfigError, match=r"binary.toml is not a UTF-8 text file"):
        config.load(binary, env={})
    with pytest.raises(config.ConfigError, match=r"is not a file"):
        config.load(tmp_path, env={})
    for path in (typed, binary, tmp_path):
        assert main(["--config", str(path), "config"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 3 and "Traceback" not in err


def test_unknown_names_are_warned_with_a_suggestion(tmp_path, capsys, monkeypatch):
    toml = tmp_path / "s.toml"
    toml.write_text('timzone = "Europe/Paris"\n[discrepancy]\ntreshold = 0.2\n')
    cfg = config.load(toml, env={"CAPI_AUDIT_DISCREPANCY__THRESHHOLD": "0.3", "CAPI_AUDIT_CONFIG": str(toml),
                                 "CAPI_AUDIT_PASSWORD": "x"})
    assert cfg["timezone"] == "UTC" and cfg["discrepancy.threshold"] == 0.15
    assert cfg.warnings == [
        f"{toml}: `timzone` is not a capi-audit setting and is ignored. Did you mean `timezone`?",
        f"{toml}: `discrepancy.treshold` is not a capi-audit setting and is ignored. "
        "Did you mean `discrepancy.threshold`?",
        "environment: `CAPI_AUDIT_DISCREPANCY__THRESHHOLD` is not a capi-audit setting and is ignored. "
        "Did you mean `CAPI_AUDIT_DISCREPANCY__THRESHOLD`?"]
    monkeypatch.setenv("CAPI_AUDIT_TIMEZON", "UTC")
    assert main(["--config", str(toml), "config"]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "warning" in err and "Did you mean `timezone`?" in err and "Did you mean `CAPI_AUDIT_TIMEZONE`?" in err


def test_priority_events_and_single_values_where_a_list_goes(tmp_path):
    toml = tmp_path / "s.toml"
    toml.write_text('[priority_events]\nPurchase = { tier = "high", target = 8.0 }\n')
    with pytest.raises(config.ConfigError, match=r"s.toml: setting `priority_events.Purchase` must be a table"):
        config.load(toml, env={})
    toml.write_text('[priority_events]\nPurchase = 8\n')
    with pytest.raises(config.ConfigError, match=r"`priority_events.Purchase`"):
        config.load(toml, env={})
    with pytest.raises(config.ConfigError, match=r"CAPI_AUDIT_PRIORITY_EVENTS: setting `priority_events` must be a table"):
        config.load(env={"CAPI_AUDIT_PRIORITY_EVENTS": '["Purchase"]'})
    toml.write_text('[priority_events]\nPurchase = { tier = 1 }\n[meta]\npixels = "123"\n')
    cfg = config.load(toml, env={})
    assert cfg["priority_events"] == {"Purchase": {"tier": 1}} and cfg["meta.pixels"] == ["123"]


def test_memory_limit_is_a_size_and_reaches_every_writer(tmp_path):
    from analysis import store

    assert config.load(None, env={})["memory_limit"] == "2GB"
    with pytest.raises(config.ConfigError, match=r"CAPI_AUDIT_MEMORY_LIMIT: setting `memory_limit` must be a size like"):
        config.load(None, env={"CAPI_AUDIT_MEMORY_LIMIT": "lots"})
    cfg = config.load(None, env={"CAPI_AUDIT_MEMORY_LIMIT": "512MB"})
    try:
        store.set_memory_limit(cfg["memory_limit"])
        with store.writer(tmp_path / "a.duckdb") as con:
            assert store.scalar(con, "SELECT current_setting('memory_limit')") == "488.2 MiB"
    finally:
        store.set_memory_limit(store.MEMORY_LIMIT)
    with store.writer(tmp_path / "a.duckdb") as con:
        assert store.scalar(con, "SELECT current_setting('memory_limit')") == "1.8 GiB"


def test_read_memory_limit_is_a_size_and_reaches_every_reader(tmp_path):
    from analysis import store

    assert config.load(None, env={})["read_memory_limit"] == "1536MB"
    with pytest.raises(config.ConfigError, match=r"setting `read_memory_limit` must be a size like"):
        config.load(None, env={"CAPI_AUDIT_READ_MEMORY_LIMIT": "plenty"})
    with store.writer(tmp_path / "a.duckdb"):
        pass
    cfg = config.load(None, env={"CAPI_AUDIT_READ_MEMORY_LIMIT": "512MB"})
    try:
        store.configure(cfg)
        with store.reader(tmp_path / "a.duckdb") as con:
            assert store.scalar(con, "SELECT current_setting('memory_limit')") == "488.2 MiB"
    finally:
        store.configure(config.load(None, env={}))
    with store.reader(tmp_path / "a.duckdb") as con:
        assert store.scalar(con, "SELECT current_setting('memory_limit')") == "1.4 GiB"
