"""An ErrorResponse as libpq words it (default verbosity), which psycopg2 users read in
``str(exc)`` and ``exc.pgerror``: the severity and message, the statement line the error
points at with a caret under the spot, then DETAIL, HINT, QUERY and CONTEXT lines.
"""

from __future__ import annotations

import unicodedata
from typing import Mapping

__all__ = ["server_message"]

_DISPLAY_SIZE = 60  # libpq's screen width for the statement line
_MIN_RIGHT_CUT = 10  # and how far from its end it tries to keep the caret


def server_message(fields: Mapping[str, str], query: str | None = None) -> str:
    """``ERROR:  message\\nLINE 1: ...\\n        ^\\nDETAIL:  ...\\n`` (ends with a newline).

    ``query`` is the statement text the server saw, for the position it reports."""
    text = ""
    severity = fields.get("S") or fields.get("V")
    if severity:
        text = severity + ":  "
    text += fields.get("M", "")
    position, shown = fields.get("P"), query
    if position is None and "p" in fields:  # a position inside an internal query
        position, shown = fields["p"], fields.get("q")
    if position is not None and shown is None:
        text += f" at character {position}"
    text += "\n"
    if position is not None and shown is not None and position.isdigit():
        text += _caret_lines(shown, int(position))
    for code, label in (("D", "DETAIL"), ("H", "HINT"), ("q", "QUERY"), ("W", "CONTEXT")):
        if code in fields:
            text += f"{label}:  {fields[code]}\n"
    return text


def _width(ch: str) -> int:
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Cc", "Cf"):
        return 1  # libpq counts a character of no width as one column
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _caret_lines(query: str, position: int) -> str:
    """libpq's reportErrorPosition: the line holding character ``position`` (1-based), tabs
    as spaces, cut to 60 columns around the spot, and a caret under it."""
    loc = position - 1
    if loc < 0:
        return ""
    chars = query.replace("\t", " ")
    screen = [0]  # screen column of each character, and of the end
    line, begin, end = 1, 0, -1
    for i, ch in enumerate(chars):
        if ch in "\r\n":
            if i < loc:
                if ch == "\r" or i == 0 or chars[i - 1] != "\r":
                    line += 1
                begin = i + 1
            else:
                end = i
                break
        screen.append(screen[-1] + _width(ch))
    if end < 0:
        end = len(screen) - 1
    if loc > end:  # past the end of the statement
        return ""
    cut_left = cut_right = False
    if screen[end] - screen[begin] > _DISPLAY_SIZE:
        if screen[begin] + _DISPLAY_SIZE >= screen[loc] + _MIN_RIGHT_CUT:
            while screen[end] - screen[begin] > _DISPLAY_SIZE:
                end -= 1
            cut_right = True
        else:
            while screen[loc] + _MIN_RIGHT_CUT < screen[end]:
                end -= 1
                cut_right = True
            while screen[end] - screen[begin] > _DISPLAY_SIZE:
                begin += 1
                cut_left = True
    prefix = f"LINE {line}: " + ("..." if cut_left else "")
    shown = chars[begin:end] + ("..." if cut_right else "")
    caret = " " * (len(prefix) + screen[loc] - screen[begin]) + "^"
    return f"{prefix}{shown}\n{caret}\n"
