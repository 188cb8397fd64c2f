"""Prepared-statement cache: queries seen often become named server-side statements.

A query (SQL bytes + parameter OIDs) is counted on every execution; at ``threshold`` uses
it is prepared under a generated name, and later executions only Bind/Execute it with
binary results. The cache is an LRU bounded by ``size``; evicted statements are closed on
the server with the next request (Close messages queued in :attr:`to_close`).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from .codec import impl as codec

Key = tuple[bytes, tuple[int, ...]]


class Entry:
    __slots__ = ("count", "name", "fields", "preset", "result_formats", "generation")

    def __init__(self) -> None:
        self.count = 0
        self.name: bytes | None = None  # set once prepared on the server
        self.fields: list[Any] | None = None  # statement's RowDescription (formats 0)
        self.preset: Any = None  # PresetResult used to decode Execute without Describe
        self.result_formats: tuple[int, ...] = ()
        self.generation = -1  # adapters.generation when ``preset`` was built


class StatementCache:
    def __init__(self, threshold: int | None = 5, size: int = 100) -> None:
        self.threshold = threshold
        self.size = max(0, size)
        self._entries: OrderedDict[Key, Entry] = OrderedDict()
        self._serial = 0
        self.to_close: list[bytes] = []

    def lookup(self, key: Key) -> Entry | None:
        """Count one use of ``key``; return its entry when it is (or should now be) prepared."""
        threshold = self.threshold
        if threshold is None or not self.size:
            return None
        entries = self._entries
        entry = entries.get(key)
        if entry is not None and entry.name is not None:  # the hot path: already prepared
            entries.move_to_end(key)
            return entry
        if entry is None:
            entry = Entry()
            entries[key] = entry
            if len(entries) > self.size:
                _, old = entries.popitem(last=False)
                if old.name is not None:
                    self.to_close.append(old.name)
        else:
            entries.move_to_end(key)
        entry.count += 1
        return entry if entry.count >= threshold else None

    def new_name(self) -> bytes:
        self._serial += 1
        return b"_pgdbapi_%d" % self._serial

    @staticmethod
    def result_formats_for(fields: list[Any] | None) -> tuple[int, ...]:
        """Binary for every column the codec decodes in binary, text for the others."""
        if not fields:
            return ()
        formats = tuple(1 if codec.has_binary(f[3]) else 0 for f in fields)
        if all(formats):
            return (1,)
        if not any(formats):
            return ()
        return formats

    def discard(self, key: Key) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None and entry.name is not None:
            self.to_close.append(entry.name)

    def clear(self, *, server_forgot: bool = False) -> None:
        """Forget everything; ``server_forgot`` when the server already dropped them
        (DISCARD ALL, DEALLOCATE ALL, a new session)."""
        if not server_forgot:
            self.to_close.extend(e.name for e in self._entries.values() if e.name is not None)
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
