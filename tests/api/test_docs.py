"""docs/api.md documents every setting of the API (the Datasette habit: undocumented = failing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.settings import ApiSettings

DOCS = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()


@pytest.mark.parametrize("field", sorted(ApiSettings.model_fields))
def test_every_api_setting_is_in_the_settings_table(field: str) -> None:
    assert f"| `PROGRESS_OPS_API_{field.upper()}` |" in DOCS
