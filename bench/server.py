"""The server a run talks to: the --dsn one, or a throwaway one started by the tests' PgServer."""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

TESTS_DIR = Path(__file__).resolve().parent.parent / "tests"


@dataclass
class Server:
    dsn: str
    description: str
    postmaster_pid: int | None = None  # known only for a server started here


@contextlib.contextmanager
def server_for(dsn: str | None) -> Iterator[Server]:
    """The given DSN as is, else a fresh server over TCP with trust auth, stopped on exit."""
    if dsn:
        yield Server(dsn, "given by --dsn")
        return
    sys.path.insert(0, str(TESTS_DIR))
    try:
        from pgserver import PgServer
    except ImportError as exc:
        raise SystemExit(f"no --dsn given and tests/pgserver.py cannot be imported: {exc}")
    finally:
        sys.path.remove(str(TESTS_DIR))
    with PgServer() as pg:
        with open(os.path.join(pg.data_dir, "postmaster.pid"), encoding="ascii") as f:
            pid = int(f.readline())
        yield Server(pg.dsn(), f"throwaway server on {pg.host}:{pg.port}", pid)
