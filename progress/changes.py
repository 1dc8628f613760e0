"""What an event changed, in sentences a support person can read (the console's history)."""

from __future__ import annotations

from progress.models import ProgressSnapshot


def _seconds(value: float) -> str:
    return f"{value:,.0f} s"


def _count(number: int, noun: str, plural: str | None = None) -> str:
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def describe_changes(before: ProgressSnapshot | None, after: ProgressSnapshot | None) -> list[str]:
    if before is None and after is None:
        return ["nothing (there was no progress)"]
    if after is None:
        assert before is not None
        return [
            f"removed all progress ({before.completion_percentage:g} %, "
            f"{_count(len(before.chapter_progress), 'chapter')}, "
            f"{_count(len(before.quiz_scores), 'quiz', 'quizzes')}"
            + (", certificate" if before.certificate_earned else "")
            + ")"
        ]
    old_chapters = {c.chapter_id: c for c in before.chapter_progress} if before else {}
    old_quizzes = {q.quiz_id: q for q in before.quiz_scores} if before else {}
    lines: list[str] = []
    for chapter in after.chapter_progress:
        old = old_chapters.pop(chapter.chapter_id, None)
        if old == chapter:
            continue
        state = "completed" if chapter.completed else "not completed"
        if old is None:
            lines.append(
                f"chapter {chapter.chapter_id}: watched {_seconds(chapter.watch_time)}, "
                f"at {_seconds(chapter.last_position)}, {state}"
            )
        else:
            parts = []
            if old.watch_time != chapter.watch_time:
                parts.append(
                    f"watch time {_seconds(old.watch_time)} → {_seconds(chapter.watch_time)}"
                )
            if old.last_position != chapter.last_position:
                parts.append(
                    f"position {_seconds(old.last_position)} → {_seconds(chapter.last_position)}"
                )
            if old.completed != chapter.completed:
                parts.append(state)
            lines.append(f"chapter {chapter.chapter_id}: " + ", ".join(parts))
    lines.extend(f"chapter {chapter_id}: removed" for chapter_id in old_chapters)
    for quiz in after.quiz_scores:
        old_quiz = old_quizzes.pop(quiz.quiz_id, None)
        if old_quiz == quiz:
            continue
        verdict = "passed" if quiz.passed else "not passed"
        lines.append(
            f"quiz {quiz.quiz_id}: best {quiz.score:g}/{quiz.max_score:g}, "
            f"{_count(quiz.attempts, 'attempt')}, {verdict}"
        )
    lines.extend(f"quiz {quiz_id}: removed" for quiz_id in old_quizzes)
    had_certificate = before is not None and before.certificate is not None
    if after.certificate is not None and not had_certificate:
        override = after.certificate.override_reason
        lines.append("certificate awarded" + (f" by override: {override}" if override else ""))
    elif after.certificate is None and had_certificate:
        lines.append("certificate removed")
    if before is not None and before.total_chapters != after.total_chapters:
        lines.append(f"total chapters {before.total_chapters} → {after.total_chapters}")
    return lines or ["no change"]
