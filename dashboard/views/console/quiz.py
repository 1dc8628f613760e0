"""Record a quiz score: one more attempt (the best score and any pass are kept)."""

from __future__ import annotations

import streamlit as st

from dashboard.views.console.writes import Learner, show_outcome, write

FORM = "quiz"


def quiz_form(learner: Learner) -> None:
    with st.form(FORM):
        quiz_id = st.text_input("Quiz id", placeholder="quiz-1", key=learner.key(FORM, "quiz_id"))
        q1, q2, q3 = st.columns(3)
        score = q1.number_input("Score", value=0.0, key=learner.key(FORM, "score"))
        max_score = q2.number_input("Max score", value=10.0, key=learner.key(FORM, "max_score"))
        passed = q3.checkbox("Passed", key=learner.key(FORM, "passed"))
        reason = learner.reason(FORM)
        st.caption("Recorded as one more attempt: the best score and any pass are kept.")
        if st.form_submit_button("Record attempt", type="primary"):
            write(
                learner,
                FORM,
                lambda why: learner.service.update_quiz_score(
                    learner.tutorial_id,
                    learner.user_id,
                    quiz_id=quiz_id,
                    score=score,
                    max_score=max_score,
                    passed=passed,
                    actor=learner.operator,
                    source="console",
                    reason=why,
                ),
                reason=reason,
                done=f"Quiz {quiz_id} attempt recorded: {score:g} of {max_score:g}"
                + (", passed." if passed else "."),
                unchanged=f"Nothing changed: quiz {quiz_id} already has this attempt.",
            )
    show_outcome(FORM)
