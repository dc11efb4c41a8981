"""Settings: defaults in code, overridden by an optional capi-audit.toml, then by the environment."""
from __future__ import annotations

import difflib
import json
import os
import re
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
    Setting("memory_limit", "2GB", "Memory DuckDB may hold while loading (ingest, sync, demo, rebuild, undo); "
            "beyond it the work spills to disk beside the database. A size like 2GB or 512MB."),
    Setting("read_memory_limit", "1536MB", "Memory DuckDB may hold while reading (report, check, lint, trace, "
            "the dashboard); beyond it the work spills to disk. A size like 1536MB or 4GB."),
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
    Setting("serve.max_upload_mb", 200, "serve: largest file the dashboard's upload box takes, in MB (larger: ingest from a shell)."),
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
    Setting("retention_days", 0, "Days of events, orders, quality snapshots and stats kept: `purge` and every "
            "ingest/sync remove older ones (0: keep everything)."),
    Setting("reconciliation.rows", 500, "Order-level reconciliation rows kept in the report (the CLI exports all)."),
    # Live sources (capi-audit sync). Secrets come only from the environment: META_ACCESS_TOKEN,
    # META_APP_SECRET, SHOPIFY_ACCESS_TOKEN, WOOCOMMERCE_KEY, WOOCOMMERCE_SECRET.
    Setting("meta.pixels", [], "sync: pixel (dataset) ids whose Dataset Quality and /stats are fetched."),
    Setting("meta.graph_version", "v24.0", "sync: Graph API version."),
    Setting("meta.agent_name", "", "sync: Dataset Quality for one partner_agent only (empty: all)."),
    Setting("meta.ad_accounts", [], "sync meta-insights: ad account ids (act_…) whose daily spend and purchases are fetched."),
    Setting("meta.purchase_action_types", ["purchase", "offsite_conversion.fb_pixel_purchase"],
            "meta-insights: action types that count as purchases; the first one a day reports wins (never summed)."),
    Setting("shopify.shop", "", "sync: the shop, your-store.myshopify.com."),
    Setting("shopify.api_version", "2026-10", "sync: Shopify Admin API version."),
    Setting("woocommerce.url", "", "sync: the WooCommerce shop's https:// address."),
    Setting("woocommerce.auth", "basic", "sync: basic (Authorization header) or query (for servers that drop it)."),
    Setting("sync.initial_days", 90, "sync: days of orders a first sync fetches (later ones continue from the cursor)."),
    Setting("sync.timeout", 30.0, "sync: seconds to wait for an API's answer."),
    Setting("sync.max_retries", 4, "sync: retries of a request that can succeed later (timeouts, 429, 5xx, throttling)."),
    Setting("sync.max_wait", 600.0, "sync: longest wait an API may ask for; longer ones stop the source until the next run."),
    # capi-audit check (the monthly health check); every comparison is with the equal-length window before.
    Setting("checklist.emq_fail", 6.0, "emq: any priority event below this EMQ fails (below target warns)."),
    Setting("checklist.emq_drop", 1.0, "emq: an EMQ drop larger than this vs the previous window warns."),
    Setting("checklist.volume_fail_days", 3, "volume: this many flagged discrepancy days fail (1 or more warn)."),
    Setting("checklist.repeats_max", 0.01, "dedup: server repeats above this share of server events warn."),
    Setting("checklist.overlap_drop", 0.10, "dedup: an overlap drop larger than this vs the previous window warns."),
    Setting("checklist.name_mismatch_max", 0.01, "dedup: name mismatches above this share of browser events fail (any warns)."),
    Setting("checklist.event_id_min", 0.90, "dedup: event_id presence below this on a side of an event both sides send fails."),
    Setting("checklist.coverage_keys", ["em", "ph", "fbp", "fbc"], "coverage: identifiers compared with the previous window."),
    Setting("checklist.coverage_warn_drop", 0.05, "coverage: a drop larger than this warns…"),
    Setting("checklist.coverage_fail_drop", 0.15, "…and larger than this fails."),
    Setting("checklist.fbp_min", 0.8, "privacy: fbp coverage of priority events below this warns."),
    # Deployments (before/after) and suspected breaks (daily steps) share these bars.
    Setting("deployments.window_days", 7, "deployments: days compared before and after, cut at neighbouring deployments (at most 7: the report reads 7 days past its edges)."),
    Setting("deployments.min_days", 3, "deployments: a metric is compared only with this many days with data on each side…"),
    Setting("deployments.min_events", 100, "…and this many events (the metric's denominator) on each side."),
    Setting("deployments.share_drop", 0.10, "deployments: a share regressed when worse by at least this (absolute)…"),
    Setting("deployments.z", 4.0, "…and by at least this many standard errors of the difference."),
    Setting("deployments.emq_drop", 1.0, "deployments: emq_estimate regressed when lower by at least this."),
    Setting("deployments.gap_rise", 0.15, "deployments: discrepancy.gap regressed when |gap| grows by at least this."),
    Setting("deployments.name_mismatch_share", 0.01, "deployments: name mismatches rising from 0 to this share of browser events regress."),
    Setting("breaks.min_day_events", 10, "breaks: days with fewer events (the metric's denominator) never start or support a break."),
    Setting("breaks.new_level_days", 3, "breaks: days at the new level needed (the first day and the next ones)."),
    Setting("breaks.quiet_days", 2, "breaks: a step within this many days of a deployment is the deployment's, not a break."),
    # CPA jumps (sync meta-insights): a sudden rise next to a pairing or volume change is a tracking signal.
    Setting("cpa.rise", 0.30, "cpa: a CPA jump is a rise of at least this share, 3 days after vs the 3 days before…"),
    Setting("cpa.min_spend", 100.0, "…with at least this spend (the ad account's currency) on each side."),
    Setting("cpa.near_days", 2, "cpa: a pairing or volume change this many days from the jump coincides with it."),
    Setting("cpa.volume_change", 0.30, "cpa: server Purchase volume changed when it moves by this share of the "
            "larger 3-day side (dedup overlap and the discrepancy gap use the deployments' bars)."),
    # Scale-out (capi-audit rollup): the engine that computes the rollups from a Parquet lake.
    Setting("engine", "duckdb", "rollup: the engine computing the rollups from the lake: duckdb or pyspark "
            "(bigquery, snowflake, databricks: SQL compiled, not run; also --engine)."),
    Setting("lake", "", "rollup and sync: the Parquet lake (written by `capi-audit export parquet DIR`) the engine "
            "reads: a folder, or for pyspark an address (s3a://…) (also --lake); set, `sync` runs the rollups of its "
            "new days."),
    Setting("events_map", "", "rollup and sync: an events map (TOML file, or a shipped one by name: sgtm-bigquery) "
            "naming tables of another shape as the server or browser events (also --events-map)."),
    Setting("spark.master", "local[2]", "rollup --engine pyspark: the Spark master (local[N], spark://host:7077, yarn)."),
    Setting("spark.shuffle_partitions", 4, "rollup --engine pyspark: spark.sql.shuffle.partitions (raise it on a cluster)."),
    Setting("spark.driver_memory", "1g", "rollup --engine pyspark: spark.driver.memory of a session capi-audit starts."),
    # Alerts (capi-audit check). The URL is a credential: shown only as scheme://host/… (see redact_url).
    Setting("notify_url", "", "check: Slack-compatible incoming webhook that failing and warning items are posted to "
            "(also --notify; env CAPI_AUDIT_NOTIFY_URL; empty: no alert)."),
)

# Settings whose value is a credential-bearing URL: never printed past the host.
SECRET_URLS = frozenset({"notify_url"})

# Secrets are read only from these environment variables, never from a settings file (files get copied,
# shared and committed). `capi-audit config` says whether each is set, never its value.
SECRET_ENV = ("META_ACCESS_TOKEN", "META_APP_SECRET", "SHOPIFY_ACCESS_TOKEN", "WOOCOMMERCE_KEY",
              "WOOCOMMERCE_SECRET", "CAPI_AUDIT_PASSWORD")
# CAPI_AUDIT_* variables that are not settings (so not reported as unknown).
OTHER_ENV = frozenset({"CAPI_AUDIT_CONFIG", "CAPI_AUDIT_PASSWORD", "CAPI_AUDIT_CHROMIUM"})
# A name that says it holds a credential, whatever section it is in.
_SECRETISH = re.compile(r"(?:token|secret|password|passwd|api_?key|private_?key)$", re.IGNORECASE)

# A size as DuckDB's memory_limit takes it.
MEMORY_SIZE = re.compile(r"\s*[0-9]+(?:\.[0-9]+)?\s*(?:[KMGT]i?B)\s*", re.IGNORECASE)
_BY_NAME = {s.name: s for s in SETTINGS}
_KINDS = ((bool, "true or false"), (int, "a whole number"), (float, "a number"), (str, "a string"),
          (list, "a list"), (dict, "a table"))


@dataclass
class Config:
    """Resolved settings with the source of each value (default, file path or env var)."""

    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    warnings: list[str] = field(default_factory=list)      # unknown setting names, for the caller to show
    secrets_set: dict[str, bool] = field(default_factory=dict)

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


def _kind(value: Any) -> str:
    return next((text for t, text in _KINDS if isinstance(value, t)), type(value).__name__)


def _checked(setting: Setting, value: Any, where: str) -> Any:
    """A value from a file or variable (`where`), of its setting's type (an int where a float goes is fine)."""
    default = setting.default
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(default, list) and isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return [value]                      # `pixels = "123"`: a single value where a list goes
    if setting.name == "priority_events" and isinstance(value, dict):
        for event, spec in value.items():
            tier, target = (spec.get("tier", 3), spec.get("target", 0.0)) if isinstance(spec, dict) else (None, None)
            if (type(tier) is not int or tier not in (1, 2, 3) or isinstance(target, bool)
                    or not isinstance(target, (int, float))):
                raise ConfigError(f"{where}: setting `priority_events.{event}` must be a table like "
                                  "{ tier = 1, target = 8.0 } (tier 1 to 3, target a number). Fix it there.")
    if setting.name in ("memory_limit", "read_memory_limit") and isinstance(value, str) and not MEMORY_SIZE.fullmatch(value):
        raise ConfigError(f"{where}: setting `{setting.name}` must be a size like \"2GB\" or \"512MB\", not "
                          f"{json.dumps(value)}. Fix it there.")
    same = isinstance(value, bool) if isinstance(default, bool) else (
        isinstance(value, type(default)) and not isinstance(value, bool))
    if not same:
        raise ConfigError(f"{where}: setting `{setting.name}` must be {_kind(default)} (like {json.dumps(default)}), "
                          f"not {_kind(value)}. Fix it there.")
    return value


def _has_credential(url: str) -> bool:
    """A URL with a user:password, a path past the host or a query (a webhook's token lives there)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url.strip())
        return bool(parts.username or parts.password or parts.path not in ("", "/") or parts.query)
    except ValueError:
        return True


def _secret_env(name: str, value: Any) -> str | None:
    """The environment variable a secret found in a settings file belongs in, or None when it is no secret."""
    if name in SECRET_URLS:
        return f"CAPI_AUDIT_{name.upper()}" if isinstance(value, str) and value and _has_credential(value) else None
    if name in _BY_NAME:                    # every other known setting is no secret, whatever its name
        return None
    flat = name.replace(".", "_").upper()
    if flat in SECRET_ENV:
        return flat
    last = name.rsplit(".", 1)[-1]
    if not _SECRETISH.search(last) and not (name.startswith("woocommerce.") and last.lower() == "key"):
        return None
    section = name.split(".", 1)[0].lower() if "." in name else ""
    if "pass" in last.lower():
        return "CAPI_AUDIT_PASSWORD"
    if section == "meta":
        return "META_APP_SECRET" if "secret" in last.lower() else "META_ACCESS_TOKEN"
    if section == "shopify":
        return "SHOPIFY_ACCESS_TOKEN"
    if section == "woocommerce":
        return "WOOCOMMERCE_SECRET" if "secret" in last.lower() else "WOOCOMMERCE_KEY"
    return " or ".join(SECRET_ENV)


def _unknown(name: str, known: list[str], where: str) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f" Did you mean `{close[0]}`?" if close else " `capi-audit config` lists every setting."
    return f"{where}: `{name}` is not a capi-audit setting and is ignored.{hint}"


def _read(candidate: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(candidate.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{candidate} is not valid TOML ({exc}). Fix the file or point --config elsewhere.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{candidate} is not a UTF-8 text file (TOML must be). Save it as UTF-8 or point "
                          "--config elsewhere.") from None
    except OSError as exc:
        raise ConfigError(f"Cannot read the settings file {candidate} ({exc.strerror or exc}). "
                          "Fix its permissions or point --config elsewhere.") from None


def load(path: str | Path | None = None, env: dict[str, str] | None = None) -> Config:
    """Resolve every setting: code default < capi-audit.toml < CAPI_AUDIT_* environment variables."""
    env = dict(os.environ if env is None else env)
    cfg = Config()
    for s in SETTINGS:
        cfg.override(s.name, s.default, "default")
    explicit = path or env.get("CAPI_AUDIT_CONFIG")
    candidate = Path(explicit) if explicit else Path("capi-audit.toml")
    if candidate.is_file():
        for name, value in _flatten(_read(candidate)).items():
            secret = _secret_env(name, value)
            if secret:
                # The value is never repeated: it is the secret.
                raise ConfigError(f"{candidate}: `{name}` is a secret, and secrets are not read from settings files; "
                                  f"remove it there and set the environment variable {secret} instead.")
            if name in _BY_NAME:
                cfg.override(name, _checked(_BY_NAME[name], value, str(candidate)), str(candidate))
            else:
                cfg.warnings.append(_unknown(name, list(_BY_NAME), str(candidate)))
                # Unknown keys are kept but marked (and `capi-audit config` does not show their values).
                cfg.override(name, value, f"{candidate} (not a known setting)")
        cfg.path = candidate
    elif explicit and candidate.exists():
        raise ConfigError(f"Settings file {candidate} is not a file. Point --config/CAPI_AUDIT_CONFIG at a .toml file.")
    elif explicit:
        raise ConfigError(f"Settings file {candidate} does not exist. Create it or drop --config/CAPI_AUDIT_CONFIG.")
    for s in SETTINGS:
        if s.env in env:
            cfg.override(s.name, _checked(s, _coerce(s, env[s.env]), s.env), f"env {s.env}")
    known_env = {s.env for s in SETTINGS} | OTHER_ENV
    for var in sorted(env):
        if var.startswith("CAPI_AUDIT_") and var not in known_env:
            cfg.warnings.append(_unknown(var, sorted(known_env), "environment"))
    cfg.secrets_set = {var: bool(env.get(var)) for var in SECRET_ENV}
    return cfg


def describe(cfg: Config) -> list[tuple[str, str, str]]:
    """(name, value as text, source) for every setting, for `capi-audit config`; secrets only as set or not."""
    rows = []
    for name in sorted(cfg.values):
        value = cfg.values[name]
        text = value if isinstance(value, str) else json.dumps(value)
        if name in SECRET_URLS and value:
            text = redact_url(str(value))
        if name not in _BY_NAME:
            text = "(not shown: not a known setting)"       # a misspelt secret's name must not print it
        rows.append((name, text, cfg.sources[name]))
    for var, is_set in cfg.secrets_set.items():
        rows.append((var, "set (value not shown)" if is_set else "not set", "environment (secret)"))
    return rows


def redact_url(url: str) -> str:
    """A URL that may carry a credential, as `scheme://host[:port]/…`: nothing after the host (nor any user:password
    before it) is shown."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url.strip())
        host, port = parts.hostname, parts.port
    except ValueError:
        return "(an invalid URL, not shown)"
    if not parts.scheme or not host:
        return "(a URL without scheme://host, not shown)"
    host = f"[{host}]" if ":" in host else host
    rest = "/…" if (parts.path not in ("", "/") or parts.query or parts.fragment) else ""
    return f"{parts.scheme}://{host}{f':{port}' if port else ''}{rest}"
