"""Text that a learner, an operator or a URL controls — ids, names, reasons, error messages that
quote them — shown as itself, never as Markdown.

Streamlit renders Markdown (and its own `:red[…]`, `$…$`, `:emoji:` syntax) in titles, captions,
alerts, `st.write` and widget labels. An id such as `**x**` or `[text](https://…)`, written through
the API or put in a URL, would show bold or as a live link. `literal` escapes it; every page uses it
wherever such text goes into Markdown. Nothing here imports Streamlit (unit-tested).
"""

from __future__ import annotations

import re

# CommonMark: a backslash before any ASCII punctuation character shows that character as itself.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def literal(text: object) -> str:
    """`text` as Markdown that renders exactly as `text` (every ASCII punctuation escaped, line
    breaks kept as spaces so no line can start a list, heading or quote)."""
    one_line = " ".join(str(text).splitlines())
    return _PUNCTUATION.sub(r"\\\1", one_line)
