"""Update a chapter: set a watched (or a new) chapter's watch time, position and completion."""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from dashboard.views.console.writes import Learner, show_outcome, write

FORM = "chapter"
ANOTHER_CHAPTER = "Another chapter (type its id)"


def seconds(value: float) -> str:
    return f"{value:,.0f} s"


def seconds_input(
    column: DeltaGenerator, learner: Learner, label: str, field: str, value: float
) -> float:
    # No minimum: the browser would keep a negative number to itself (a red box) and submit the
    # previous value; the service refuses it with a message instead.
    seconds: float = column.number_input(
        label, value=value, step=1.0, format="%.1f", key=learner.key(FORM, field)
    )
    return seconds


def chapter_form(learner: Learner) -> None:
    known = {c.chapter_id: c for c in learner.snapshot.chapter_progress}
    chosen = st.selectbox("Chapter", [*known, ANOTHER_CHAPTER], key="chapter_choice")
    current = known.get(chosen)
    with st.form(FORM):
        if current is None:
            chapter_id = st.text_input(
                "New chapter id", placeholder="ch-07", key=learner.key(FORM, "chapter_id")
            )
        else:
            chapter_id = current.chapter_id
        c1, c2, c3 = st.columns(3)
        watch_time = seconds_input(
            c1,
            learner,
            "Watch time (s, the chapter's total)",
            f"watch_time:{chosen}",
            current.watch_time if current else 0.0,
        )
        last_position = seconds_input(
            c2,
            learner,
            "Last position (s)",
            f"last_position:{chosen}",
            current.last_position if current else 0.0,
        )
        completed = c3.checkbox(
            "Completed",
            value=current.completed if current else False,
            key=learner.key(FORM, f"completed:{chosen}"),
        )
        reason = learner.reason(FORM)
        if st.form_submit_button("Save chapter", type="primary"):
            state = "completed" if completed else "not completed"
            write(
                learner,
                FORM,
                lambda why: learner.service.update_chapter_progress(
                    learner.tutorial_id,
                    learner.user_id,
                    chapter_id=chapter_id,
                    watch_time=watch_time,
                    completed=completed,
                    last_position=last_position,
                    actor=learner.operator,
                    source="console",
                    reason=why,
                ),
                reason=reason,
                done=f"Chapter {chapter_id} saved: {seconds(watch_time)} watched, at "
                f"{seconds(last_position)}, {state}.",
                unchanged=f"Nothing changed: {chapter_id} already has {seconds(watch_time)}, at "
                f"{seconds(last_position)}, {state}.",
            )
    show_outcome(FORM)
