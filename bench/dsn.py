"""Turns one DSN into the connection arguments each driver takes natively.

pgdbapi, psycopg2 and psycopg take the DSN string as given; asyncpg and pg8000 get keyword
arguments, so the harness does not depend on their own (differing) DSN parsers.
"""

from __future__ import annotations

import getpass
import os
from typing import Dict
from urllib.parse import parse_qsl, unquote, urlsplit

ConnParams = Dict[str, str]


def parse_dsn(dsn: str) -> ConnParams:
    """Parse a libpq keyword/value string or a postgres:// URL into libpq keywords."""
    text = dsn.strip()
    if text.startswith(("postgresql://", "postgres://")):
        return _parse_url(text)
    return _parse_keywords(text)


def _parse_url(url: str) -> ConnParams:
    parts = urlsplit(url)
    params: ConnParams = {}
    if parts.username:
        params["user"] = unquote(parts.username)
    if parts.password:
        params["password"] = unquote(parts.password)
    if parts.hostname:
        params["host"] = unquote(parts.hostname)
    if parts.port:
        params["port"] = str(parts.port)
    if parts.path.strip("/"):
        params["dbname"] = unquote(parts.path.lstrip("/"))
    params.update(parse_qsl(parts.query))
    return params


def _parse_keywords(text: str) -> ConnParams:
    params: ConnParams = {}
    pos, end = 0, len(text)
    while pos < end:
        while pos < end and text[pos].isspace():
            pos += 1
        if pos == end:
            break
        eq = text.find("=", pos)
        if eq < 0:
            raise ValueError(f"missing '=' after {text[pos:]!r} in DSN")
        key = text[pos:eq].strip()
        pos = eq + 1
        while pos < end and text[pos].isspace():
            pos += 1
        value, pos = _read_value(text, pos)
        params[key] = value
    return params


def _read_value(text: str, pos: int) -> tuple[str, int]:
    """Read one (possibly single-quoted, backslash-escaped) value starting at pos."""
    quoted = pos < len(text) and text[pos] == "'"
    if quoted:
        pos += 1
    chars = []
    while pos < len(text):
        char = text[pos]
        if char == "\\" and pos + 1 < len(text):
            chars.append(text[pos + 1])
            pos += 2
            continue
        if (quoted and char == "'") or (not quoted and char.isspace()):
            pos += 1
            break
        chars.append(char)
        pos += 1
    else:
        if quoted:
            raise ValueError("unterminated quoted value in DSN")
    return "".join(chars), pos


def with_defaults(params: ConnParams) -> ConnParams:
    """Fill host, port, user and dbname the way libpq would from the environment."""
    full = dict(params)
    full.setdefault("host", os.environ.get("PGHOST", "localhost"))
    full.setdefault("port", os.environ.get("PGPORT", "5432"))
    full.setdefault("user", os.environ.get("PGUSER", getpass.getuser()))
    full.setdefault("dbname", os.environ.get("PGDATABASE", full["user"]))
    if "password" not in full and "PGPASSWORD" in os.environ:
        full["password"] = os.environ["PGPASSWORD"]
    return full
