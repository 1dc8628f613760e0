"""Progress console (support): find a learner, see their progress exactly as the API returns it,
fix it, reset it, and undo any change from the history.

Every write goes through `ProgressService` with the operator's name and a reason; its error is
shown as a message and nothing is written; after it the page shows the new state and every query
cache is cleared. The learner is in the URL (`?user=…&tutorial=…`), so a link opens them.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.context import identity, service, write_access
from dashboard.widgets import (
    csv_download,
    empty_state,
    from_url,
    page_filters,
    select_next_run,
    table,
    to_url,
)
from progress.changes import describe_changes
from progress.errors import ProgressError
from progress.models import LearnerTutorial, ProgressEvent, ProgressSnapshot

REASON_REQUIRED = "A reason is required: it is kept in the learner's history."
NEW_CHAPTER = "➕ another chapter"
WHEN = st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss", timezone="UTC")

svc = service()
who = identity()
access = write_access(who)
operator = who.name or ""


def run_write(
    action: Callable[[], object], success: str, *, user_id: str, tutorial_id: str
) -> None:
    """Run one service write; its error becomes a message (nothing was written), never a
    traceback. Afterwards every cache is cleared and the page reruns on the same learner, to show
    the new state (even after a reset, which removes their progress row)."""
    try:
        action()
    except ProgressError as error:
        st.session_state["console_error"] = error.message
    else:
        st.session_state["console_success"] = success
        data.clear()
    select_next_run(user_id, tutorial_id)
    st.session_state.pop("event", None)  # the history's newest event is selected next
    st.rerun(scope="app")


def show_flash() -> None:
    if message := st.session_state.pop("console_success", None):
        st.success(message, icon=":material/check_circle:")
    if message := st.session_state.pop("console_error", None):
        st.error(message, icon=":material/error:")


def label(match: LearnerTutorial) -> str:
    return f"{match.user_id} · {match.tutorial_id} ({match.completion_percentage:g} %)"


def find_learners(prefix: str) -> list[LearnerTutorial]:
    """Learners whose user id starts with `prefix`, plus — when `prefix` is a whole user id and a
    tutorial is selected — that pair if it has a history but no progress (after a reset), so it
    can still be restored."""
    matches = svc.find_learners(prefix)
    wanted = page_filters().tutorial_id
    if wanted and not any(m.user_id == prefix and m.tutorial_id == wanted for m in matches):
        past = svc.history(wanted, prefix, limit=1)
        if past:
            matches.append(
                LearnerTutorial(
                    user_id=prefix,
                    tutorial_id=wanted,
                    completion_percentage=0,
                    certificate_earned=False,
                    last_watched_at=None,
                    updated_at=past[0].occurred_at,
                )
            )
    return matches


def choose_learner(matches: list[LearnerTutorial], prefix: str) -> LearnerTutorial:
    """The learner/tutorial pair to show: the URL's (user and sidebar tutorial) when it is among
    the matches; picking another one puts it in the URL and the sidebar."""
    wanted = page_filters().tutorial_id
    ranked = sorted(
        matches,
        key=lambda m: (m.user_id != prefix or m.tutorial_id != wanted, m.tutorial_id != wanted),
    )
    by_label = {label(m): m for m in matches}
    st.session_state["pair"] = label(ranked[0])

    def picked() -> None:
        chosen = by_label[st.session_state["pair"]]
        st.session_state["user"], st.session_state["tutorial"] = chosen.user_id, chosen.tutorial_id

    st.selectbox(
        f"{len(matches)} learner–tutorial match{'es' if len(matches) != 1 else ''}",
        list(by_label),
        key="pair",
        on_change=picked,
    )
    shown = by_label[st.session_state["pair"]]
    if wanted and shown.tutorial_id != wanted:
        st.caption(
            f"{shown.user_id} has no progress in {wanted}, the tutorial chosen in the sidebar: "
            f"showing {shown.tutorial_id}. Pick another match above to switch."
        )
    return shown


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
    st.caption(" ".join(notes))

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


def reason_input(key: str) -> str:
    return st.text_input("Reason (kept in the history)", key=key, placeholder="ticket 812: …")


def chapter_form(snapshot: ProgressSnapshot, tutorial_id: str, user_id: str) -> None:
    known = {c.chapter_id: c for c in snapshot.chapter_progress}
    chosen = st.selectbox("Chapter", [*known, NEW_CHAPTER], key="chapter_choice")
    with st.form("chapter"):
        if chosen == NEW_CHAPTER:
            chapter_id = st.text_input("New chapter id", placeholder="ch-07")
            current = None
        else:
            chapter_id, current = chosen, known[chosen]
        c1, c2, c3 = st.columns(3)
        watch_time = c1.number_input(
            "Watch time (s, the chapter's total)",
            min_value=0.0,
            value=current.watch_time if current else 0.0,
            step=1.0,
            format="%.1f",
        )
        last_position = c2.number_input(
            "Last position (s)",
            min_value=0.0,
            value=current.last_position if current else 0.0,
            step=1.0,
            format="%.1f",
        )
        completed = c3.checkbox("Completed", value=current.completed if current else False)
        reason = reason_input("chapter_reason")
        if st.form_submit_button("Save chapter", type="primary"):
            if not reason.strip():
                st.error(REASON_REQUIRED)
                return
            run_write(
                lambda: svc.update_chapter_progress(
                    tutorial_id,
                    user_id,
                    chapter_id=chapter_id,
                    watch_time=watch_time,
                    completed=completed,
                    last_position=last_position,
                    actor=operator,
                    source="console",
                    reason=reason,
                ),
                f"Chapter {chapter_id} saved.",
                user_id=user_id,
                tutorial_id=tutorial_id,
            )


def quiz_form(tutorial_id: str, user_id: str) -> None:
    with st.form("quiz"):
        quiz_id = st.text_input("Quiz id", placeholder="quiz-1")
        q1, q2, q3 = st.columns(3)
        score = q1.number_input("Score", min_value=0.0, value=0.0)
        max_score = q2.number_input("Max score", min_value=0.0, value=10.0)
        passed = q3.checkbox("Passed")
        reason = reason_input("quiz_reason")
        st.caption("Recorded as one more attempt: the best score and any pass are kept.")
        if st.form_submit_button("Record attempt", type="primary"):
            if not reason.strip():
                st.error(REASON_REQUIRED)
                return
            run_write(
                lambda: svc.update_quiz_score(
                    tutorial_id,
                    user_id,
                    quiz_id=quiz_id,
                    score=score,
                    max_score=max_score,
                    passed=passed,
                    actor=operator,
                    source="console",
                    reason=reason,
                ),
                f"Quiz {quiz_id} attempt recorded.",
                user_id=user_id,
                tutorial_id=tutorial_id,
            )


def complete_form(
    snapshot: ProgressSnapshot, blockers: list[str], tutorial_id: str, user_id: str
) -> None:
    if snapshot.certificate is not None:
        st.success("The certificate is already awarded.")
        return
    if blockers:
        st.warning("Not eligible: " + "; ".join(blockers) + ".", icon=":material/block:")
    else:
        st.info("Eligible: every chapter completed and every quiz passed.")
    with st.form("complete"):
        reason = st.text_input(
            "Override reason (kept with the certificate and in the history)"
            if blockers
            else "Reason (kept in the history)",
            key="complete_reason",
            placeholder="ticket 812: …",
            help="Awarding to a learner who is not eligible is an override: its reason is kept "
            "with the certificate. Every award from the console needs a reason.",
        ).strip()
        if st.form_submit_button("Award certificate", type="primary"):
            if not reason:
                st.error(
                    "The learner is not eligible: give the reason for the override."
                    if blockers
                    else REASON_REQUIRED
                )
                return
            run_write(
                lambda: svc.complete_tutorial(
                    tutorial_id,
                    user_id,
                    actor=operator,
                    source="console",
                    override_reason=reason if blockers else None,
                    reason=None if blockers else reason,
                ),
                "Certificate awarded" + (" by override." if blockers else "."),
                user_id=user_id,
                tutorial_id=tutorial_id,
            )


def reset_form(tutorial_id: str, user_id: str) -> None:
    @st.dialog("Reset this learner's progress?")
    def confirm_reset() -> None:
        st.write(
            f"This removes every chapter, quiz and the certificate of **{user_id}** in "
            f"**{tutorial_id}**. It can be undone from the history."
        )
        typed = st.text_input("Type the user id to confirm", key="reset_confirm")
        reason = reason_input("reset_reason")
        confirmed = typed.strip() == user_id
        if st.button("Reset progress", type="primary", disabled=not confirmed) and confirmed:
            if not reason.strip():
                st.error(REASON_REQUIRED)
                return
            run_write(
                lambda: svc.reset_progress(
                    tutorial_id, user_id, actor=operator, source="console", reason=reason
                ),
                "Progress reset. Undo it from the history below if it was a mistake.",
                user_id=user_id,
                tutorial_id=tutorial_id,
            )

    st.write("Removes all of this learner's progress in this tutorial; the history keeps it.")
    if st.button("Reset…", icon=":material/restart_alt:"):
        confirm_reset()


def history_table(events: list[ProgressEvent], tutorial_id: str, user_id: str) -> None:
    frame = pd.DataFrame(
        {
            "event": [e.id for e in events],
            "when": [e.occurred_at for e in events],
            "what": [e.kind for e in events],
            "source": [e.source for e in events],
            "who": [e.actor for e in events],
            "reason": [e.reason or "" for e in events],
            "changes": ["; ".join(describe_changes(e.before, e.after)) for e in events],
        }
    )
    table(
        frame,
        max_rows=12,
        column_config={"when": WHEN, "changes": st.column_config.TextColumn(width="large")},
    )
    csv_download(
        frame,
        "history",
        title="Progress history, newest first",
        window=None,
        header={"learner": user_id, "tutorial": tutorial_id},
        details=[user_id, tutorial_id],
    )


def event_details(events: list[ProgressEvent], tutorial_id: str, user_id: str) -> None:
    by_id = {e.id: e for e in events}
    chosen = st.selectbox(
        "Event",
        list(by_id),
        format_func=lambda i: (
            f"{i} · {by_id[i].kind} by {by_id[i].actor} at {by_id[i].occurred_at:%Y-%m-%d %H:%M}"
        ),
        key="event",
        help="What the event changed in full, and an undo.",
    )
    event = by_id[chosen]
    st.markdown("\n".join(f"- {line}" for line in describe_changes(event.before, event.after)))
    if not access.allowed:
        return

    @st.dialog("Restore progress?")
    def confirm_restore() -> None:
        st.write(
            f"Puts **{user_id}**'s progress in **{tutorial_id}** back to how it was just before "
            f"event {event.id} ({event.kind} by {event.actor}). The restore is recorded and can "
            "itself be undone."
        )
        reason = reason_input("restore_reason")
        if st.button("Restore", type="primary"):
            if not reason.strip():
                st.error(REASON_REQUIRED)
                return
            run_write(
                lambda: svc.restore_progress(event.id, actor=operator, reason=reason),
                f"Restored to how it was before event {event.id}.",
                user_id=user_id,
                tutorial_id=tutorial_id,
            )

    if st.button(f"Restore to before event {event.id}…", icon=":material/undo:"):
        confirm_restore()


def render() -> None:
    st.title("Progress console")
    if not access.allowed:
        st.warning(f"Read-only. {access.reason}", icon=":material/lock:")
    from_url("user", lambda value: value or "")
    prefix = st.text_input(
        "Learner's user id (or its beginning)",
        key="user",
        persist_state="session",
        placeholder="learner-000042",
    ).strip()
    to_url("user", prefix or None)
    if not prefix:
        empty_state("Type a user id, or its first characters, to find a learner.")
        return
    matches = find_learners(prefix)
    if not matches:
        empty_state(f"No learner's user id starts with “{prefix}”. Check the spelling.")
        return
    learner = choose_learner(matches, prefix)
    user_id, tutorial_id = learner.user_id, learner.tutorial_id
    show_flash()
    snapshot = svc.get_snapshot(tutorial_id, user_id)
    blockers = [] if snapshot.certificate else svc.certificate_blockers(tutorial_id, user_id)
    st.subheader(f"{user_id} in {tutorial_id}")
    show_progress(snapshot, blockers)

    if access.allowed:
        st.subheader("Fix progress")
        st.caption(f"Changes are recorded as {operator}, with your reason.")
        tabs = st.tabs(["Update a chapter", "Record a quiz score", "Complete", "Reset"])
        with tabs[0]:
            chapter_form(snapshot, tutorial_id, user_id)
        with tabs[1]:
            quiz_form(tutorial_id, user_id)
        with tabs[2]:
            complete_form(snapshot, blockers, tutorial_id, user_id)
        with tabs[3]:
            reset_form(tutorial_id, user_id)

    st.subheader("History")
    events = svc.history(tutorial_id, user_id)
    if not events:
        empty_state("No changes recorded yet.")
        return
    history_table(events, tutorial_id, user_id)
    event_details(events, tutorial_id, user_id)


render()
