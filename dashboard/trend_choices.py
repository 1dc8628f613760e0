"""The Completion trends page's choices as plain data, and how they live in the URL.

`?period=day|week|month` (cohort size, default week) `&weeks=13` (cohorts started in the last so
many weeks: 4, 8, 13, 26 or 52) `&within=14` (N: completion within N days: 1, 7, 14, 30 or 60)
`&tutorials=sql-basics,docker-101` (default all) `&curves=cohort|tutorial` and, for "What
changed", `&split=2026-10-15` (the day the change went out; default: half-way through the span)
`&length=28` (days compared on each side, 7–91) `&changed=sql-basics` (default all the chosen
tutorials). What people paste is tolerated: a value that makes no sense is the default. Nothing
here imports Streamlit (unit-tested).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from queries.trends import ALL, MILESTONES, PERIODS, Period, Span

WEEKS = (4, 8, 13, 26, 52)
CURVES = ("cohort", "tutorial")
MIN_LENGTH, MAX_LENGTH = 7, 91
DEFAULTS: dict[str, str] = {
    "period": "week",
    "weeks": "13",
    "within": "14",
    "tutorials": "",
    "curves": "cohort",
    "split": "",
    "length": "28",
    "changed": "",
}


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _whole(text: str | None, allowed: tuple[int, ...], default: int) -> int:
    try:
        value = int(text or "")
    except ValueError:
        return default
    return value if value in allowed else default


def _one_of(text: str | None, allowed: tuple[str, ...]) -> str:
    return text if text is not None and text in allowed else allowed[0]


@dataclass(frozen=True)
class TrendChoices:
    period: Period = "week"
    weeks: int = 13
    within: int = 14
    tutorials: tuple[str, ...] = ()
    curves: str = "cohort"
    split: date | None = None
    length: int = 28
    changed: str = ALL

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> TrendChoices:
        period = params.get("period")
        try:
            split = date.fromisoformat(params.get("split") or "")
        except ValueError:
            split = None
        try:
            length = min(MAX_LENGTH, max(MIN_LENGTH, int(params.get("length") or "")))
        except ValueError:
            length = 28
        tutorials = tuple(t for t in (params.get("tutorials") or "").split(",") if t.strip())
        return cls(
            period=period if period in PERIODS else "week",
            weeks=_whole(params.get("weeks"), WEEKS, 13),
            within=_whole(params.get("within"), MILESTONES, 14),
            tutorials=tuple(sorted(set(tutorials))),
            curves=_one_of(params.get("curves"), CURVES),
            split=split,
            length=length,
            changed=params.get("changed") or ALL,
        )

    def to_params(self) -> dict[str, str]:
        """The URL's parameters for these choices (defaults left out)."""
        values = {
            "period": self.period,
            "weeks": str(self.weeks),
            "within": str(self.within),
            "tutorials": ",".join(self.tutorials),
            "curves": self.curves,
            "split": self.split.isoformat() if self.split else "",
            "length": str(self.length),
            "changed": "" if self.changed == ALL else self.changed,
        }
        return {key: value for key, value in values.items() if value != DEFAULTS[key]}

    def span(self, now: datetime) -> Span:
        """Cohorts of the last `weeks` weeks up to today (UTC), from a period's start."""
        end = _midnight(now.astimezone(UTC).date()) + timedelta(days=1)
        start = end - timedelta(weeks=self.weeks)
        if self.period == "week":
            start -= timedelta(days=start.weekday())
        elif self.period == "month":
            start = start.replace(day=1)
        return Span(start, end, self.tutorials)

    def split_day(self, now: datetime) -> date:
        """The change's day: the chosen one, else half-way through the span."""
        if self.split is not None:
            return self.split
        span = self.span(now)
        return (span.start + (span.end - span.start) / 2).date()

    def before_after(self, now: datetime) -> tuple[Span, Span]:
        """`length` days of starts before the change's day, and as many from it on."""
        split = _midnight(self.split_day(now))
        length = timedelta(days=self.length)
        return (
            Span(split - length, split, self.tutorials),
            Span(split, split + length, self.tutorials),
        )

    def describe(self) -> str:
        """One line for the page's caption and an export's header."""
        tutorials = ", ".join(self.tutorials) if self.tutorials else ALL
        return (
            f"{self.period} cohorts of the last {self.weeks} weeks · completion within "
            f"{self.within} days · {tutorials}"
        )
