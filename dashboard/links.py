"""Links from a table row to another page: a learner's progress in the console."""

from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd
import streamlit as st

CONSOLE = st.column_config.LinkColumn("console", display_text="open", width="small")


def console_link(user_id: str, tutorial_id: str) -> str:
    """A link to the learner's progress in the console (relative: works under any base path)."""
    return "console?" + urlencode({"user": user_id, "tutorial": tutorial_id})


def with_console_links(frame: pd.DataFrame, tutorial_id: str | None = None) -> pd.DataFrame:
    tutorials = frame["tutorial_id"] if tutorial_id is None else [tutorial_id] * len(frame)
    links = [console_link(u, t) for u, t in zip(frame["user_id"], tutorials, strict=True)]
    return frame.assign(console=links)[["console", *frame.columns]]
