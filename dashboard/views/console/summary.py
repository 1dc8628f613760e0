"""The learner's progress as the API returns it: cards, chapters, quizzes, the raw JSON."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.text import literal
from dashboard.widgets import empty_state, table
from progress.models import ProgressSnapshot


def show_progress(snapshot: ProgressSnapshot, blockers: list[str]) -> None:
    progress = snapshot.to_progress()
    cards = st.columns(4)
    cards[0].metric("Completion", f"{progress.completion_percentage:g} %", border=True)
    cards[1].metric(
        "Chapters completed",
        f"{progress.chapters_completed} of {progress.total_chapters}",
        border=True,
    )
    cards[2].metric("Watch time", f"{progress.total_watch_time / 60:,.1f} min", border=True)
    certificate = snapshot.certificate
    notes = []
    if certificate is not None:
        cards[3].metric("Certificate", "earned", border=True)
        override = f" by override: {certificate.override_reason}"
        notes.append(
            f"Certificate awarded {certificate.awarded_at:%Y-%m-%d %H:%M} UTC by "
            f"{certificate.awarded_by}{override if certificate.override_reason else ''}."
        )
    else:
        cards[3].metric("Certificate", "not yet" if blockers else "eligible", border=True)
        if blockers:
            notes.append("Not eligible for the certificate: " + "; ".join(blockers) + ".")
    if progress.last_watched_at is not None:
        notes.append(f"Last watched {progress.last_watched_at:%Y-%m-%d %H:%M} UTC.")
    st.caption(literal(" ".join(notes)))

    left, right = st.columns(2)
    with left:
        st.markdown("**Chapters**")
        chapters = pd.DataFrame(
            [c.model_dump() for c in progress.chapter_progress],
            columns=["chapter_id", "watch_time", "completed", "last_position"],
        )
        if chapters.empty:
            empty_state("No chapter watched yet.")
        else:
            table(
                chapters,
                column_config={
                    "watch_time": st.column_config.NumberColumn("watch time", format="%,.0f s"),
                    "last_position": st.column_config.NumberColumn(
                        "last position", format="%,.0f s"
                    ),
                },
            )
    with right:
        st.markdown("**Quizzes**")
        quizzes = pd.DataFrame(
            [q.model_dump() for q in progress.quiz_scores],
            columns=["quiz_id", "score", "max_score", "passed", "attempts", "completed_at"],
        )
        if quizzes.empty:
            empty_state("No quiz taken yet.")
        else:
            table(
                quizzes,
                column_config={
                    "score": st.column_config.NumberColumn("best score", format="%g"),
                    "max_score": st.column_config.NumberColumn("max", format="%g"),
                    "completed_at": st.column_config.DatetimeColumn(
                        "latest attempt", format="YYYY-MM-DD HH:mm", timezone="UTC"
                    ),
                },
            )
    with st.expander("As the API returns it (GET /v1/tutorials/progress/…)"):
        st.json(progress.model_dump(by_alias=True, mode="json"))
