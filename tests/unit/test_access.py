"""Who may write from the console."""

from __future__ import annotations

import pytest

from dashboard.access import Identity, identify, may_write

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


# -- identify: who is looking --------------------------------------------------------------------


def test_a_signed_in_user_is_named_by_email_else_by_name() -> None:
    both = {"is_logged_in": True, "email": "sam@example.com", "name": "Sam"}
    assert identify(login=both, header=None, typed=None) == Identity("sam@example.com", "login")
    name_only = {"is_logged_in": True, "name": "Sam"}
    assert identify(login=name_only, header=None, typed=None) == Identity("Sam", "login")


def test_sign_in_wins_over_the_header_which_wins_over_a_typed_name() -> None:
    login = {"email": "sam@example.com"}
    assert identify(login=login, header="kim", typed="lee").source == "login"
    assert identify(login=None, header="kim", typed="lee") == Identity("kim", "header")
    assert identify(login=None, header=None, typed="lee") == Identity("lee", "typed")


def test_a_sign_in_without_email_or_name_falls_through_to_the_header() -> None:
    nameless = {"is_logged_in": True, "sub": "1234"}
    assert identify(login=nameless, header="kim", typed=None) == Identity("kim", "header")


@pytest.mark.parametrize("blank", [None, "", "   ", 42])
def test_missing_blank_or_non_text_values_identify_nobody(blank: object) -> None:
    login = {"email": blank, "name": blank}
    header = blank if isinstance(blank, str) else None
    typed = blank if isinstance(blank, str) else None
    assert identify(login=login, header=header, typed=typed) == Identity(None, "none")


def test_names_are_trimmed() -> None:
    assert identify(login=None, header="  kim@example.com ", typed=None).name == "kim@example.com"
    assert identify(login=None, header=None, typed=" lee\n").name == "lee"
