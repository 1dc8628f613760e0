"""The real thing: `progress-ops api` under uvicorn on 127.0.0.1, driven by `progress-ops load`,
stopped with SIGTERM — and every request it answered is in `api_logs` afterwards."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select

from api.auth import hash_token
from api.load import LoadPlan, run_load
from commands import main
from progress.schema import api_logs, client_events, progress_events
from tests.api.conftest import SERVICE_TOKEN

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def server(engine: Engine, database_url: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    token = {"sha256": hash_token(SERVICE_TOKEN), "role": "service", "name": "load-test"}
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PROGRESS_OPS_API_TOKENS": json.dumps([token]),
        "PROGRESS_OPS_API_LOG_INTERVAL_MS": "600000",  # only the shutdown writes the log
        "PROGRESS_OPS_API_LOG_BATCH_ROWS": "100000",
    }
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("progress-ops")), "api", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield f"http://127.0.0.1:{port}", process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def wait_until_up(url: str, process: subprocess.Popen[str]) -> None:
    """Poll /health until it answers (a refused connection reaches no app and logs nothing)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            pytest.fail(f"the API exited early:\n{output}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail("the API did not answer /health within 30 s")


def count(engine: Engine, table: object) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_uvicorn_serves_the_load_and_a_clean_shutdown_loses_no_log_row(
    server: tuple[str, subprocess.Popen[str]], engine: Engine
) -> None:
    url, process = server
    wait_until_up(url, process)

    report = asyncio.run(
        run_load(LoadPlan(url=url, rps=40, seconds=1.5, error_rate=0.1, token=SERVICE_TOKEN))
    )
    assert count(engine, api_logs) == 0  # nothing written yet: buffered until shutdown

    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)

    assert process.returncode in {0, -signal.SIGTERM}, output  # uvicorn re-raises the signal
    assert "Application shutdown complete" in output
    assert "Traceback" not in output
    assert report.sent == 60
    assert report.statuses[0] == 0
    assert set(report.statuses) <= {200, 400, 409, 422}
    assert report.statuses[400] + report.statuses[422] > 0  # the injected errors
    assert count(engine, api_logs) == report.sent + 1  # and the one /health
    assert count(engine, progress_events) > 0
    assert count(engine, client_events) > 0


@pytest.fixture
def checking_the_test_database(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)  # for `progress-ops check`


def load_then_check(server: tuple[str, subprocess.Popen[str]], plan: LoadPlan) -> int:
    """Drive the real API with `plan`, stop it (which writes its log), then `progress-ops check`."""
    url, process = server
    wait_until_up(url, process)
    report = asyncio.run(run_load(replace(plan, url=url, token=SERVICE_TOKEN)))
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=30)
    assert report.sent == plan.total
    assert report.statuses[0] == 0
    return main(["check", "--window", "1h"])


@pytest.mark.usefixtures("checking_the_test_database")
def test_the_load_generator_by_default_is_a_healthy_service_and_check_exits_zero(
    server: tuple[str, subprocess.Popen[str]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Response times are this machine's to decide, not the generator's (a healthy plan sends no
    # slow request, tests/api/test_tools.py), so a busy test machine must not fail this test.
    monkeypatch.setenv("PROGRESS_OPS_TARGET_AVG_RESPONSE_MS", "60000")
    monkeypatch.setenv("PROGRESS_OPS_TARGET_P95_RESPONSE_MS", "60000")

    code = load_then_check(server, LoadPlan(rps=20, seconds=3))

    out = capsys.readouterr().out
    assert code == 0, out
    assert "Error rate         0.00 %" in out
    assert "missed" not in out


@pytest.mark.usefixtures("checking_the_test_database")
def test_an_incident_from_the_load_generator_misses_every_target_and_check_exits_one(
    server: tuple[str, subprocess.Popen[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    code = load_then_check(server, LoadPlan(rps=20, seconds=3, incident=True))

    out = capsys.readouterr().out
    assert code == 1, out
    assert (
        "Missed: Avg response time, p95 response time, Error rate, Migration success, "
        "Fallback rate." in out
    )
