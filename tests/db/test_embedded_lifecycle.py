"""The embedded PostgreSQL's lifecycle: `progress-ops db status|stop`, and a server left running by
a killed process is joined and stopped by the next start.

Each test starts its own embedded server in a temporary directory (never the shared test server),
owned by a separate Python process, as `make run` or `progress-ops api` would own it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from commands import main
from progress import embedded

OWNER = """
import sys, time
from pathlib import Path
from progress.db import start_embedded
server = start_embedded(Path(sys.argv[1]))
print(server.get_pid(), flush=True)
if sys.argv[2] == "stay":
    time.sleep(600)
"""
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def data_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    parent = Path(tempfile.mkdtemp(prefix="progress-ops-clidocs-lifecycle-"))
    parent.chmod(0o755)  # as root, the server runs as its own user and needs access
    directory = parent / "postgres"
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("PROGRESS_OPS_DATA_DIR", str(directory))
    yield directory
    embedded.stop(directory)
    shutil.rmtree(parent, ignore_errors=True)


def start_owner(data_dir: Path, *, stay: bool) -> tuple[subprocess.Popen[str], int]:
    """A Python process that starts (or joins) the server and prints the postmaster's pid."""
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(data_dir), "stay" if stay else "exit"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert owner.stdout is not None
    line = owner.stdout.readline()
    assert line.strip().isdigit(), f"the owner did not start the server: {line!r}"
    return owner, int(line)


def status_of(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["db", "status"])
    return code, capsys.readouterr().out


def test_status_says_running_with_pid_and_port_and_stop_stops_it(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert status_of(capsys) == (1, f"The embedded PostgreSQL in {data_dir} is not running.\n")
    owner, pid = start_owner(data_dir, stay=True)
    try:
        code, out = status_of(capsys)
        assert code == 0
        assert f"is running: pid {pid}, port 5432 on the Unix socket in {data_dir};" in out
        assert f"processes using it: {owner.pid}." in out

        assert main(["db", "stop"]) == 0
        out = capsys.readouterr().out
        assert f"Stopped the embedded PostgreSQL in {data_dir} (pid {pid})." in out
        assert f"Processes {owner.pid} were using it" in out
        assert not embedded.status(data_dir).running
        assert status_of(capsys)[0] == 1
    finally:
        owner.kill()
        owner.wait()


def test_a_server_left_by_a_killed_process_is_joined_and_then_stopped_by_the_next_start(
    data_dir: Path,
) -> None:
    owner, pid = start_owner(data_dir, stay=True)
    owner.send_signal(signal.SIGKILL)
    owner.wait()

    left = embedded.status(data_dir)
    assert left.pid == pid  # still running, used by nobody alive
    assert left.users == ()

    second, joined = start_owner(data_dir, stay=False)
    assert second.wait(timeout=60) == 0

    assert joined == pid  # the same server was reused, not a second one started
    assert not embedded.status(data_dir).running  # and its last user stopped it on exit


def test_a_process_stopped_with_sigterm_stops_the_server_it_was_the_last_user_of(
    data_dir: Path,
) -> None:
    owner, _ = start_owner(data_dir, stay=True)

    owner.send_signal(signal.SIGTERM)  # what systemctl stop and docker stop send

    assert owner.wait(timeout=60) == 128 + signal.SIGTERM
    assert not embedded.status(data_dir).running


def test_stop_when_nothing_runs_says_so_and_succeeds(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "stop"]) == 0
    assert capsys.readouterr().out == f"The embedded PostgreSQL in {data_dir} is not running.\n"


def test_status_never_starts_the_server(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status_of(capsys)
    assert not data_dir.exists()
    assert os.listdir(data_dir.parent) == []
