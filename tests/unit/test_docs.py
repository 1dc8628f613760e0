"""The docs keep up with the code (the Datasette habit: undocumented = failing).

Every `progress-ops` command, option and exit code is in docs/cli.md; every setting read from the
environment is in the README or docs/; every link in them stays inside the repository and leads
to a file (and heading) that exists.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from pydantic_settings import BaseSettings

from api.settings import ApiSettings
from commands import build_parser
from commands.exit_codes import ExitCode
from dashboard.access import AccessSettings
from progress.db import Settings
from queries.targets import TargetSettings

ROOT = Path(__file__).resolve().parents[2]
CLI_DOC = (ROOT / "docs" / "cli.md").read_text()
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CODE_DIRS = ("progress", "queries", "api", "dashboard", "commands", "scripts", "bench")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)|^\[[^\]]+\]:\s*(\S+)", re.MULTILINE)
LOCAL_HOSTS = {"localhost", "127.0.0.1"}
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)


def leaf_commands() -> dict[str, argparse.ArgumentParser]:
    """`"db upgrade"` → its parser, for every command that runs something."""
    found: dict[str, argparse.ArgumentParser] = {}

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subparsers:
            found[path] = parser
        for action in subparsers:
            for name, child in action.choices.items():
                walk(child, f"{path} {name}".strip())

    walk(build_parser(), "")
    return found


def cli_section(command: str) -> str:
    heading = f"### `progress-ops {command}`"
    assert heading in CLI_DOC, f"docs/cli.md has no section {heading}"
    return CLI_DOC.split(heading, 1)[1].split("\n### ", 1)[0]


@pytest.mark.parametrize("command", sorted(leaf_commands()))
def test_every_command_and_each_of_its_options_is_in_docs_cli(command: str) -> None:
    section = cli_section(command)
    for action in leaf_commands()[command]._actions:
        for flag in action.option_strings:
            if flag.startswith("--") and flag != "--help":
                mentioned = re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", section)
                assert mentioned, f"{command}: {flag} is not documented"


@pytest.mark.parametrize("code", list(ExitCode))
def test_every_exit_code_is_in_the_exit_code_table(code: ExitCode) -> None:
    table = CLI_DOC.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    assert f"\n| {code.value} | " in table


def environment_settings() -> set[str]:
    classes: list[type[BaseSettings]] = [Settings, ApiSettings, TargetSettings, AccessSettings]
    names = {
        f"{cls.model_config.get('env_prefix', '')}{field}".upper()
        for cls in classes
        for field in cls.model_fields
    }
    for directory in CODE_DIRS:
        for source in (ROOT / directory).rglob("*.py"):
            names |= set(re.findall(r"\bPROGRESS_OPS_[A-Z0-9_]*[A-Z0-9]\b", source.read_text()))
    return names


@pytest.mark.parametrize("name", sorted(environment_settings()))
def test_every_setting_read_from_the_environment_is_documented(name: str) -> None:
    assert any(f"`{name}`" in doc.read_text() for doc in DOCS), f"{name} is not documented"


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(doc: Path) -> set[str]:
    return {slug(line.lstrip("#")) for line in doc.read_text().splitlines() if line.startswith("#")}


def link_problems(text: str, doc: Path) -> list[str]:
    """What is wrong with each link of `text`, a document at `doc`."""
    problems: list[str] = []
    for match in LINK.finditer(CODE.sub("", text)):  # a link shown as code is no link
        link = match.group(1) or match.group(2)
        parts = urlsplit(link)
        if parts.scheme in {"http", "https"}:
            if parts.hostname not in LOCAL_HOSTS:
                problems.append(f"{link} points outside the repository")
            continue
        target = (doc.parent / unquote(parts.path)).resolve() if parts.path else doc
        if parts.scheme or not target.is_relative_to(ROOT):
            problems.append(f"{link} points outside the repository")
        elif not target.exists():
            problems.append(f"{link} leads to a missing file")
        elif parts.fragment and target.suffix == ".md" and parts.fragment not in anchors(target):
            problems.append(f"{link} leads to a missing heading")
    return problems


@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: str(doc.relative_to(ROOT)))
def test_every_link_stays_in_the_repository_and_leads_somewhere(doc: Path) -> None:
    assert link_problems(doc.read_text(), doc) == []


def test_the_link_check_catches_outside_missing_and_dangling_links() -> None:
    text = (
        "[brief](../shared/brief.md) [site](https://example.com/x) [gone](docs/nothing.md)\n"
        "[anchor](#no-such-heading) ![shot](docs/screenshots/nothing.png)\n"
        "[ok](docs/api.md#status-codes) [local](http://localhost:8501) [quick](#quick-start)\n"
        "[ref]: /etc/passwd\n"
    )
    assert link_problems(text, ROOT / "README.md") == [
        "../shared/brief.md points outside the repository",
        "https://example.com/x points outside the repository",
        "docs/nothing.md leads to a missing file",
        "#no-such-heading leads to a missing heading",
        "docs/screenshots/nothing.png leads to a missing file",
        "/etc/passwd points outside the repository",
    ]
