"""History: every change to the learner's progress, newest first, and — for support — an undo of
any of them ("Restore to before event N").

The Event selector, the details under it and the Restore button always name the same event: the
selector's value is the one all three read, and after a write it is set (not left to the browser)
to the newest event, so the browser shows what the page acts on.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.text import literal
from dashboard.views.console.writes import Learner, newest_event_wanted, show_outcome, write
from dashboard.widgets import csv_download, empty_state, table
from progress.changes import describe_changes
from progress.models import ProgressEvent

FORM = "restore"
EVENT = "event"  # the selector's key
WHEN = st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss", timezone="UTC")


def history_table(learner: Learner, events: list[ProgressEvent]) -> None:
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
        header={"learner": learner.user_id, "tutorial": learner.tutorial_id},
        details=[learner.user_id, learner.tutorial_id],
    )


def describe_event(event: ProgressEvent) -> str:
    return f"{event.id} · {event.kind} by {event.actor} at {event.occurred_at:%Y-%m-%d %H:%M}"


def event_details(learner: Learner, events: list[ProgressEvent], *, can_restore: bool) -> None:
    by_id = {e.id: e for e in events}
    if newest_event_wanted() or st.session_state.get(EVENT) not in by_id:
        st.session_state[EVENT] = events[0].id
    chosen = st.selectbox(
        "Event",
        list(by_id),
        format_func=lambda i: describe_event(by_id[i]),
        key=EVENT,
        help="What the event changed in full, and an undo.",
    )
    event = by_id[chosen]
    st.markdown(
        "\n".join(f"- {literal(line)}" for line in describe_changes(event.before, event.after))
    )
    if not can_restore:
        return

    @st.dialog("Restore progress?")
    def confirm_restore() -> None:
        st.write(
            f"Puts **{literal(learner.user_id)}**'s progress in **{literal(learner.tutorial_id)}** "
            f"back to how it was just before event {event.id} ({event.kind} by "
            f"{literal(event.actor)}). The restore is recorded and can itself be undone."
        )
        reason = learner.reason(FORM, key_suffix=f":{event.id}")
        if st.button("Restore", type="primary"):
            write(
                learner,
                FORM,
                lambda why: learner.service.restore_progress(
                    event.id, actor=learner.operator, reason=why
                ),
                reason=reason,
                done=f"Restored to how it was before event {event.id}.",
                unchanged=f"Nothing changed: the progress is already as it was before event "
                f"{event.id}.",
            )

    if st.button(f"Restore to before event {event.id}…", icon=":material/undo:"):
        confirm_restore()
    show_outcome(FORM)


def show_history(learner: Learner, *, can_restore: bool) -> None:
    st.subheader("History")
    events = learner.service.history(learner.tutorial_id, learner.user_id)
    if not events:
        empty_state("No changes recorded yet.")
        return
    history_table(learner, events)
    event_details(learner, events, can_restore=can_restore)
