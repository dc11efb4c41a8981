"""Data sources: what is loaded, what was rejected and why, Meta snapshot freshness, live syncs, and an upload box."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import streamlit as st

from dashboard import data

KINDS = ["server-events", "browser-events", "orders", "deployments", "meta-quality", "meta-stats"]

st.title("Data sources")
db = st.session_state.get("db")
if db:
    st.caption(f"Database `{db}`")


def status(db: str) -> None:
    src = data.sources(db)
    counts = src["counts"]
    for col, row in zip(st.columns(len(counts)), counts.itertuples(index=False)):
        col.metric(row.what, f"{row.n:,}", border=True)
    if not counts["n"].any():
        st.info("The database is empty — upload a file below, or from a shell: "
                "`capi-audit ingest server-events FILE`, "
                "`capi-audit ingest browser-events FILE` (HAR export or pixel log), `capi-audit ingest orders FILE`; "
                "or try the demo: `capi-audit demo`.")

    st.subheader("Meta snapshot freshness")
    if src["snapshots"].empty and src["stats"].empty:
        st.caption("No Meta numbers yet — save the Graph API responses and ingest them: "
                   "`capi-audit ingest meta-quality FILE`, `capi-audit ingest meta-stats FILE`.")
    left, right = st.columns(2)
    if not src["snapshots"].empty:
        left.dataframe(src["snapshots"], hide_index=True, column_config={
            "latest": st.column_config.DatetimeColumn("latest quality snapshot (UTC)")})
    if not src["stats"].empty:
        right.dataframe(src["stats"], hide_index=True, column_config={
            "latest_hour": st.column_config.DatetimeColumn("latest /stats hour (UTC)")})

    st.subheader("Rejected records")
    if src["reject_reasons"].empty:
        st.caption("No record has been rejected.")
    else:
        st.dataframe(src["reject_reasons"], hide_index=True, column_config={"n": "records"})
        if st.toggle("Show rejected records (file, line, reason)"):
            st.dataframe(src["rejects"], hide_index=True)

    if st.toggle("Show ingestion history"):
        st.dataframe(src["ingestions"], hide_index=True)


if db:
    try:
        status(db)
    except data.DataError as exc:
        st.error(str(exc))
else:
    st.error(st.session_state.get("problem") or "No database is configured.")


def cli(db: str, *args: str, timeout: float) -> tuple[int | None, str]:
    """Run `capi-audit --db DB ARGS…` in a subprocess (the dashboard itself only ever reads the database).

    Returns (exit code, its output), or (None, "") when it ran past `timeout` seconds and was stopped.
    """
    cmd = [sys.executable, "-m", "analysis.cli", "--db", db, *args]
    env = dict(os.environ, COLUMNS="120", NO_COLOR="1")
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, ""
    return done.returncode, (done.stderr + done.stdout).strip()


def ingest(db: str, kind: str, name: str, content: bytes) -> dict:
    """Run `capi-audit ingest` on an uploaded file."""
    with tempfile.TemporaryDirectory(prefix="capi-upload-") as tmp:
        path = Path(tmp) / Path(name).name
        path.write_bytes(content)
        rc, output = cli(db, "ingest", kind, str(path), timeout=1800)
    if rc is None:
        return {"kind": kind, "file": name, "rc": -1, "output": "The ingest took more than 30 minutes and was "
                "stopped; ingest large files from a shell: capi-audit ingest " + kind + " FILE"}
    return {"kind": kind, "file": name, "rc": rc, "output": output}


def sync_now(db: str) -> dict:
    """Run `capi-audit sync` for every configured live source (settings and secrets as the shell's)."""
    rc, output = cli(db, "sync", timeout=3600)
    if rc is None:
        return {"rc": -1, "output": "The sync took more than an hour and was stopped; run it from a shell: "
                "capi-audit sync"}
    return {"rc": rc, "output": output}


st.subheader("Live sources")
if db:
    try:
        synced = data.sync_status(db)
    except data.DataError:
        synced = None            # the status above already said what is wrong with the database
    if synced is not None and synced.empty:
        st.caption("No sync has run yet. `capi-audit sync` fetches Meta's Dataset Quality snapshots and /stats "
                   "counts and your Shopify or WooCommerce orders; the README's “Live sources” says how to set it up.")
    elif synced is not None:
        st.dataframe(synced, hide_index=True, column_config={
            "last_run_at": st.column_config.DatetimeColumn("last sync (UTC)"), "cursor": "next orders from"})
    if st.button("Sync now", icon=":material/sync:",
                 help="Runs `capi-audit sync` for every configured source, in a separate process."):
        with st.spinner("Syncing…"):
            st.session_state["last_sync"] = sync_now(db)
        data.clear()
        st.rerun()
    last_sync = st.session_state.get("last_sync")
    if last_sync:
        (st.success if last_sync["rc"] == 0 else st.error)(
            "sync: " + ("done" if last_sync["rc"] == 0 else f"exit code {last_sync['rc']}"))
        st.code(last_sync["output"] or "(no output)", language=None)


st.subheader("Add data")
if db:
    try:
        limit_mb = int(data.settings()["serve.max_upload_mb"])
    except data.DataError:
        limit_mb = 200                  # the settings problem is already on the page
    with st.form("upload", clear_on_submit=True):
        kind = st.selectbox("Kind", KINDS, help="The same kinds as `capi-audit ingest KIND FILE` (see the README).")
        upload = st.file_uploader("File", max_upload_size=limit_mb, help="JSONL, JSON, CSV, HAR or pixel log; "
                                  f"up to {limit_mb} MB (setting serve.max_upload_mb); "
                                  "large files are faster from a shell.")
        submitted = st.form_submit_button("Ingest", icon=":material/upload:")
        if submitted and upload is not None and upload.size > limit_mb * 2**20:
            # The uploader and the server refuse larger files too; this covers a file that got past them.
            st.error(f"{upload.name} is larger than {limit_mb} MB; ingest it from a shell: "
                     f"capi-audit ingest {kind} FILE (or raise serve.max_upload_mb).")
        elif submitted and upload is not None:
            with st.spinner(f"Ingesting {upload.name}…"):
                st.session_state["last_ingest"] = ingest(db, kind, upload.name, upload.getvalue())
            data.clear()
            st.rerun()
    last = st.session_state.get("last_ingest")
    if last:
        (st.success if last["rc"] == 0 else st.error)(
            f"ingest {last['kind']} {last['file']}: " + ("done" if last["rc"] == 0 else f"exit code {last['rc']}"))
        st.code(last["output"] or "(no output)", language=None)
