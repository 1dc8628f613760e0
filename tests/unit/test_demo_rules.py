"""The demo's column-wise learners are what `progress.rules` make of the same activity: every
generated pair is replayed through the rules, chapter by chapter and attempt by attempt, and the
result must equal the state its audit event holds (aggregates, moments, quizzes, certificate)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from progress import demo
from progress.demo import (
    CHAPTER_IDS,
    EPOCH,
    IMPROVED,
    MAX_SCORE,
    NONE,
    OVERRIDE_REASON,
    PASS_SCORE,
    QUIZ_IDS,
    SUPPORT_AGENTS,
    WORSENED,
    DemoSpec,
    LearnerChunk,
    catalog,
    change_dates,
    learner_chunk,
    learner_id,
)
from progress.models import ProgressSnapshot
from progress.rules import (
    ProgressState,
    apply_chapter,
    apply_quiz,
    award_certificate,
    stamp_moments,
)

SPEC = DemoSpec(learners=3000, days=60, seed=9, now=datetime(2026, 11, 24, 12, tzinfo=UTC))
TUTORIALS = catalog(np.random.default_rng([SPEC.seed, 0]))


def moment(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def replay(chunk: LearnerChunk, pair: int) -> ProgressState:
    """The pair's activity through the service's rules."""
    tutorial = TUTORIALS[chunk.tutorial[pair]]
    user = learner_id(int(chunk.learner[pair]))
    state = ProgressState(
        tutorial.tutorial_id,
        user,
        catalog_total_chapters=tutorial.chapters,
        started_at=moment(int(chunk.started[pair])),
    )
    for column in np.flatnonzero(chunk.chapter_seen[pair]):
        at = moment(int(chunk.chapter_at[pair, column]))
        watched = apply_chapter(
            state,
            chapter_id=CHAPTER_IDS[column],
            watch_time=float(chunk.watch[pair, column]),
            completed=bool(chunk.chapter_done[pair, column]),
            last_position=float(chunk.position[pair, column]),
            total_chapters=tutorial.chapters if chunk.declared[pair] else None,
            at=at,
        )
        state = stamp_moments(state, watched, at=at)
    for quiz, attempt in zip(*np.nonzero(chunk.attempt_seen[pair]), strict=True):
        score = float(chunk.score[pair, quiz, attempt])
        state = apply_quiz(
            state,
            quiz_id=QUIZ_IDS[quiz],
            score=score,
            max_score=MAX_SCORE,
            passed=score >= PASS_SCORE,
            at=moment(int(chunk.attempt_at[pair, quiz, attempt])),
        )
    if chunk.certified[pair] != NONE:
        by = int(chunk.awarded_by[pair])
        state = award_certificate(  # refused (NotEligible) unless eligible or overridden
            state,
            awarded_by=SUPPORT_AGENTS[by - 1] if by else user,
            override_reason=OVERRIDE_REASON if by else None,
            at=moment(int(chunk.certified[pair])),
        )
    return state


@pytest.mark.parametrize("number", [0, 1])
def test_every_generated_pair_is_what_the_rules_make_of_its_activity(
    number: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "LEARNERS_PER_CHUNK", 200)
    chunk = learner_chunk(SPEC, TUTORIALS, number)
    events = chunk.events([t.tutorial_id for t in TUTORIALS])
    assert len(events) == len(chunk.tutorial) > 400
    assert set(chunk.learner) == set(range(200 * number + 1, 200 * number + 201))
    for pair, (at, tutorial_id, user, after) in enumerate(events):
        state = replay(chunk, pair)
        assert ProgressSnapshot.model_validate(json.loads(after)) == state.to_snapshot()
        assert (tutorial_id, user) == (state.tutorial_id, state.user_id)
        assert datetime.fromisoformat(at) == moment(int(chunk.updated[pair]))
        # an eligible learner has their certificate, at their last activity
        if state.certificate_eligible:
            assert state.certificate is not None
            assert state.certificate.awarded_by == user


def test_support_overrides_are_what_the_rules_allow() -> None:
    chunk = learner_chunk(SPEC, TUTORIALS, 0)
    events = chunk.events([t.tutorial_id for t in TUTORIALS])
    overrides = np.flatnonzero(chunk.awarded_by > 0)
    assert 0 < len(overrides) < (chunk.certified != NONE).sum() / 10
    for pair in overrides.tolist():
        state = replay(chunk, pair)
        assert not state.certificate_eligible
        assert ProgressSnapshot.model_validate(json.loads(events[pair][3])) == state.to_snapshot()


def test_the_changed_tutorials_change_on_their_dates() -> None:
    chunk = learner_chunk(DemoSpec(20_000, 90, 3, SPEC.now), TUTORIALS, 0)
    ids = np.array([t.tutorial_id for t in TUTORIALS])[chunk.tutorial]
    dates = change_dates(DemoSpec(20_000, 90, 3, SPEC.now))

    def completed_share(tutorial: str, after: bool, column: int) -> float:
        change = (dates[tutorial] - EPOCH) // timedelta(microseconds=1)
        chosen = (ids == tutorial) & ((chunk.started >= change) == after)
        reached = chosen & chunk.chapter_seen[:, column]
        return float((reached & chunk.chapter_done[:, column]).sum() / reached.sum())

    assert completed_share(IMPROVED, True, 0) > completed_share(IMPROVED, False, 0) + 0.05
    assert completed_share(WORSENED, True, 1) < completed_share(WORSENED, False, 1) - 0.15
