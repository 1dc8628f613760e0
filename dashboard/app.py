"""progress-ops dashboard: `streamlit run dashboard/app.py`."""

from __future__ import annotations

import streamlit as st

from dashboard.context import engine, fold_new_requests
from progress.db import check_connection, is_embedded
from progress.errors import ProgressError

st.set_page_config(page_title="progress-ops", page_icon=":material/school:", layout="wide")

pages = {
    "Monitor": [
        st.Page("views/overview.py", title="Overview", icon=":material/monitoring:", default=True),
        st.Page("views/api_health.py", title="API health", icon=":material/speed:"),
        st.Page("views/migration.py", title="Migration & fallback", icon=":material/sync:"),
    ],
    "Analyse": [
        st.Page("views/learning.py", title="Learning activity", icon=":material/school:"),
        st.Page("views/certificates.py", title="Certificates", icon=":material/workspace_premium:"),
    ],
    "Support": [
        st.Page("views/console.py", title="Progress console", icon=":material/support_agent:")
    ],
}
navigation = st.navigation(pages)

try:
    check_connection(engine())
    fold_new_requests()
except ProgressError as error:
    st.error(error.message, icon=":material/cloud_off:")
    if st.button("Retry", type="primary"):
        engine.clear()
        st.rerun()
    st.stop()

if is_embedded():
    st.info(
        "**Demo data** on the embedded database. To use your own PostgreSQL, set "
        "`DATABASE_URL=postgresql+psycopg://user:password@host/db` and run "
        "`progress-ops db upgrade` — see the README.",
        icon=":material/science:",
    )
navigation.run()
