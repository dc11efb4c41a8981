-- capi-audit canonical schema. Every table the tool reads or writes, in one place.
-- Times are TIMESTAMP in UTC (naive); conversions to a report's time zone happen in queries.
-- Personal data (email, phone, names, address) appears only as SHA-256 hex hashes.

CREATE SEQUENCE IF NOT EXISTS ingestion_seq START 1;

CREATE TABLE IF NOT EXISTS ingestions (
    ingestion_id   BIGINT PRIMARY KEY,
    kind           VARCHAR NOT NULL,      -- server-events, browser-events, orders, deployments, meta-quality, meta-stats, sync:*
    path           VARCHAR NOT NULL,
    content_hash   VARCHAR,               -- sha256 of the file bytes
    size_bytes     BIGINT,
    rows_read      BIGINT NOT NULL DEFAULT 0,   -- records found in the file
    rows_loaded    BIGINT NOT NULL DEFAULT 0,   -- new rows written
    rows_duplicate BIGINT NOT NULL DEFAULT 0,   -- records already in the database (idempotent re-ingest)
    rows_rejected  BIGINT NOT NULL DEFAULT 0,
    started_at     TIMESTAMP NOT NULL,
    finished_at    TIMESTAMP,
    status         VARCHAR NOT NULL       -- ok, partial (some rejects), empty, failed
);

CREATE TABLE IF NOT EXISTS rejects (
    ingestion_id BIGINT NOT NULL,
    file         VARCHAR NOT NULL,
    line         BIGINT,                  -- 1-based line (JSONL/logs), CSV row incl. header, or record number
    reason       VARCHAR NOT NULL         -- a sentence; never the raw record
);

CREATE TABLE IF NOT EXISTS server_events (
    -- Identity: sha256(pixel, sent_at, canonical event JSON[, occurrence]). Unique by construction: the
    -- single writer inserts only unseen identities. No index: an ART index on millions of hashes costs
    -- more to maintain (≈2.6 s per million inserts) and to hold in memory than the anti-join does.
    event_uid          VARCHAR NOT NULL,
    request_uid        VARCHAR NOT NULL,
    ingestion_id       BIGINT NOT NULL,
    line               BIGINT,
    pixel_id           VARCHAR,
    sent_at            TIMESTAMP,
    response_status    INTEGER,
    rejected           BOOLEAN NOT NULL,    -- Meta refused the whole request
    error_code         INTEGER,
    error_subcode      INTEGER,
    test_event_code    VARCHAR,
    partner_agent      VARCHAR,
    event_name         VARCHAR NOT NULL,
    event_time         TIMESTAMP NOT NULL,
    event_time_unit    VARCHAR NOT NULL,    -- s, ms or us: how the sender wrote it
    event_id           VARCHAR,
    action_source      VARCHAR,
    event_source_url   VARCHAR,
    referrer_url       VARCHAR,
    opt_out            BOOLEAN,
    ldu                BOOLEAN,             -- data_processing_options contains LDU
    value              DOUBLE,
    currency           VARCHAR,
    order_id           VARCHAR,
    content_type       VARCHAR,
    num_content_ids    INTEGER,
    -- user_data: for every key, *_p = a non-empty value is present, *_v = well-formed as received.
    -- Must-hash keys keep the hashes; a plaintext value is flagged (*_plain) and hashed here.
    em VARCHAR[], em_p BOOLEAN, em_v BOOLEAN, em_plain BOOLEAN,
    ph VARCHAR[], ph_p BOOLEAN, ph_v BOOLEAN, ph_plain BOOLEAN,
    fn VARCHAR[], fn_p BOOLEAN, fn_v BOOLEAN, fn_plain BOOLEAN,
    ln VARCHAR[], ln_p BOOLEAN, ln_v BOOLEAN, ln_plain BOOLEAN,
    ge VARCHAR[], ge_p BOOLEAN, ge_v BOOLEAN, ge_plain BOOLEAN,
    db VARCHAR[], db_p BOOLEAN, db_v BOOLEAN, db_plain BOOLEAN,
    ct VARCHAR[], ct_p BOOLEAN, ct_v BOOLEAN, ct_plain BOOLEAN,
    st VARCHAR[], st_p BOOLEAN, st_v BOOLEAN, st_plain BOOLEAN,
    zp VARCHAR[], zp_p BOOLEAN, zp_v BOOLEAN, zp_plain BOOLEAN,
    country VARCHAR[], country_p BOOLEAN, country_v BOOLEAN, country_plain BOOLEAN,
    external_id VARCHAR[], external_id_p BOOLEAN, external_id_v BOOLEAN,
    client_ip_address VARCHAR, client_ip_address_p BOOLEAN, client_ip_address_v BOOLEAN,
    client_user_agent VARCHAR, client_user_agent_p BOOLEAN, client_user_agent_v BOOLEAN,
    fbc VARCHAR, fbc_p BOOLEAN, fbc_v BOOLEAN,
    fbp VARCHAR, fbp_p BOOLEAN, fbp_v BOOLEAN
);

CREATE TABLE IF NOT EXISTS browser_events (
    event_uid          VARCHAR NOT NULL,     -- identity: sha256(pixel, name, id, time ms, url, occurrence); unique as above
    ingestion_id       BIGINT NOT NULL,
    line               BIGINT,
    source             VARCHAR NOT NULL,     -- har, pixel_log, jsonl, mirror
    pixel_id           VARCHAR,
    event_name         VARCHAR NOT NULL,
    event_id           VARCHAR,
    event_time         TIMESTAMP NOT NULL,
    received_at        TIMESTAMP,
    event_source_url   VARCHAR,
    referrer_url       VARCHAR,
    fbp                VARCHAR,
    fbc                VARCHAR,
    client_user_agent  VARCHAR,
    client_ip_address  VARCHAR,
    value              DOUBLE,
    currency           VARCHAR,
    order_id           VARCHAR,
    user_data_keys     VARCHAR[],            -- advanced-matching keys present (values hashed or dropped)
    em                 VARCHAR,              -- hashes only
    ph                 VARCHAR
);

CREATE TABLE IF NOT EXISTS orders (
    order_id      VARCHAR PRIMARY KEY,
    alt_id        VARCHAR,                   -- e.g. Shopify's numeric Id, matched too
    pixel_id      VARCHAR,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP,
    total         DOUBLE NOT NULL,
    currency      VARCHAR,
    status        VARCHAR NOT NULL,
    channel       VARCHAR NOT NULL,
    test          BOOLEAN NOT NULL,
    customer_id   VARCHAR,
    country_code  VARCHAR,                   -- ISO alpha-2 of the billing country (not personal on its own)
    pii_digest    VARCHAR,                   -- sha256 over the order's hashes: a changed email is a changed order
    ingestion_id  BIGINT NOT NULL
);

-- Correct hashes of an order's personal fields and the hashes common sender mistakes produce.
CREATE TABLE IF NOT EXISTS order_hashes (
    order_id  VARCHAR NOT NULL,
    key       VARCHAR NOT NULL,              -- em, ph, fn, ln, ct, st, zp, country, external_id
    variant   VARCHAR NOT NULL,              -- correct, not_lowercased, not_trimmed, missing_country_code, double_hashed
    hash      VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS deployments (
    deployed_at   TIMESTAMP NOT NULL,
    name          VARCHAR NOT NULL,
    description   VARCHAR,
    component     VARCHAR,
    pixel_id      VARCHAR,                   -- NULL: all pixels
    ingestion_id  BIGINT,
    PRIMARY KEY (deployed_at, name)
);

CREATE TABLE IF NOT EXISTS meta_quality_snapshots (
    pixel_id      VARCHAR NOT NULL,
    fetched_at    TIMESTAMP NOT NULL,
    agent_name    VARCHAR,
    response      JSON NOT NULL,             -- the whole response (aggregate figures; no personal data)
    ingestion_id  BIGINT,
    PRIMARY KEY (pixel_id, fetched_at)
);

CREATE TABLE IF NOT EXISTS meta_quality_events (
    pixel_id           VARCHAR NOT NULL,
    fetched_at         TIMESTAMP NOT NULL,
    event_name         VARCHAR NOT NULL,
    composite_score    DOUBLE,
    event_coverage_pct DOUBLE,
    acr_pct            DOUBLE,
    PRIMARY KEY (pixel_id, fetched_at, event_name)
);

CREATE TABLE IF NOT EXISTS meta_quality_match_keys (
    pixel_id      VARCHAR NOT NULL,
    fetched_at    TIMESTAMP NOT NULL,
    event_name    VARCHAR NOT NULL,
    identifier    VARCHAR NOT NULL,          -- Meta's long names: email, phone, ip_address, ...
    coverage_pct  DOUBLE,
    PRIMARY KEY (pixel_id, fetched_at, event_name, identifier)
);

CREATE TABLE IF NOT EXISTS meta_stats (
    pixel_id      VARCHAR NOT NULL,
    aggregation   VARCHAR NOT NULL,
    event_source  VARCHAR NOT NULL,          -- SERVER_ONLY, WEB_ONLY, ALL
    hour          TIMESTAMP NOT NULL,
    value         VARCHAR NOT NULL,          -- the event name for aggregation=event
    count         BIGINT NOT NULL,
    fetched_at    TIMESTAMP,
    ingestion_id  BIGINT,
    PRIMARY KEY (pixel_id, aggregation, event_source, hour, value)
);

CREATE TABLE IF NOT EXISTS sync_state (
    source      VARCHAR PRIMARY KEY,
    cursor      VARCHAR,
    last_run_at TIMESTAMP,
    last_status VARCHAR
);

-- EMQ model weights fitted to Meta's composite_score snapshots (capi-audit calibrate).
CREATE TABLE IF NOT EXISTS emq_calibrations (
    calibrated_at TIMESTAMP NOT NULL,
    pixel_id      VARCHAR NOT NULL,
    weights       JSON NOT NULL,
    tau           DOUBLE NOT NULL,
    snapshots     INTEGER NOT NULL,
    rmse_before   DOUBLE,
    rmse_after    DOUBLE,
    PRIMARY KEY (calibrated_at, pixel_id)
);
