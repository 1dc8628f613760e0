"""The tools around the API: `progress-ops load` (bounded, loopback only, realistic) and
`progress-ops api-token` (tokens and their configuration)."""

from __future__ import annotations

import json

import pytest

from api.auth import hash_token
from api.load import MAX_RPS, MAX_SECONDS, LoadPlan, Traffic, check_loopback
from api.settings import ApiToken
from commands import main
from progress import routes
from progress.errors import InvalidInput


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000", "http://127.9.9.9"],
)
def test_the_load_generator_accepts_loopback_targets(url: str) -> None:
    check_loopback(url)


@pytest.mark.parametrize(
    "url",
    ["http://10.0.0.5:8000", "http://192.168.1.10", "https://api.example.com", "http://0.0.0.0"],
)
def test_the_load_generator_refuses_any_other_target(url: str) -> None:
    with pytest.raises(InvalidInput, match="only targets this machine"):
        check_loopback(url)


@pytest.mark.parametrize(
    ("rps", "seconds", "error_rate"),
    [(0, 10, 0), (MAX_RPS + 1, 10, 0), (10, MAX_SECONDS + 1, 0), (10, 10, 1.5)],
)
def test_a_load_plan_is_bounded(rps: float, seconds: float, error_rate: float) -> None:
    with pytest.raises(InvalidInput):
        LoadPlan(rps=rps, seconds=seconds, error_rate=error_rate)


def test_the_load_command_refuses_a_remote_target_with_a_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["load", "--rps", "5", "--seconds", "1", "--url", "http://10.1.2.3:8000"])

    assert code == 2
    assert "only targets this machine" in capsys.readouterr().err


def test_traffic_is_the_same_for_the_same_seed_and_uses_the_route_templates() -> None:
    def draw() -> list[tuple[str, str]]:
        traffic = Traffic(LoadPlan(rps=10, seconds=1, seed=3))
        return [(r.name, r.path) for r in (traffic.next_request() for _ in range(300))]

    first = draw()

    assert first == draw()
    templates = {name.split(" ", 1)[1] for name, _ in first}
    assert templates <= {template for _, template in routes.PROGRESS_ENDPOINTS}
    assert {routes.CHAPTER, routes.PROGRESS, routes.QUIZ, routes.CLIENT_EVENTS} <= templates


def test_with_an_error_rate_of_one_every_request_is_invalid() -> None:
    traffic = Traffic(LoadPlan(rps=10, seconds=1, error_rate=1.0))

    for _ in range(50):
        request = traffic.next_request()
        body = request.options.get("json", {})
        params = request.options.get("params", {})
        invalid = (
            body.get("score", 0) > body.get("maxScore", 1e9)
            or body.get("watchTime", 0) < 0
            or (request.method == "GET" and "userId" not in params)
        )
        assert invalid, request


def test_api_token_new_prints_a_token_and_its_configuration_entry(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["api-token", "new", "--role", "learner", "--user-id", "learner-3"]) == 0

    lines = capsys.readouterr().out.splitlines()
    token = lines[0].rsplit(" ", 1)[1]
    entry = ApiToken.model_validate(json.loads(lines[1].split(": ", 1)[1]))
    assert entry.sha256 == hash_token(token)
    assert (entry.role, entry.user_id) == ("learner", "learner-3")


def test_api_token_hash_prints_the_sha256(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["api-token", "hash", "abc"]) == 0

    assert capsys.readouterr().out.strip() == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_a_service_token_needs_a_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["api-token", "new", "--role", "service"]) == 2
    assert "--name" in capsys.readouterr().err
