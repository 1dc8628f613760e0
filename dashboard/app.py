"""progress-ops dashboard: `streamlit run dashboard/app.py`.

The entry script: navigation, the database check, the demo banner and the sidebar's filters (here,
so they survive page switches), then the page.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import data
from dashboard.context import check_database_once, fold_new_rows
from dashboard.widgets import database_error, database_guard, sidebar_filters
from progress.db import is_embedded
from progress.errors import ProgressError

# The icon is a file served by the dashboard itself: a `:material/…:` or emoji page icon is
# fetched from fonts.gstatic.com by the browser, which fails behind a firewall.
ICON = Path(__file__).with_name("icon.png")
st.set_page_config(page_title="progress-ops", page_icon=str(ICON), layout="wide")


def page(
    path: str, title: str, icon: str, *, default: bool = False, url_path: str | None = None
) -> st.Page:
    return st.Page(path, title=title, icon=f":material/{icon}:", default=default, url_path=url_path)


overview = page("views/overview.py", "Overview", "monitoring", default=True)
api_health = page("views/api_health.py", "API health", "speed")
migration = page("views/migration.py", "Migration & fallback", "sync")
alerts = page("views/alerts.py", "Alerts", "notifications_active")
learning = page("views/learning.py", "Learning activity", "school")
certificates = page("views/certificates.py", "Certificates", "workspace_premium")
trends = page("views/trends.py", "Completion trends", "trending_up")
console = page("views/console/page.py", "Progress console", "support_agent", url_path="console")
navigation = st.navigation(
    {
        "Monitor": [overview, api_health, migration, alerts],
        "Analyse": [learning, certificates, trends],
        "Support": [console],
    }
)

try:
    check_database_once()
    fold_new_rows(after=data.warm)
except ProgressError as error:
    database_error(error)
    st.stop()

if is_embedded():
    st.info(
        "**Demo data** on the embedded database. To use your own PostgreSQL, set "
        "`DATABASE_URL=postgresql+psycopg://user:password@host/db` and run "
        "`progress-ops db upgrade` — see the README.",
        icon=":material/science:",
    )

monitoring = navigation in (overview, api_health, migration, alerts)
with database_guard():
    sidebar_filters(
        window=navigation not in (console, alerts, trends),
        tutorial=navigation in (learning, certificates, console),
        refresh=monitoring,
    )
    navigation.run()
