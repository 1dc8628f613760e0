"""Time windows: half-open `[start, end)` ranges in UTC, as the dashboard's sidebar picks them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

PRESETS: dict[str, timedelta] = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
PRESET_LABELS: dict[str, str] = {
    "1h": "Last hour",
    "24h": "Last 24 hours",
    "7d": "Last 7 days",
    "30d": "Last 30 days",
}


def utc_midnight(moment: datetime) -> datetime:
    """The start of the UTC day holding `moment`."""
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


class BadWindow(ValueError):
    """A window name or range that makes no sense; the message says which ones do."""


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise BadWindow("A time window needs time zones on both ends.")
        if self.start >= self.end:
            raise BadWindow("A time window must start before it ends.")

    @classmethod
    def last(cls, preset: str, *, now: datetime | None = None) -> Window:
        """The preset ('1h', '24h', '7d', '30d') ending at `now` (default: this minute's end)."""
        if preset not in PRESETS:
            raise BadWindow(f"Unknown window {preset!r}; use one of {', '.join(PRESETS)}.")
        end = now or datetime.now(UTC)
        return cls(end - PRESETS[preset], end)

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def previous(self) -> Window:
        """The window of the same length just before this one (for "change since")."""
        return Window(self.start - self.length, self.start)

    def describe(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M} – {self.end:%Y-%m-%d %H:%M} UTC"
