"""docs/alerts.md documents every alerting setting and every exit code (undocumented = failing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerting.notify import AlertSettings
from queries.slo import SloSettings

DOCS = (Path(__file__).resolve().parents[2] / "docs" / "alerts.md").read_text()
SETTINGS = [f"PROGRESS_OPS_SLO_{name.upper()}" for name in SloSettings.model_fields] + [
    f"PROGRESS_OPS_ALERT_{name.upper()}" for name in AlertSettings.model_fields
]


@pytest.mark.parametrize("variable", SETTINGS)
def test_every_alerting_setting_is_in_the_settings_table(variable: str) -> None:
    assert f"| `{variable}` |" in DOCS


@pytest.mark.parametrize("code", [0, 1, 2])
def test_every_exit_code_of_the_evaluator_is_documented(code: int) -> None:
    assert f"\n| {code} | " in DOCS
