"""Start the dashboard the way `make run` does, on a throwaway embedded database with demo data:
for the browser tests and for `make screenshots`."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class ServerFailed(RuntimeError):
    """The dashboard did not come up; the message carries its output."""


@dataclass(frozen=True)
class Dashboard:
    url: str
    data_dir: Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_dashboard(*demo_arguments: str) -> Iterator[Dashboard]:
    directory = Path(tempfile.mkdtemp(prefix="progress-ops-dashboard-"))
    directory.chmod(0o755)  # as root, the embedded server runs as its own user and needs access
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PROGRESS_OPS_DATA_DIR"] = str(directory / "postgres")
    subprocess.run(
        [BIN / "progress-ops", "demo-data", *demo_arguments],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    try:
        with streamlit_server(
            "dashboard/app.py", port=free_port(), cwd=ROOT, env=env, log=directory / "streamlit.log"
        ) as url:
            yield Dashboard(url, directory / "postgres")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def streamlit_server(
    app: str | Path, *, port: int, cwd: Path, env: dict[str, str], log: Path
) -> Iterator[str]:
    """`streamlit run app` as in production (headless, no file watcher) on 127.0.0.1:`port`,
    its output in `log`; yields its URL once healthy, and stops it afterwards."""
    with log.open("w") as output:
        server = subprocess.Popen(
            [
                BIN / "streamlit",
                "run",
                str(app),
                "--server.headless",
                "true",
                "--server.fileWatcherType",
                "none",
                "--browser.gatherUsageStats",
                "false",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
            ],
            cwd=cwd,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def wait_for_health(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        if server.poll() is not None:
            raise ServerFailed(f"the dashboard died:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise ServerFailed(f"the dashboard did not start within 60 s:\n{log.read_text()}")
        time.sleep(0.3)


IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
