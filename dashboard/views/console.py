"""Progress console (support): find a learner, see their progress as the API returns it, fix it,
reset it, and undo any change from the history."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboard.context import clear_query_caches, identity, service, write_access
from progress.changes import describe_changes
from progress.errors import ProgressError
from progress.models import Progress, ProgressEvent, ProgressSnapshot

svc = service()
who = identity()
access = write_access(who)

st.title("Progress console")
if not access.allowed:
    st.warning(f"Read-only: {access.reason}", icon=":material/lock:")


def run_write(action: Callable[[], object], success: str) -> None:
    """Run one service write; show its error as a message, never a traceback."""
    try:
        action()
    except ProgressError as error:
        st.session_state["console_error"] = error.message
    else:
        st.session_state["console_success"] = success
        clear_query_caches()
    st.rerun()


def show_flash() -> None:
    if message := st.session_state.pop("console_success", None):
        st.success(message, icon=":material/check_circle:")
    if message := st.session_state.pop("console_error", None):
        st.error(message, icon=":material/error:")


prefix = st.text_input(
    "Learner's user id (or its beginning)",
    value=st.query_params.get("user", ""),
    placeholder="learner-000042",
).strip()
if not prefix:
    st.info("Type a user id, or its first characters, to find a learner.")
    st.stop()

try:
    matches = svc.find_learners(prefix)
except ProgressError as error:
    st.error(error.message)
    st.stop()
if not matches:
    st.info(f"No learner's user id starts with “{prefix}”. Check the spelling.")
    st.stop()

labels = {
    f"{m.user_id} · {m.tutorial_id} ({m.completion_percentage:g} %)": (m.user_id, m.tutorial_id)
    for m in matches
}
wanted = (st.query_params.get("user", ""), st.query_params.get("tutorial", ""))
options = list(labels)
default = next((i for i, label in enumerate(options) if labels[label] == wanted), 0)
choice = st.selectbox(f"{len(matches)} match(es)", options, index=default)
user_id, tutorial_id = labels[choice]
st.query_params["user"] = user_id
st.query_params["tutorial"] = tutorial_id

show_flash()
snapshot: ProgressSnapshot = svc.get_snapshot(tutorial_id, user_id)
progress: Progress = snapshot.to_progress()

st.subheader(f"{user_id} in {tutorial_id}")
cards = st.columns(4)
cards[0].metric("Completion", f"{progress.completion_percentage:g} %")
cards[1].metric("Chapters completed", f"{progress.chapters_completed} of {progress.total_chapters}")
cards[2].metric("Watch time", f"{progress.total_watch_time / 60:,.1f} min")
if snapshot.certificate is not None:
    certificate = snapshot.certificate
    cards[3].metric("Certificate", "earned")
    note = f" (override: {certificate.override_reason})" if certificate.override_reason else ""
    st.caption(
        f"Certificate awarded {certificate.awarded_at:%Y-%m-%d %H:%M} UTC by "
        f"{certificate.awarded_by}{note}."
    )
else:
    cards[3].metric("Certificate", "eligible" if progress.certificate_eligible else "not yet")

left, right = st.columns(2)
with left:
    st.markdown("**Chapters**")
    st.dataframe(
        pd.DataFrame(
            [c.model_dump() for c in progress.chapter_progress],
            columns=["chapter_id", "watch_time", "completed", "last_position"],
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "watch_time": st.column_config.NumberColumn("watch time (s)", format="%.0f"),
            "last_position": st.column_config.NumberColumn("last position (s)", format="%.0f"),
        },
    )
with right:
    st.markdown("**Quizzes**")
    st.dataframe(
        pd.DataFrame(
            [q.model_dump() for q in progress.quiz_scores],
            columns=["quiz_id", "score", "max_score", "passed", "attempts", "completed_at"],
        ),
        hide_index=True,
        width="stretch",
    )
with st.expander("As the API returns it (GET /v1/tutorials/progress/…)"):
    st.json(progress.model_dump(by_alias=True, mode="json"))

actor = who.name or ""
if access.allowed:
    st.subheader("Fix progress")
    chapter_tab, quiz_tab, complete_tab, reset_tab = st.tabs(
        ["Update a chapter", "Record a quiz score", "Complete the tutorial", "Reset"]
    )
    with chapter_tab, st.form("chapter"):
        known = {c.chapter_id: c for c in progress.chapter_progress}
        chapter_id = st.text_input(
            "Chapter id", value=next(iter(known), ""), help="An existing or a new chapter id"
        )
        current = known.get(chapter_id.strip())
        c1, c2, c3 = st.columns(3)
        watch_time = c1.number_input(
            "Watch time (s, the chapter's total)",
            min_value=0.0,
            value=current.watch_time if current else 0.0,
        )
        last_position = c2.number_input(
            "Last position (s)", min_value=0.0, value=current.last_position if current else 0.0
        )
        completed = c3.checkbox("Completed", value=current.completed if current else False)
        reason = st.text_input("Reason (kept in the history)", key="chapter_reason")
        if st.form_submit_button("Save chapter", type="primary"):
            if not reason.strip():
                st.error("A reason is required: it is kept in the learner's history.")
            else:
                run_write(
                    lambda: svc.update_chapter_progress(
                        tutorial_id,
                        user_id,
                        chapter_id=chapter_id,
                        watch_time=watch_time,
                        completed=completed,
                        last_position=last_position,
                        actor=actor,
                        source="console",
                        reason=reason,
                    ),
                    f"Chapter {chapter_id} saved.",
                )
    with quiz_tab, st.form("quiz"):
        quiz_id = st.text_input("Quiz id")
        q1, q2, q3 = st.columns(3)
        score = q1.number_input("Score", min_value=0.0, value=0.0)
        max_score = q2.number_input("Max score", min_value=0.0, value=10.0)
        passed = q3.checkbox("Passed")
        reason = st.text_input("Reason (kept in the history)", key="quiz_reason")
        if st.form_submit_button("Record attempt", type="primary"):
            if not reason.strip():
                st.error("A reason is required: it is kept in the learner's history.")
            else:
                run_write(
                    lambda: svc.update_quiz_score(
                        tutorial_id,
                        user_id,
                        quiz_id=quiz_id,
                        score=score,
                        max_score=max_score,
                        passed=passed,
                        actor=actor,
                        source="console",
                        reason=reason,
                    ),
                    f"Quiz {quiz_id} attempt recorded.",
                )
    with complete_tab:
        if snapshot.certificate is not None:
            st.success("The certificate is already awarded.")
        else:
            blockers = svc.certificate_blockers(tutorial_id, user_id)
            if blockers:
                st.warning("Not eligible: " + "; ".join(blockers) + ".")
            else:
                st.info("Eligible: every chapter complete and every quiz passed.")
            with st.form("complete"):
                override = st.text_input(
                    "Override reason (needed when not eligible)", key="override_reason"
                )
                if st.form_submit_button("Award certificate", type="primary"):
                    run_write(
                        lambda: svc.complete_tutorial(
                            tutorial_id,
                            user_id,
                            actor=actor,
                            source="console",
                            override_reason=override or None,
                        ),
                        "Certificate awarded.",
                    )
    with reset_tab:

        @st.dialog("Reset this learner's progress?")
        def confirm_reset() -> None:
            st.write(
                f"This removes every chapter, quiz and the certificate of **{user_id}** in "
                f"**{tutorial_id}**. It can be undone from the history."
            )
            typed = st.text_input("Type the user id to confirm")
            reason = st.text_input("Reason", key="reset_reason")
            if st.button("Reset progress", type="primary", disabled=typed != user_id):
                if not reason.strip():
                    st.error("A reason is required: it is kept in the learner's history.")
                else:
                    run_write(
                        lambda: svc.reset_progress(
                            tutorial_id, user_id, actor=actor, source="console", reason=reason
                        ),
                        "Progress reset. Undo it from the history below if needed.",
                    )

        st.write("Removes all of this learner's progress in this tutorial (undoable).")
        if st.button("Reset…"):
            confirm_reset()

st.subheader("History")
events: list[ProgressEvent] = svc.history(tutorial_id, user_id)
if not events:
    st.info("No changes recorded yet.")
else:
    st.dataframe(
        pd.DataFrame(
            {
                "event": [e.id for e in events],
                "when (UTC)": [e.occurred_at.strftime("%Y-%m-%d %H:%M:%S") for e in events],
                "what": [e.kind for e in events],
                "source": [e.source for e in events],
                "who": [e.actor for e in events],
                "reason": [e.reason or "" for e in events],
                "changes": ["; ".join(describe_changes(e.before, e.after)) for e in events],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    if access.allowed:

        @st.dialog("Restore progress?")
        def confirm_restore(event: ProgressEvent) -> None:
            st.write(
                f"Puts **{user_id}**'s progress in **{tutorial_id}** back to how it was just "
                f"before event {event.id} ({event.kind} by {event.actor}). "
                "The restore is recorded and can itself be undone."
            )
            reason = st.text_input("Reason", key="restore_reason")
            if st.button("Restore", type="primary"):
                if not reason.strip():
                    st.error("A reason is required: it is kept in the learner's history.")
                else:
                    run_write(
                        lambda: svc.restore_progress(event.id, actor=actor, reason=reason),
                        f"Restored to before event {event.id}.",
                    )

        by_id = {e.id: e for e in events}
        chosen = st.selectbox(
            "Undo: restore the state from just before event",
            list(by_id),
            format_func=lambda i: (
                f"{i} · {by_id[i].kind} by {by_id[i].actor} "
                f"at {by_id[i].occurred_at:%Y-%m-%d %H:%M}"
            ),
        )
        if st.button("Restore…"):
            confirm_restore(by_id[chosen])
