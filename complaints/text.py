"""Text people type, made fit to store and to show: no lone surrogates (PostgreSQL and UTF-8
refuse them), no NUL, no control characters but the line break and the tab, and no bidi
controls (U+202E and its kin, which make text read in another order than it is stored).

Every door (web forms, the API, the admin) cleans with these, at the top level and inside the
per-kind details alike; `text_shown` keeps a page working over a value stored before that, and
complaints.middleware takes BIDI_CONTROLS out of every HTML page.
"""

import re
from typing import Any

# Lone surrogates: what json.loads makes of "\ud800", and what undecodable bytes become.
SURROGATE = re.compile("[\ud800-\udfff]")
# C0 and C1 controls other than \t and \n (\r is turned into \n first), and DEL.
_CONTROL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_UNSHOWABLE = re.compile("[\x00\ud800-\udfff]")
# Unicode's Bidi_Control characters: the Arabic letter mark, LRM and RLM, the embeddings and
# overrides (U+202A-U+202E) and the isolates (U+2066-U+2069). Neither language AppWatch
# speaks needs them, and an override makes "gpj.exe" show as "exe.jpg".
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# An attribute set on a response whose page was cleared of BIDI_CONTROLS where it was made (a
# page shared whole, cleared once when rendered): the middleware need not search it again.
BIDI_CONTROLS_CLEARED = "bidi_controls_cleared"


def text_surrogate(value: str) -> str | None:
    """The first lone surrogate in `value`, as U+XXXX, or None."""
    return _first(SURROGATE, value)


def text_first_surrogate(value: Any) -> str | None:
    """The first lone surrogate anywhere in a JSON-like value (keys included), or None."""
    return _first(SURROGATE, value)


def text_first_unstorable(value: Any) -> str | None:
    """The first NUL or lone surrogate anywhere in a JSON-like value, or None: neither can be
    stored in PostgreSQL's text or jsonb."""
    return _first(_UNSHOWABLE, value)


def _first(pattern: re.Pattern, value: Any) -> str | None:
    if isinstance(value, str):
        match = pattern.search(value)
        return f"U+{ord(match.group(0)):04X}" if match else None
    if isinstance(value, list):
        items = value
    elif isinstance(value, dict):
        items = [*value.keys(), *value.values()]
    else:
        return None
    for item in items:
        found = _first(pattern, item)
        if found:
            return found
    return None


def text_clean(value: str) -> str:
    """`value` with line breaks made \\n and control characters dropped. NUL and surrogates are
    left for the caller to refuse: silently dropping them could change what a text says."""
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return BIDI_CONTROLS.sub("", _CONTROL.sub("", value))


def text_shown(value: Any) -> Any:
    """A stored JSON-like value safe to render: NULs and lone surrogates, which no page can
    encode, become U+FFFD in every string, keys included."""
    if isinstance(value, str):
        return BIDI_CONTROLS.sub("", _UNSHOWABLE.sub("\ufffd", value))
    if isinstance(value, list):
        return [text_shown(item) for item in value]
    if isinstance(value, dict):
        return {text_shown(key): text_shown(item) for key, item in value.items()}
    return value
