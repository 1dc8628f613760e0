"""Running a Core statement into a DataFrame, and showing it as PostgreSQL text ("Show SQL")."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, Executable
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql import ClauseElement

_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]


def frame(engine: Engine, statement: Executable) -> pd.DataFrame:
    with engine.connect() as connection:
        result = connection.execute(statement)
        return pd.DataFrame(result.all(), columns=list(result.keys()))


def compiled_sql(statement: ClauseElement) -> str:
    """The statement as PostgreSQL would run it, with the bound values written in."""
    return str(statement.compile(dialect=_DIALECT, compile_kwargs={"literal_binds": True}))
