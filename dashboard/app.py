"""The dashboard's frame: page navigation, the shared sidebar filters, then the chosen page."""
from __future__ import annotations

import streamlit as st

from dashboard import data

# An emoji icon is drawn in the browser; without one, each page's Material icon becomes the tab's icon,
# fetched from fonts.gstatic.com (a third-party request that the Content-Security-Policy blocks).
st.set_page_config(layout="wide", page_title="capi-audit", page_icon="📊")

pg = st.navigation([
    st.Page("app_pages/weekly_emq.py", title="Weekly EMQ", icon=":material/speed:", default=True),
    st.Page("app_pages/portfolio.py", title="Portfolio", icon=":material/view_list:"),
    st.Page("app_pages/health_check.py", title="Monthly health check", icon=":material/fact_check:"),
    st.Page("app_pages/deployments.py", title="Deployments", icon=":material/rocket_launch:"),
    st.Page("app_pages/dedup.py", title="Deduplication", icon=":material/join_inner:"),
    st.Page("app_pages/discrepancies.py", title="Discrepancies", icon=":material/compare_arrows:"),
    st.Page("app_pages/trace.py", title="Trace an id", icon=":material/search:"),
    st.Page("app_pages/data_sources.py", title="Data sources", icon=":material/database:"),
])


def sidebar() -> data.Filters:
    """Database, pixel, window and time zone; raises DataError when the database cannot be read."""
    db = st.session_state["db"] = data.db_path()
    st.sidebar.caption(f"Database `{db}`")
    cfg = data.settings()
    pixels = data.sources(db)["pixels"]
    label = st.sidebar.selectbox("Pixel", [data.ALL_PIXELS, *pixels], key="pixel")
    pixel = data.pixel_choice(label)
    window_slot = st.sidebar.container()
    tz = st.sidebar.text_input("Time zone", value=cfg["timezone"], key="tz",
                               help="IANA name (UTC, Europe/Paris); calendar days are counted in it.").strip()
    since, until = data.default_window(db, tz, pixel)
    picked = window_slot.date_input(
        "Window", value=(since, until), key="window", format="YYYY-MM-DD",
        help=f"Defaults to the {cfg['report.days']} days ending on the latest day with data.")
    if isinstance(picked, (tuple, list)) and len(picked) == 2:
        since, until = picked
    elif isinstance(picked, (tuple, list)) and len(picked) == 1:
        # Only the first day is picked so far: the window runs from it for the default length.
        since, until = picked[0], None
    st.sidebar.button("Reload data", icon=":material/refresh:", on_click=data.clear,
                      help="Forget cached results and read the database again.")
    return data.Filters(db=db, since=since, until=until, tz=tz, pixel=pixel)


st.session_state.setdefault("db", None)
st.session_state["busy_noticed"] = False        # data.busy_notice: at most one notice per run
st.session_state["stale_noticed"] = False       # data.stale_notice: likewise
try:
    st.session_state["filters"] = sidebar()
    st.session_state["problem"] = None
except data.DataError as exc:
    st.session_state["filters"] = None
    st.session_state["problem"] = str(exc)

pg.run()
