"""Progress console (support): find a learner, see their progress exactly as the API returns it,
fix it, reset it, and undo any change from the history.

This page only composes the console's parts (`dashboard/views/console/`). Every write goes
through `ProgressService` with the operator's name and a reason (`writes.write`). The learner is
in the URL (`?user=…&tutorial=…`), so a link opens them; on the embedded demo database the typed
operator name is too (`&operator=…`), so a reload keeps it.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from dashboard.context import identity, service, write_access
from dashboard.text import literal
from dashboard.views.console.certificate import certificate_form
from dashboard.views.console.chapter import chapter_form
from dashboard.views.console.history import show_history
from dashboard.views.console.learner import pick_learner
from dashboard.views.console.quiz import quiz_form
from dashboard.views.console.reset import reset_form
from dashboard.views.console.summary import show_progress
from dashboard.views.console.writes import Learner, begin_run
from dashboard.widgets import from_url, to_url

FORMS: dict[str, Callable[[Learner], None]] = {
    "Update a chapter": chapter_form,
    "Record a quiz score": quiz_form,
    "Complete": certificate_form,
    "Reset": reset_form,
}
OPERATOR = "operator"  # the sidebar's name box (embedded demo database only)


def render() -> None:
    svc = service()
    from_url(OPERATOR, lambda value: value or "")
    who = identity()
    to_url(OPERATOR, who.name if who.source == "typed" else None)
    access = write_access(who)
    st.title("Progress console")
    if not access.allowed:
        st.warning(f"Read-only. {literal(access.reason)}", icon=":material/lock:")
    shown = pick_learner(svc)
    if shown is None:
        return
    begin_run()
    user_id, tutorial_id = shown.user_id, shown.tutorial_id
    snapshot = svc.get_snapshot(tutorial_id, user_id)
    blockers = [] if snapshot.certificate else svc.certificate_blockers(tutorial_id, user_id)
    learner = Learner(svc, who.name or "", user_id, tutorial_id, snapshot, blockers)
    st.subheader(f"{literal(user_id)} in {literal(tutorial_id)}")
    show_progress(snapshot, blockers)

    if access.allowed:
        st.subheader("Fix progress")
        st.caption(f"Changes are recorded as {literal(learner.operator)}, with your reason.")
        # Not st.tabs: a tab cannot be selected by the app, so every rerun (after an error, a
        # write) would open the first one again. The chosen form is kept in the session.
        chosen = st.segmented_control(
            "Change",
            list(FORMS),
            default=next(iter(FORMS)),
            required=True,
            key="console_form",
            label_visibility="collapsed",
        )
        FORMS[chosen](learner)

    show_history(learner, can_restore=access.allowed)


render()
