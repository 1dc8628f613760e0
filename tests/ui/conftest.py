"""What every dashboard test shares: the app on the test database, and a support operator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine


@pytest.fixture
def app_env(engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from dashboard import data
    from dashboard.context import background_fold
    from dashboard.context import engine as cached_engine

    monkeypatch.setenv("DATABASE_URL", database_url)
    background_fold().stop()  # an earlier test's fold and warm-up, which would fill the caches
    data.clear()  # cached answers of an earlier test's database
    yield
    background_fold().stop()  # before its engine goes, and the database's tables with it
    cached_engine.clear()


@pytest.fixture
def support(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend the database is the embedded demo one, where a typed name may write."""
    monkeypatch.setattr("dashboard.context.is_embedded", lambda *_: True)
