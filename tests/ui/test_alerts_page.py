"""The Alerts page and the Overview's alert badge through Streamlit's AppTest, on real data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from alerting.evaluator import evaluate_once
from progress.annotations import add_annotation
from tests.db.test_alerts import traffic
from tests.ui.test_pages import open_page
from tests.ui.vega import charts
from tests.unit.test_text import shown

ALERTS = "views/alerts.py"


@pytest.fixture
def fresh(app_env: None) -> Iterator[None]:
    from dashboard import alerting

    alerting.judgement.clear()  # a resource: `data.clear()` does not empty it
    yield
    alerting.judgement.clear()


def incident(engine: Engine) -> None:
    """A day of healthy requests, then 50 % 5xx for the last hour, recorded by the evaluator."""
    now = datetime.now(UTC)
    traffic(engine, now - timedelta(days=1), 23 * 60)
    traffic(engine, now - timedelta(minutes=61), 62, errors=10)
    evaluate_once(engine)


@pytest.mark.usefixtures("fresh")
def test_the_alerts_page_on_an_empty_database_says_no_data() -> None:
    app = open_page(ALERTS)
    assert sum("no data" in m.value for m in app.markdown) == 4
    assert [shown(i.value) for i in app.info] == [
        "No requests or client events in the period yet: no budget to chart.",
        "No alert has fired in the period.",
    ]


@pytest.mark.usefixtures("fresh")
def test_the_alerts_page_shows_states_burn_rates_budget_and_history(engine: Engine) -> None:
    incident(engine)
    deployed = datetime.now(UTC) - timedelta(minutes=70)
    add_annotation(engine, text="deploy 2.5.0", kind="deploy", author="ci", at=deployed)
    app = open_page(ALERTS)
    states = [m.value for m in app.markdown if "-badge[" in m.value]
    assert any("Errors (5xx) < 1 %" in s and "firing page" in s for s in states), states
    tiers = app.dataframe[0].value
    assert list(tiers["tier"]) == ["page 1h/5m", "page 6h/30m", "ticket 1d/2h", "ticket 3d/6h"]
    assert tiers["firing"].iloc[0] == "yes"
    # The same narrow columns on every row (no half-empty columns to clip in a half-width card).
    assert list(tiers.columns) == ["tier", "threshold", "long window", "short window", "firing"]
    assert not tiers.isna().any().any()
    [budget] = charts(app)
    assert budget.title().startswith("Error budget spent over the last 30 days")
    marked = {what for _, rows in budget.layers("rule") for what in rows.get("what", [])}
    assert "deploy: deploy 2.5.0" in marked
    history = app.dataframe[-1].value
    assert list(history["alert"]) == ["error_rate"]
    assert history["resolved"].isna().all()
    assert history["fired (UTC)"].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d").all()
    assert "Budget left (30 days)" in [metric.label for metric in app.metric]


@pytest.mark.usefixtures("fresh")
def test_the_overview_card_of_a_burning_target_shows_its_alert(engine: Engine) -> None:
    incident(engine)
    app = open_page(window="24h")
    badges = [m.value for m in app.markdown if "notifications_active" in m.value]
    assert len(badges) == 1
    assert "page firing since" in badges[0]
