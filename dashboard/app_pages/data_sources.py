"""Data sources: what is loaded, what was rejected and why, Meta snapshot freshness, and an upload box."""
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


def ingest(db: str, kind: str, name: str, content: bytes) -> dict:
    """Run `capi-audit ingest` in a subprocess: the dashboard itself only ever reads the database."""
    with tempfile.TemporaryDirectory(prefix="capi-upload-") as tmp:
        path = Path(tmp) / Path(name).name
        path.write_bytes(content)
        cmd = [sys.executable, "-m", "analysis.cli", "--db", db, "ingest", kind, str(path)]
        env = dict(os.environ, COLUMNS="120", NO_COLOR="1")
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
        except subprocess.TimeoutExpired:
            return {"kind": kind, "file": name, "rc": -1, "output": "The ingest took more than 30 minutes and was "
                    "stopped; ingest large files from a shell: capi-audit ingest " + kind + " FILE"}
    return {"kind": kind, "file": name, "rc": done.returncode, "output": (done.stderr + done.stdout).strip()}


st.subheader("Add data")
if db:
    with st.form("upload", clear_on_submit=True):
        kind = st.selectbox("Kind", KINDS, help="The same kinds as `capi-audit ingest KIND FILE` (see the README).")
        upload = st.file_uploader("File", help="JSONL, JSON, CSV, HAR or pixel log; "
                                  "large files are faster from a shell.")
        if st.form_submit_button("Ingest", icon=":material/upload:") and upload is not None:
            with st.spinner(f"Ingesting {upload.name}…"):
                st.session_state["last_ingest"] = ingest(db, kind, upload.name, upload.getvalue())
            data.clear()
            st.rerun()
    last = st.session_state.get("last_ingest")
    if last:
        (st.success if last["rc"] == 0 else st.error)(
            f"ingest {last['kind']} {last['file']}: " + ("done" if last["rc"] == 0 else f"exit code {last['rc']}"))
        st.code(last["output"] or "(no output)", language=None)
