"""Untrusted text shown, not obeyed: the characters a name may hold that act on whatever displays it.

An ECS service, a node group, an Auto Scaling group or a plan's subnet can be named with a terminal
escape (``\\x1b[2J`` clears the screen), a carriage return that overwrites the line, or a bidirectional
override that reorders it. The terminal (``render/terminal.py``), the e-mail and the chat message of a
failure (``failures/notify.py``) all write them as their escapes. Pure: no I/O.
"""

from __future__ import annotations

import re

# C0 controls but the line feed, DEL, C1 controls, and the Unicode format characters that reorder or
# hide text (zero-width, bidirectional embeddings, overrides and isolates).
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
UNSAFE_OR_NEWLINE = re.compile(f"{UNSAFE.pattern[:-1]}\n]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_unsafe(text: str, *, keep_newlines: bool = True) -> str:
    r"""``text`` with every unsafe character written as its escape (and the line feed too, for a value
    that must stay on its line).

    >>> escape_unsafe("web\x1b[2J\r\tok\n")
    'web\\x1b[2J\\x0d\\x09ok\n'
    >>> escape_unsafe("a\u202eb\nc", keep_newlines=False)
    'a\\u202eb\\x0ac'
    """
    return (UNSAFE if keep_newlines else UNSAFE_OR_NEWLINE).sub(_escape, text)


def json_unsafe_escaped(text: str) -> str:
    r"""JSON text (``json.dumps(..., ensure_ascii=False)``, which keeps non-ASCII readable but writes DEL,
    C1 and format characters as themselves) with those written as ``\uXXXX`` escapes: the same JSON, and
    a log viewer shows it as written.

    >>> json_unsafe_escaped('{"name": "a\u202eb é"}')
    '{"name": "a\\u202eb é"}'
    """
    return UNSAFE.sub(lambda match: f"\\u{ord(match[0]):04x}", text)
