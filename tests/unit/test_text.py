"""`literal`: learner-controlled text as Markdown that shows exactly that text."""

from __future__ import annotations

import re
import string

import pytest

from dashboard.text import literal

PUNCTUATION = r"[!-/:-@\[-`{-~]"
MARKUP = ["**x**", "<b>h</b>", "$x$", ":red[x]", "# h", "a\\*b", "_i_ ~s~ | t |"]


def shown(markdown: str) -> str:
    """What CommonMark shows: a code span's text as it is, elsewhere a backslash before ASCII
    punctuation as the character itself."""
    spans = re.split(r"((`+) ?.*? ?\2)", markdown)
    out = []
    for i, part in enumerate(spans):
        if i % 3 == 1:
            fence = spans[i + 1]
            inner = part[len(fence) : -len(fence)]
            out.append(inner[1:-1] if inner.startswith(" ") and inner.endswith(" ") else inner)
        elif i % 3 == 0:
            out.append(re.sub(rf"\\({PUNCTUATION})", r"\1", part))
    return "".join(out)


@pytest.mark.parametrize("text", MARKUP)
def test_markup_is_escaped_and_shows_as_itself(text: str) -> None:
    assert shown(literal(text)) == text
    assert re.fullmatch(rf"(?:\\{PUNCTUATION}|(?!{PUNCTUATION}).)*", literal(text))


def test_every_ascii_punctuation_character_is_escaped_and_nothing_else_is() -> None:
    assert literal(string.punctuation) == "".join("\\" + c for c in string.punctuation)
    assert literal("learner 42 élève") == "learner 42 élève"


@pytest.mark.parametrize(
    ("text", "markdown"),
    [
        ("[t](https://e.x)", r"\[t\]\(`https://e.x)`"),
        ("see www.e.x now", r"see `www.e.x` now"),
        ("sam@example.com", "`sam@example.com`"),
        ("a :smile: b :material/add:", r"a `:smile:` b `:material/add:`"),
        ("https://e.x/`a``", "``` https://e.x/`a`` ```"),
    ],
)
def test_what_would_still_become_a_link_or_an_emoji_goes_in_a_code_span(
    text: str, markdown: str
) -> None:
    assert literal(text) == markdown
    assert shown(markdown) == text


def test_a_line_break_cannot_start_a_list_heading_or_quote() -> None:
    assert literal("ticket 12\n- item\n# heading\n> quote") == (
        "ticket 12 \\- item \\# heading \\> quote"
    )
