"""Who may write from the console."""

from __future__ import annotations

from dashboard.access import Identity, may_write

SUPPORT = ["sam@example.com"]


def test_support_users_may_write_when_signed_in_or_named_by_the_proxy() -> None:
    for source in ("login", "header"):
        decision = may_write(
            Identity("sam@example.com", source), support_users=SUPPORT, embedded=False
        )
        assert decision.allowed


def test_signed_in_users_without_the_role_are_told_how_to_get_it() -> None:
    decision = may_write(
        Identity("eve@example.com", "login"), support_users=SUPPORT, embedded=False
    )
    assert not decision.allowed
    assert "PROGRESS_OPS_SUPPORT_USERS" in decision.reason


def test_a_typed_name_is_enough_only_on_the_embedded_demo_database() -> None:
    typed = Identity("sam", "typed")
    assert may_write(typed, support_users=[], embedded=True).allowed
    refused = may_write(typed, support_users=["sam"], embedded=False)
    assert not refused.allowed
    assert "embedded demo database" in refused.reason


def test_nobody_may_write_anonymously() -> None:
    for embedded in (True, False):
        decision = may_write(Identity(None, "none"), support_users=SUPPORT, embedded=embedded)
        assert not decision.allowed
    assert "Sign in" in may_write(Identity(None, "none"), support_users=[], embedded=False).reason
