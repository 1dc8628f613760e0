"""What every console form shares: the learner being changed and by whom, the reason box, and one
way to run a write and say what it did, next to the form that asked for it.

A write's error is shown under the form's button, and nothing is written. A write that changed
nothing says so and keeps the form as typed. A write that changed something clears every form
(their widget keys carry a generation number that moves on), selects the newest history event,
clears the query caches and reruns the page on the same learner, showing the new state and the
outcome next to the form.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from dashboard import data
from dashboard.text import literal
from dashboard.widgets import select_next_run
from progress.errors import ProgressError
from progress.models import Progress, ProgressSnapshot
from progress.service import ProgressService

REASON_REQUIRED = "A reason is required: it is kept in the learner's history."
_GENERATION = "_console_generation"
_OUTCOME = "_console_outcome"  # (form, message) for the next run
_SHOWN = "_console_shown"  # the outcome this run shows
_NEWEST_EVENT = "_console_newest_event"


@dataclass(frozen=True)
class Learner:
    """The learner–tutorial pair on screen, as read at the start of the run, and the operator."""

    service: ProgressService
    operator: str
    user_id: str
    tutorial_id: str
    snapshot: ProgressSnapshot
    blockers: list[str]

    def key(self, form: str, field: str) -> str:
        """A form field's widget key: new for every learner and after every write that changed
        something, so nothing typed for an earlier change (a reason above all) is reused."""
        generation = st.session_state.get(_GENERATION, 0)
        scope = json.dumps([self.user_id, self.tutorial_id])
        return f"console.{form}.{field}#{generation}#{scope}"

    def reason(self, form: str, *, key_suffix: str = "") -> str:
        return st.text_input(
            "Reason (kept in the history)",
            key=self.key(form, "reason" + key_suffix),
            placeholder="ticket 812: …",
        )


def begin_run() -> None:
    """Take the outcome the previous run left for this one (once: later runs do not repeat it)."""
    st.session_state[_SHOWN] = st.session_state.pop(_OUTCOME, None)


def show_outcome(form: str) -> None:
    """The outcome of this form's last write, if it is the one just made."""
    shown = st.session_state.get(_SHOWN)
    if shown is not None and shown[0] == form:
        st.success(literal(shown[1]), icon=":material/check_circle:")


def newest_event_wanted() -> bool:
    """Whether a write asked the history to select its newest event (asks once)."""
    return bool(st.session_state.pop(_NEWEST_EVENT, False))


def _unchanged(before: Progress, after: Progress) -> bool:
    """Whether a write left the progress as it was (`last_watched_at` aside: any chapter write
    moves it). Holds whether the service wrote an event for it or not."""
    ignore = {"last_watched_at"}
    return before.model_dump(exclude=ignore) == after.model_dump(exclude=ignore)


def _newest_event_id(service: ProgressService, tutorial_id: str, user_id: str) -> int | None:
    events = service.history(tutorial_id, user_id, limit=1)
    return events[0].id if events else None


def write(
    learner: Learner,
    form: str,
    action: Callable[[str], Progress],
    *,
    reason: str,
    done: str,
    unchanged: str,
    missing_reason: str = REASON_REQUIRED,
) -> None:
    """Run `action(reason)` (one service write) for `form` and say what it did, here or — when
    it changed something — next to the form after the rerun that shows the new state."""
    reason = reason.strip()
    if not reason:
        st.error(missing_reason, icon=":material/error:")
        return
    service, user_id, tutorial_id = learner.service, learner.user_id, learner.tutorial_id
    before = service.get_progress(tutorial_id, user_id)
    newest = _newest_event_id(service, tutorial_id, user_id)
    try:
        after = action(reason)
    except ProgressError as error:
        st.error(literal(error.message), icon=":material/error:")
        return
    data.clear()
    if newest != _newest_event_id(service, tutorial_id, user_id):
        st.session_state[_NEWEST_EVENT] = True  # an event was written: the history shows it
    if _unchanged(before, after):
        st.info(literal(unchanged), icon=":material/info:")
        return
    st.session_state[_OUTCOME] = (form, done)
    st.session_state[_GENERATION] = st.session_state.get(_GENERATION, 0) + 1
    st.session_state[_NEWEST_EVENT] = True
    select_next_run(user_id, tutorial_id)
    st.rerun(scope="app")
