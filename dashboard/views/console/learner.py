"""Find the learner: a user id (or its beginning) in the URL (`?user=…`), the learner–tutorial
pairs it matches — saying when there are more than are listed — and the one shown."""

from __future__ import annotations

import streamlit as st

from dashboard.text import literal
from dashboard.widgets import empty_state, from_url, page_filters, to_url
from progress.models import LearnerTutorial
from progress.service import ProgressService

LISTED = 50  # matches offered at most; the label says how many more there are
COUNTED = 10_000  # matches counted at most ("first 50 of more than 10,000")


def label(match: LearnerTutorial) -> str:
    return f"{match.user_id} · {match.tutorial_id} ({match.completion_percentage:g} %)"


def find_learners(service: ProgressService, prefix: str) -> list[LearnerTutorial]:
    """Learners whose user id starts with `prefix`, plus — when `prefix` is a whole user id and a
    tutorial is selected — that pair if it has a history but no progress (after a reset), so it
    can still be restored."""
    matches = service.find_learners(prefix, limit=LISTED)
    wanted = page_filters().tutorial_id
    if wanted and not any(m.user_id == prefix and m.tutorial_id == wanted for m in matches):
        past = service.history(wanted, prefix, limit=1)
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


def matches_label(service: ProgressService, prefix: str, listed: int) -> str:
    """ "3 learner–tutorial matches", or — when the list is cut — how many there are in all."""
    if listed < LISTED:
        return f"{listed} learner–tutorial match{'es' if listed != 1 else ''}"
    total = service.count_learners(prefix, up_to=COUNTED + 1)
    if total <= listed:
        return f"{listed} learner–tutorial matches"
    of = f"more than {COUNTED:,}" if total > COUNTED else f"{total:,}"
    return f"Learner–tutorial matches: first {listed} of {of} — type more of the id"


def choose_learner(
    service: ProgressService, matches: list[LearnerTutorial], prefix: str
) -> LearnerTutorial:
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
        literal(matches_label(service, prefix, len(matches))),
        list(by_label),
        key="pair",
        on_change=picked,
    )
    shown = by_label[st.session_state["pair"]]
    if wanted and shown.tutorial_id != wanted:
        st.caption(
            literal(
                f"{shown.user_id} has no progress in {wanted}, the tutorial chosen in the "
                f"sidebar: showing {shown.tutorial_id}. Pick another match above to switch."
            )
        )
    return shown


def pick_learner(service: ProgressService) -> LearnerTutorial | None:
    """The search box and the picker; None (with what to do) when nobody is found."""
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
        return None
    matches = find_learners(service, prefix)
    if not matches:
        empty_state(f"No learner's user id starts with “{prefix}”. Check the spelling.")
        return None
    return choose_learner(service, matches, prefix)
