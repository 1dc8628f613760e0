"""Reset: remove the learner's progress in the tutorial, after typing their user id; the history
keeps it, so it can be restored."""

from __future__ import annotations

import streamlit as st

from dashboard.text import literal
from dashboard.views.console.writes import Learner, show_outcome, write

FORM = "reset"


def reset_form(learner: Learner) -> None:
    user_id, tutorial_id = learner.user_id, learner.tutorial_id

    @st.dialog("Reset this learner's progress?")
    def confirm_reset() -> None:
        st.write(
            f"This removes every chapter, quiz and the certificate of **{literal(user_id)}** in "
            f"**{literal(tutorial_id)}**. It can be undone from the history."
        )
        typed = st.text_input("Type the user id to confirm", key=learner.key(FORM, "confirm"))
        reason = learner.reason(FORM)
        confirmed = typed.strip() == user_id
        if st.button("Reset progress", type="primary", disabled=not confirmed) and confirmed:
            write(
                learner,
                FORM,
                lambda why: learner.service.reset_progress(
                    tutorial_id, user_id, actor=learner.operator, source="console", reason=why
                ),
                reason=reason,
                done="Progress reset. Undo it from the history below if it was a mistake.",
                unchanged=f"Nothing changed: {user_id} has no progress in {tutorial_id}.",
            )

    st.write("Removes all of this learner's progress in this tutorial; the history keeps it.")
    if st.button("Reset…", icon=":material/restart_alt:"):
        confirm_reset()
    show_outcome(FORM)
