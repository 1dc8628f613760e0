"""The sidebar's filters as plain data, and what they mean in the URL and in an export.

URL (what a copied link carries):
- `?window=1h|24h|7d|30d` (absent: 24h), ending at the current minute's end;
- `?window=custom&start=2026-11-01&end=2026-11-07`: whole UTC days, both inclusive;
- `&tutorial=sql-basics` (absent: all tutorials);
- the console adds `&user=learner-000042`.

Every CSV download names its file and writes its first lines from the same filters, so a file
found later says what it was made with. Nothing here imports Streamlit (unit-tested).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd

from queries.window import PRESET_LABELS, PRESETS, Window

CUSTOM = "custom"
DEFAULT_WINDOW = "24h"
WINDOW_CHOICES: tuple[str, ...] = (*PRESETS, CUSTOM)
DEFAULT_CUSTOM_DAYS = 7


def window_label(choice: str) -> str:
    return PRESET_LABELS.get(choice, "Custom range (UTC days)")


def _parse_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return None


def custom_days(start: str | None, end: str | None, *, today: date) -> tuple[date, date]:
    """The custom range from the URL's `start`/`end`, tolerant of what people paste: a missing
    or malformed day falls back to the last 7 days, a reversed range is swapped, and no range
    ends after today."""
    first, last = _parse_day(start), _parse_day(end)
    if first is None or last is None:
        return today - timedelta(days=DEFAULT_CUSTOM_DAYS - 1), today
    first, last = sorted((first, last))
    last = min(last, today)
    return min(first, last), last


@dataclass(frozen=True)
class Filters:
    """What the sidebar selected. The window is computed when a page runs (`window(now)`), so an
    auto-refreshed page moves its "last 24 hours" along with the clock."""

    window_choice: str = DEFAULT_WINDOW
    first_day: date | None = None
    last_day: date | None = None
    tutorial_id: str | None = None
    by_tutorial: bool = False  # whether the page offers the tutorial filter at all

    def window(self, now: datetime) -> Window:
        if self.window_choice == CUSTOM and self.first_day and self.last_day:
            start = datetime.combine(self.first_day, time.min, tzinfo=UTC)
            end = datetime.combine(self.last_day, time.min, tzinfo=UTC) + timedelta(days=1)
            return Window(start, end)
        preset = self.window_choice if self.window_choice in PRESETS else DEFAULT_WINDOW
        # The end is the current minute's end: the same window (and cached answer) for a minute.
        end = now.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        return Window.last(preset, now=end)

    def describe(self, window: Window) -> str:
        """One line for a page's caption and an export's header."""
        if self.window_choice == CUSTOM:
            span = f"{window.start:%Y-%m-%d} – {window.end - timedelta(days=1):%Y-%m-%d} (UTC days)"
        else:
            span = f"{window_label(self.window_choice).lower()}: {window.describe()}"
        if not self.by_tutorial:
            return span
        return f"{span} · " + (
            f"tutorial {self.tutorial_id}" if self.tutorial_id else "all tutorials"
        )


def export_name(name: str, window: Window | None, details: Sequence[str] = ()) -> str:
    """A CSV file name that records what it holds: `endpoints_20261117T2118Z-20261124T2118Z.csv`,
    `funnel_…_react-hooks.csv`."""
    parts = [name]
    if window is not None:
        parts.append(f"{window.start:%Y%m%dT%H%MZ}-{window.end:%Y%m%dT%H%MZ}")
    parts.extend(details)
    safe = "_".join(parts)
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in safe) + ".csv"


def export_csv(data: pd.DataFrame, header: Mapping[str, str], *, exported_at: datetime) -> str:
    """The CSV text: `# key: value` lines saying what it was made with, then the table."""
    lines = [f"# {key}: {value}" for key, value in header.items()]
    lines.append(f"# exported: {exported_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC")
    return "\n".join(lines) + "\n" + data.to_csv(index=False)
