"""The tools around the API: `progress-ops load` (bounded, loopback only, realistic) and
`progress-ops api-token` (tokens and their configuration)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from api.auth import hash_token
from api.load import (
    HEALTHY,
    MAX_RPS,
    MAX_SECONDS,
    LoadPlan,
    PlannedRequest,
    Traffic,
    check_loopback,
)
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


def is_invalid(request: PlannedRequest) -> bool:
    body = request.options.get("json", {})
    params = request.options.get("params", {})
    return bool(
        body.get("score", 0) > body.get("maxScore", 1e9)
        or body.get("watchTime", 0) < 0
        or (request.method == "GET" and "userId" not in params)
    )


def test_with_an_error_rate_of_one_every_request_is_invalid() -> None:
    traffic = Traffic(LoadPlan(rps=10, seconds=1, error_rate=1.0))

    for _ in range(50):
        request = traffic.next_request()
        assert is_invalid(request), request


@dataclass(frozen=True)
class Shares:
    """What 5,000 planned requests would do to the targets (as the dashboard computes them)."""

    invalid_pct: float
    fallback_rate_pct: float
    migration_success_pct: float
    slow_pct: float


def shares(plan: LoadPlan, n: int = 5000) -> Shares:
    traffic = Traffic(plan)
    requests = [traffic.next_request() for _ in range(n)]
    events = [
        event
        for r in requests
        if r.template == routes.CLIENT_EVENTS
        for event in r.options["json"]["events"]
    ]
    fallbacks = sum(event["kind"] == "fallback" for event in events)
    failed = sum(event.get("outcome") == "failed" for event in events)
    succeeded = sum(r.template == routes.MIGRATE for r in requests)
    return Shares(
        invalid_pct=100 * sum(map(is_invalid, requests)) / n,
        fallback_rate_pct=100 * fallbacks / (fallbacks + n),
        migration_success_pct=100 * succeeded / (succeeded + failed),
        slow_pct=100 * sum(r.slow for r in requests) / n,
    )


def test_by_default_the_traffic_is_a_healthy_service_inside_every_target() -> None:
    healthy = shares(LoadPlan(rps=10, seconds=1))

    assert healthy.invalid_pct == 0
    assert healthy.slow_pct == 0
    assert healthy.fallback_rate_pct < 2  # target < 5 %
    assert healthy.migration_success_pct > 95  # target > 90 %


def test_an_incident_misses_every_target_on_purpose() -> None:
    incident = shares(LoadPlan(rps=10, seconds=1, incident=True))

    assert incident.invalid_pct > 3  # target < 1 %
    assert incident.fallback_rate_pct > 10  # target < 5 %
    assert incident.migration_success_pct < 75  # target > 90 %
    assert incident.slow_pct > 10  # each ≥ 1.5 s: the average and p95 go above 200 and 500 ms


def test_an_error_rate_given_overrides_the_conditions_own() -> None:
    assert LoadPlan(incident=True).conditions.error_rate == 0.05
    assert LoadPlan(incident=True, error_rate=0).conditions.error_rate == 0
    assert LoadPlan(error_rate=0.2).conditions.fallback_rate == HEALTHY.fallback_rate


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
