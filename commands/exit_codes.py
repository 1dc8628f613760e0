"""The exit codes every `progress-ops` command shares (documented in docs/cli.md).

- 0: done, and nothing is wrong (`check`: every target met, or no data to judge).
- 1: the command ran and found a problem (`check`: a target missed; `load`: requests that got
  no answer; `db status`: the embedded server is not running).
- 2: the command could not do its job: a bad argument, an unreachable database, an embedded
  server that cannot start (`check`: could not judge). argparse's own usage errors are 2 too.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    PROBLEM_FOUND = 1
    COULD_NOT_RUN = 2
