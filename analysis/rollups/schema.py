"""The rollup tables: what the store keeps beside the canonical events so that no view rebuilds the audit.

Grain: pixel × event name × side × 15-minute UTC bucket. Every IANA offset is a whole number of quarter
hours (+05:30, +05:45, −09:30 included), so a local day, an hour or any window whose edges are
quarter hours is an exact range of buckets: a metric over a range is Σ numerators / Σ denominators.

Pairing state (per event_id) sits beside them: it is what lets one more file recompute only the keys
and buckets it touches.
"""
from __future__ import annotations

from analysis.normalize import USER_DATA_KEYS

BUCKET_MINUTES = 15
# The events the audit counts: server requests Meta accepted without a test code; what the pixel sent.
COUNTED_SERVER = "NOT rejected AND test_event_code IS NULL"
COUNTED_BROWSER = "source <> 'mirror'"


def name_fold_sql(col: str) -> str:
    """An event name with case and whitespace ignored: `purchase` and ` Purchase` fold alike (name mismatches)."""
    return f"lower(regexp_replace({col}, '\\s', '', 'g'))"


def bucket_sql(col: str) -> str:
    """The 15-minute UTC bucket of a naive-UTC timestamp column (aligned on quarter hours)."""
    return f"time_bucket(INTERVAL {BUCKET_MINUTES} MINUTE, {col})"


_KEY_COLS = ",\n    ".join(f"p_{k} BIGINT NOT NULL, v_{k} BIGINT NOT NULL" for k in USER_DATA_KEYS)

DDL = f"""
-- One row per pairing key (pixel, exact event name, event_id) with counted copies on either side.
CREATE TABLE IF NOT EXISTS pair_keys (
    pixel_id       VARCHAR,
    event_name     VARCHAR NOT NULL,
    event_id       VARCHAR NOT NULL,
    first_at       TIMESTAMP NOT NULL,     -- its earliest and latest counted copies: a window holds the key when
    last_at        TIMESTAMP NOT NULL,     -- one of them is inside (else, rarely, a copy between them is)
    has_server     BOOLEAN NOT NULL,
    has_browser    BOOLEAN NOT NULL,
    matched        BOOLEAN NOT NULL,       -- a browser and a server cluster start within the pairing window
    reused_server  BOOLEAN NOT NULL,       -- more than one cluster, or more than one order, on that side
    reused_browser BOOLEAN NOT NULL,
    name_mismatch  BOOLEAN NOT NULL,       -- (server key) a browser copy named alike but for case/space
    mm_first       TIMESTAMP,              -- the mismatch's copies, both names: first and last
    mm_last        TIMESTAMP,
    matched_at     TIMESTAMP,              -- the start of the earliest server cluster that paired (trends count
    mismatch_at    TIMESTAMP               -- a pairing once, there), and the same for a name mismatch
);
-- Copies that are not the first of their cluster (the repeats); every other counted copy is a first copy.
CREATE TABLE IF NOT EXISTS pair_repeats (
    side       VARCHAR NOT NULL,
    event_uid  VARCHAR NOT NULL,
    pixel_id   VARCHAR,
    event_id   VARCHAR NOT NULL
);
-- Counted events (server: not rejected, no test_event_code; browser: what the pixel sent, not the mirror).
CREATE TABLE IF NOT EXISTS rollup_events (
    pixel_id    VARCHAR,
    event_name  VARCHAR NOT NULL,
    side        VARCHAR NOT NULL,          -- server, browser
    bucket      TIMESTAMP NOT NULL,
    n           BIGINT NOT NULL,           -- counted events
    lint_n      BIGINT NOT NULL,           -- the lint population (server: rejected and test-coded too)
    with_id     BIGINT NOT NULL,           -- counted events with a non-empty event_id
    matched     BIGINT NOT NULL,           -- counted events whose key paired
    repeats     BIGINT NOT NULL,           -- counted copies after the first of their cluster
    website     BIGINT NOT NULL,           -- action_source = website (server)
    opt_out     BIGINT NOT NULL,
    ldu         BIGINT NOT NULL,
    {_KEY_COLS}
);
-- Website server events per identifier pattern: any EMQ weights (the defaults, a calibration) apply here.
CREATE TABLE IF NOT EXISTS rollup_emq (
    pixel_id    VARCHAR,
    event_name  VARCHAR NOT NULL,
    bucket      TIMESTAMP NOT NULL,
    invalid     BOOLEAN NOT NULL,          -- Meta's baseline rule (present keys only from an invalid set)
    mask        INTEGER NOT NULL,          -- bit i: USER_DATA_KEYS[i] well-formed
    present     INTEGER NOT NULL,          -- bit i: USER_DATA_KEYS[i] present
    n           BIGINT NOT NULL
);
-- Lint hits of the rules that need only the events themselves and their pairing.
CREATE TABLE IF NOT EXISTS rollup_lint (
    pixel_id    VARCHAR,
    event_name  VARCHAR NOT NULL,
    side        VARCHAR NOT NULL,
    bucket      TIMESTAMP NOT NULL,
    rule        VARCHAR NOT NULL,
    severity    VARCHAR NOT NULL,
    field       VARCHAR,
    diagnosis   VARCHAR,
    hits        BIGINT NOT NULL,           -- distinct events
    examples    VARCHAR[]                  -- the smallest example ids of the bucket (enough for any window)
);
-- Distinct events each rule hit (an event hit on several fields counts once): trends compare these.
CREATE TABLE IF NOT EXISTS rollup_rule_hits (
    pixel_id    VARCHAR,
    event_name  VARCHAR NOT NULL,
    side        VARCHAR NOT NULL,
    bucket      TIMESTAMP NOT NULL,
    rule        VARCHAR NOT NULL,
    hits        BIGINT NOT NULL
);
-- The settings the rollups were built with (a changed one makes them stale until `capi-audit rebuild`).
CREATE TABLE IF NOT EXISTS rollup_state (
    settings   JSON NOT NULL,
    built_at   TIMESTAMP NOT NULL
);
"""

TABLES = ("rollup_events", "rollup_emq", "rollup_lint", "rollup_rule_hits")
STATE_TABLES = ("pair_keys", "pair_repeats")
