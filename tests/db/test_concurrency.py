"""No lost updates: concurrent writers to one learner's tutorial all land."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine, func, select

from progress.schema import progress_events
from progress.service import ProgressService

T, U = "concurrency", "learner-c"
THREADS = 16


def run_together(count: int, work: Callable[[int], object]) -> None:
    """Run `work(i)` for i in range(count) in threads released at the same instant."""
    barrier = threading.Barrier(count)

    def start(index: int) -> object:
        barrier.wait()
        return work(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        for future in [pool.submit(start, i) for i in range(count)]:
            future.result()


def test_sixteen_threads_updating_different_chapters_all_land(
    service: ProgressService, engine: Engine
) -> None:
    run_together(
        THREADS,
        lambda i: service.update_chapter_progress(
            T,
            U,
            chapter_id=f"chapter-{i:02d}",
            watch_time=10 + i,
            completed=i % 2 == 0,
            last_position=i,
            total_chapters=THREADS,
            actor=U,
            source="api",
        ),
    )
    progress = service.get_progress(T, U)
    assert len(progress.chapter_progress) == THREADS
    assert progress.chapters_completed == THREADS // 2
    assert progress.completion_percentage == 50.0
    assert progress.total_watch_time == sum(10 + i for i in range(THREADS))
    with engine.connect() as connection:
        events = connection.execute(select(func.count()).select_from(progress_events)).scalar()
    assert events == THREADS


def test_sixteen_threads_submitting_one_quiz_ten_times_count_160_attempts(
    service: ProgressService,
) -> None:
    def submit_ten(index: int) -> None:
        for attempt in range(10):
            service.update_quiz_score(
                T,
                U,
                quiz_id="final",
                score=(index * 10 + attempt) % 101,
                max_score=100,
                passed=index == 7 and attempt == 3,
                actor=U,
                source="api",
            )

    run_together(THREADS, submit_ten)
    [quiz] = service.get_progress(T, U).quiz_scores
    assert quiz.attempts == THREADS * 10
    assert quiz.score == 100  # (index 10, attempt 0) scores 100 % 101 = 100
    assert quiz.passed
