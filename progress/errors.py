"""Domain errors.

Every message is written for a support person: it says what is wrong in the brief's words
("score 12 is above max score 10"), never in database terms. The dashboard shows the message;
the API turns the class into a status code.
"""

from __future__ import annotations


class ProgressError(Exception):
    """Base class of every error the progress store raises on purpose."""

    code = "progress_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(ProgressError):
    """A value given to the service breaks a rule; nothing was written."""

    code = "invalid_input"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class NotEligible(ProgressError):
    """The learner has not met the certificate rules and no override reason was given."""

    code = "not_eligible"

    def __init__(
        self,
        *,
        incomplete_chapters: list[str],
        unseen_chapters: int,
        failed_quizzes: list[str],
        total_chapters: int,
    ) -> None:
        self.incomplete_chapters = incomplete_chapters
        self.unseen_chapters = unseen_chapters
        self.failed_quizzes = failed_quizzes
        self.total_chapters = total_chapters
        super().__init__("Not eligible for a certificate: " + "; ".join(self.reasons()) + ".")

    def reasons(self) -> list[str]:
        reasons: list[str] = []
        if self.total_chapters == 0:
            reasons.append("the tutorial has no chapters recorded yet")
        if self.incomplete_chapters:
            reasons.append("chapters not completed: " + ", ".join(self.incomplete_chapters))
        if self.unseen_chapters:
            plural = "s" if self.unseen_chapters != 1 else ""
            reasons.append(
                f"{self.unseen_chapters} chapter{plural} of {self.total_chapters} never watched"
            )
        if self.failed_quizzes:
            reasons.append("quizzes not passed: " + ", ".join(self.failed_quizzes))
        return reasons


class EventNotFound(ProgressError):
    code = "event_not_found"

    def __init__(self, event_id: int) -> None:
        which = f"id {event_id}" if abs(event_id) < 10**20 else "such a large id"
        super().__init__(f"There is no history event with {which}.")
        self.event_id = event_id


class EmbeddedServerFailed(ProgressError):
    """The embedded PostgreSQL could not start in its data directory."""

    code = "embedded_server_failed"

    def __init__(self, data_dir: object, detail: str) -> None:
        super().__init__(
            f"The embedded PostgreSQL could not start in {data_dir} ({detail}). "
            f"Its log is {data_dir}/log. Remove the directory to start afresh, set "
            "PROGRESS_OPS_DATA_DIR to another one, or set DATABASE_URL to use your own server."
        )


class DatabaseUnavailable(ProgressError):
    """The database could not be reached, even after retrying."""

    code = "database_unavailable"

    def __init__(self, masked_url: str, detail: str = "") -> None:
        hint = (
            "Check that PostgreSQL is running and that DATABASE_URL is right, "
            "or unset DATABASE_URL to use the embedded database."
        )
        suffix = f" ({detail})" if detail else ""
        super().__init__(f"Cannot reach the database at {masked_url}{suffix}. {hint}")
        self.masked_url = masked_url


class SchemaOutOfDate(DatabaseUnavailable):
    """The database answers, but its schema is not the one this version of progress-ops needs
    (a server named by `DATABASE_URL` is never upgraded behind its owner's back)."""

    code = "schema_out_of_date"

    def __init__(self, masked_url: str, found: str | None, needed: str) -> None:
        ProgressError.__init__(
            self,
            f"The database at {masked_url} has schema revision {found or 'none'}, but this "
            f"version of progress-ops needs {needed}. Run `progress-ops db upgrade` with the same "
            "DATABASE_URL, then retry.",
        )
        self.masked_url = masked_url


class QueryRefused(ProgressError):
    """The database is reachable and up to date but refused a query: a fault in progress-ops."""

    code = "query_refused"

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"The database refused a query ({detail}). This is a fault in progress-ops, not in "
            "the data and not a lost connection: report it with this message."
        )
