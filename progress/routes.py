"""The HTTP API's routes as they are logged in `api_logs.endpoint`.

The API logs each request under its route *template* (not the concrete path), so the dashboard
filters and groups on plain equality — no leading-wildcard `LIKE` that no index can serve. The
demo data, the API and the monitoring queries all take the names from here.
"""

from __future__ import annotations

from typing import Final

PREFIX: Final = "/v1/tutorials/progress"

PROGRESS: Final = f"{PREFIX}/{{tutorial_id}}"
CHAPTER: Final = f"{PREFIX}/{{tutorial_id}}/chapter"
QUIZ: Final = f"{PREFIX}/{{tutorial_id}}/quiz"
COMPLETE: Final = f"{PREFIX}/{{tutorial_id}}/complete"
MIGRATE: Final = f"{PREFIX}/{{tutorial_id}}/migrate"
CLIENT_EVENTS: Final = f"{PREFIX}/events"
HEALTH: Final = "/health"
ANNOTATIONS: Final = "/v1/annotations"
METRICS: Final = "/metrics"  # Prometheus scrapes: not logged to api_logs, not counted
# Path segments under PREFIX that are endpoints, so never a tutorial id.
RESERVED_TUTORIAL_IDS: Final = frozenset({CLIENT_EVENTS.rsplit("/", 1)[1]})

# (method, route template) of every progress endpoint: the requests the targets are measured on.
PROGRESS_ENDPOINTS: Final[tuple[tuple[str, str], ...]] = (
    ("GET", PROGRESS),
    ("DELETE", PROGRESS),
    ("POST", CHAPTER),
    ("POST", QUIZ),
    ("POST", COMPLETE),
    ("POST", MIGRATE),
    ("POST", CLIENT_EVENTS),
)
