"""CommandComplete tags: which carry a row count, and reading it."""

from __future__ import annotations

# Commands whose tag ends with the number of rows they touched.
COUNTED = frozenset(
    (b"INSERT", b"UPDATE", b"DELETE", b"SELECT", b"MOVE", b"FETCH", b"COPY", b"MERGE")
)


def rowcount(tag: bytes) -> int:
    """The row count a tag carries (``INSERT 0 5`` -> 5, ``BEGIN`` -> -1)."""
    last = tag.rfind(b" ")
    if last > 0:
        count = tag[last + 1 :]
        if count.isdigit() and tag[: tag.find(b" ")] in COUNTED:
            return int(count)
    return -1
