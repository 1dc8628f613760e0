"""Complete: award the certificate — an override, with its reason, when the learner is not
eligible."""

from __future__ import annotations

import streamlit as st

from dashboard.text import literal
from dashboard.views.console.writes import REASON_REQUIRED, Learner, show_outcome, write

FORM = "complete"


def certificate_form(learner: Learner) -> None:
    show_outcome(FORM)
    if learner.snapshot.certificate is not None:
        st.success("The certificate is already awarded.")
        return
    blockers = learner.blockers
    if blockers:
        st.warning(
            "Not eligible: " + "; ".join(literal(b) for b in blockers) + ".",
            icon=":material/block:",
        )
    else:
        st.info("Eligible: every chapter completed and every quiz passed.")
    with st.form(FORM):
        reason = st.text_input(
            "Override reason (kept with the certificate and in the history)"
            if blockers
            else "Reason (kept in the history)",
            key=learner.key(FORM, "reason"),
            placeholder="ticket 812: …",
            help="Awarding to a learner who is not eligible is an override: its reason is kept "
            "with the certificate. Every award from the console needs a reason.",
        )
        if st.form_submit_button("Award certificate", type="primary"):
            write(
                learner,
                FORM,
                lambda why: learner.service.complete_tutorial(
                    learner.tutorial_id,
                    learner.user_id,
                    actor=learner.operator,
                    source="console",
                    override_reason=why if blockers else None,
                    reason=None if blockers else why,
                ),
                reason=reason,
                missing_reason="The learner is not eligible: give the reason for the override."
                if blockers
                else REASON_REQUIRED,
                done="Certificate awarded" + (" by override." if blockers else "."),
                unchanged="Nothing changed: the certificate was already awarded.",
            )
