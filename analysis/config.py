"""Settings: defaults in code, overridden by an optional capi-audit.toml, then by the environment."""
from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Setting:
    """One setting: its dotted name, default, and what it is for."""

    name: str
    default: Any
    help: str

    @property
    def env(self) -> str:
        return "CAPI_AUDIT_" + self.name.upper().replace(".", "__")


DEFAULT_PRIORITY_EVENTS: dict[str, dict[str, float]] = {
    # tier 1 targets 8, tier 2 targets 6.5 (reference §8: practitioners' targets).
    "Purchase": {"tier": 1, "target": 8.0},
    "Lead": {"tier": 1, "target": 8.0},
    "CompleteRegistration": {"tier": 1, "target": 8.0},
    "AddToCart": {"tier": 2, "target": 6.5},
    "InitiateCheckout": {"tier": 2, "target": 6.5},
}

SETTINGS: tuple[Setting, ...] = (
    Setting("db", "data/capi_audit.duckdb", "DuckDB database file (also --db)."),
    Setting("timezone", "UTC", "Time zone for calendar days in reports (also --tz)."),
    Setting("lock_timeout", 60.0, "Seconds a writer waits for another capi-audit process to release the database."),
    Setting("default_country", "", "ISO country assumed for order phones without a country (empty: none)."),
    Setting("priority_events", DEFAULT_PRIORITY_EVENTS, "Priority events with tier (1-3) and EMQ target."),
    Setting("pixels", {}, "Shop name -> list of pixel ids, for orders without a pixel_id column."),
    Setting("orders.map", {}, "Column map for orders CSVs: canonical name -> your column (also --map)."),
    Setting("order_key_regex", r"^(?:order[-_]|#)", "Regex removed from an event_id to find its order id."),
    Setting("dedup.window_hours", 48, "Pairing window for browser/server copies (Meta: 48 h)."),
    Setting("discrepancy.event_name", "Purchase", "Event compared with backend orders."),
    Setting("discrepancy.threshold", 0.15, "A day's |gap| above this is flagged."),
    Setting("discrepancy.min_orders", 10, "Days with fewer eligible orders are never flagged."),
    Setting("report.days", 30, "Default report window length in days."),
    Setting("lint.server_ip_share", 0.05, "server_ip_as_client_ip: one IP behind at least this share of a day's events…"),
    Setting("lint.server_ip_min_fbp", 20, "…that carry at least this many distinct fbp."),
    Setting("lint.server_user_agents", [
        "python-requests", "python-httpx", "python-urllib", "aiohttp", "Go-http-client", "curl/", "Wget",
        "axios", "node-fetch", "undici", "got (", "okhttp", "Java/", "Apache-HttpClient", "GuzzleHttp",
        "Guzzle", "WordPress/", "PostmanRuntime", "libwww-perl", "Ruby", "Faraday", "RestSharp",
        "facebook-php-business-sdk", "fbbizsdk"],
        "server_user_agent: substrings (case-insensitive) of HTTP libraries' user agents."),
    Setting("lint.fbclid_lowercase_min_length", 20, "fbc_case_modified heuristic: an all-lowercase fbclid at least this long."),
    Setting("lint.value_tolerance", 0.01, "value_mismatch: relative difference allowed between Purchase value and order total."),
    Setting("lint.examples", 5, "Example ids per lint row in the report."),
    Setting("reconciliation.rows", 500, "Order-level reconciliation rows kept in the report (the CLI exports all)."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass
class Config:
    """Resolved settings with the source of each value (default, file path or env var)."""

    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    path: Path | None = None

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def override(self, name: str, value: Any, source: str) -> None:
        self.values[name] = value
        self.sources[name] = source


class ConfigError(Exception):
    """A settings file or variable the user must fix."""


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        # Tables that are settings themselves (mappings) stay whole; others are sections.
        if isinstance(value, dict) and name not in _BY_NAME:
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


def _coerce(setting: Setting, raw: str) -> Any:
    default = setting.default
    try:
        if isinstance(default, bool):
            return raw.strip().lower() in ("1", "true", "yes", "on")
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, (dict, list)):
            return json.loads(raw)
    except (ValueError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{setting.env} is not a valid {type(default).__name__}: {exc}. Fix or unset it.") from None
    return raw


def load(path: str | Path | None = None, env: dict[str, str] | None = None) -> Config:
    """Resolve every setting: code default < capi-audit.toml < CAPI_AUDIT_* environment variables."""
    env = dict(os.environ if env is None else env)
    cfg = Config()
    for s in SETTINGS:
        cfg.override(s.name, s.default, "default")
    explicit = path or env.get("CAPI_AUDIT_CONFIG")
    candidate = Path(explicit) if explicit else Path("capi-audit.toml")
    if candidate.is_file():
        try:
            table = tomllib.loads(candidate.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{candidate} is not valid TOML ({exc}). Fix the file or point --config elsewhere.") from None
        for name, value in _flatten(table).items():
            if name in _BY_NAME:
                cfg.override(name, value, str(candidate))
            else:
                # Unknown keys are kept (connector sections etc. read them) but marked.
                cfg.override(name, value, f"{candidate} (not a known setting)")
        cfg.path = candidate
    elif explicit:
        raise ConfigError(f"Settings file {candidate} does not exist. Create it or drop --config/CAPI_AUDIT_CONFIG.")
    for s in SETTINGS:
        if s.env in env:
            cfg.override(s.name, _coerce(s, env[s.env]), f"env {s.env}")
    return cfg


def describe(cfg: Config) -> list[tuple[str, str, str]]:
    """(name, value as text, source) for every setting, for `capi-audit config`."""
    rows = []
    for name in sorted(cfg.values):
        value = cfg.values[name]
        text = value if isinstance(value, str) else json.dumps(value)
        rows.append((name, text, cfg.sources[name]))
    return rows
