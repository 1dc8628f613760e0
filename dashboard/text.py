"""Text that a learner, an operator or a URL controls — ids, names, reasons, error messages that
quote them — shown as itself, never as Markdown.

Streamlit renders Markdown (and its own `:red[…]`, `$…$`, `:emoji:` syntax) in titles, captions,
alerts, `st.write` and widget labels. An id such as `**x**` or `[text](https://…)`, written through
the API or put in a URL, would show bold or as a live link. `literal` makes it plain text; every
page uses it wherever such text goes into Markdown. Nothing here imports Streamlit (unit-tested).
"""

from __future__ import annotations

import re

# CommonMark: a backslash before any ASCII punctuation character shows that character as itself.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# What Streamlit's renderer finds in plain text after parsing, escaped or not (GFM's literal
# autolinks: URLs, www., e-mail addresses; emoji and icon shortcodes): kept in a code span.
_FOUND_IN_TEXT = re.compile(
    r"https?://\S*|www\.\S*|[-.\w+]+@[-\w]+(?:\.[-\w]+)+|:[\w/+-]+:", re.IGNORECASE
)


def _code_span(text: str) -> str:
    """`text` verbatim in a code span: fenced by more backticks than it contains in a row."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def literal(text: object) -> str:
    """`text` as Markdown that renders exactly as `text`: ASCII punctuation escaped, what the
    renderer would still turn into a link or an emoji in a code span, and line breaks kept as
    spaces (so no line can start a list, heading or quote)."""
    line = " ".join(str(text).splitlines())
    parts: list[str] = []
    start = 0
    for found in _FOUND_IN_TEXT.finditer(line):
        parts.append(_PUNCTUATION.sub(r"\\\1", line[start : found.start()]))
        parts.append(_code_span(found.group()))
        start = found.end()
    parts.append(_PUNCTUATION.sub(r"\\\1", line[start:]))
    return "".join(parts)
