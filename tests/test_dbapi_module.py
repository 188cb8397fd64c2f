"""PEP 249 module interface: globals, exception hierarchy, type objects, constructors."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time

import pytest

import pgdbapi
from pgdbapi import errors, extensions


def test_globals() -> None:
    assert pgdbapi.apilevel == "2.0"
    assert pgdbapi.threadsafety == 2
    assert pgdbapi.paramstyle == "pyformat"


def test_implementation_matches_request() -> None:
    wanted = os.environ.get("PGDBAPI_IMPL", "").strip().lower()
    assert pgdbapi.implementation in ("c", "python")
    if wanted:
        assert pgdbapi.implementation == wanted


def test_exception_hierarchy() -> None:
    assert issubclass(pgdbapi.Warning, Exception)
    assert issubclass(pgdbapi.Error, Exception)
    assert not issubclass(pgdbapi.Warning, pgdbapi.Error)
    assert issubclass(pgdbapi.InterfaceError, pgdbapi.Error)
    assert issubclass(pgdbapi.DatabaseError, pgdbapi.Error)
    for cls in (
        pgdbapi.DataError,
        pgdbapi.OperationalError,
        pgdbapi.IntegrityError,
        pgdbapi.InternalError,
        pgdbapi.ProgrammingError,
        pgdbapi.NotSupportedError,
    ):
        assert issubclass(cls, pgdbapi.DatabaseError)
    assert issubclass(extensions.QueryCanceledError, pgdbapi.OperationalError)
    assert issubclass(extensions.TransactionRollbackError, pgdbapi.OperationalError)
    assert issubclass(errors.UniqueViolation, pgdbapi.IntegrityError)
    assert issubclass(errors.QueryCanceled, extensions.QueryCanceledError)
    assert issubclass(errors.SerializationFailure, extensions.TransactionRollbackError)


def test_type_objects_compare_with_oids() -> None:
    assert pgdbapi.NUMBER == 23 and 23 == pgdbapi.NUMBER
    assert pgdbapi.NUMBER == 1700
    assert pgdbapi.STRING == 25 and pgdbapi.STRING != 23
    assert pgdbapi.BINARY == 17
    assert pgdbapi.DATETIME == 1184 and pgdbapi.DATETIME == 1082
    assert pgdbapi.ROWID == 26


def test_constructors() -> None:
    assert pgdbapi.Date(2024, 1, 2) == dt.date(2024, 1, 2)
    assert pgdbapi.Time(1, 2, 3) == dt.time(1, 2, 3)
    assert pgdbapi.Timestamp(2024, 1, 2, 3, 4, 5) == dt.datetime(2024, 1, 2, 3, 4, 5)
    ticks = time.mktime((2024, 5, 6, 7, 8, 9, 0, 0, -1))
    assert pgdbapi.DateFromTicks(ticks) == dt.date(2024, 5, 6)
    assert pgdbapi.TimeFromTicks(ticks) == dt.time(7, 8, 9)
    assert pgdbapi.TimestampFromTicks(ticks) == dt.datetime(2024, 5, 6, 7, 8, 9)
    assert pgdbapi.Binary(bytearray(b"ab")) == b"ab"


def test_column_is_seven_item_sequence() -> None:
    col = pgdbapi.Column("a", 23, None, 4, None, None, None, 1234, 2)
    assert len(col) == 7
    name, type_code, *_ = col
    assert (name, type_code) == ("a", 23)
    assert col.name == "a" and col.type_code == 23 and col.internal_size == 4
    assert col.table_oid == 1234 and col.table_column == 2


def test_xid() -> None:
    x = pgdbapi.Xid(42, "gtrid", "bqual")
    assert (x.format_id, x.gtrid, x.bqual) == (42, "gtrid", "bqual")
    back = pgdbapi.Xid.from_string(x.as_tid())
    assert tuple(back) == (42, "gtrid", "bqual")
    foreign = pgdbapi.Xid.from_string("some-other-gid")
    assert foreign.format_id is None and foreign.gtrid == "some-other-gid"
    with pytest.raises(pgdbapi.ProgrammingError):
        pgdbapi.Xid(1, "x" * 65, "")


def _run_python(code: str, impl: str) -> "subprocess.CompletedProcess[str]":
    env = dict(os.environ, PGDBAPI_IMPL=impl)
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )


_BLOCK_EXTENSION = "import sys; sys.modules['pgdbapi._codec'] = None\n"


def test_impl_c_demands_the_extension() -> None:
    """A missing (or unbuildable) extension must fail loudly under PGDBAPI_IMPL=c."""
    out = _run_python(_BLOCK_EXTENSION + "import pgdbapi", "c")
    assert out.returncode != 0
    assert "ImportError" in out.stderr or "ModuleNotFoundError" in out.stderr


def test_impl_python_needs_no_extension() -> None:
    out = _run_python(_BLOCK_EXTENSION + "import pgdbapi; print(pgdbapi.implementation)", "python")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "python"


def test_bad_impl_value_is_refused() -> None:
    out = _run_python("import pgdbapi", "rust")
    assert out.returncode != 0 and "PGDBAPI_IMPL" in out.stderr


@pytest.mark.parametrize("module_name", ["pgdbapi._pycodec", "pgdbapi._codec"])
def test_both_twins_export_the_contract(module_name: str) -> None:
    import importlib

    from pgdbapi._codec_contract import CodecModule

    if module_name == "pgdbapi._codec" and os.environ.get("PGDBAPI_IMPL") == "python":
        pytest.skip("the python run may have no extension built")
    module = importlib.import_module(module_name)
    names = set(CodecModule.__annotations__) | {
        n for n in vars(CodecModule) if not n.startswith("_")
    }
    missing = sorted(n for n in names if not hasattr(module, n))
    assert not missing
    assert module.IMPLEMENTATION == ("c" if module_name.endswith("_codec") else "python")


_FOREIGN_EXTENSION = (
    "import sys, types\n"
    "fake = types.ModuleType('pgdbapi._codec')\n"
    "fake.__file__ = '/some/other/checkout/pgdbapi/_codec.so'\n"
    "fake.IMPLEMENTATION = 'c'\n"
    "sys.modules['pgdbapi._codec'] = fake\n"
)


def test_impl_c_refuses_an_extension_from_elsewhere() -> None:
    """A stale install of another checkout must not stand in for a failed build of this one."""
    out = _run_python(_FOREIGN_EXTENSION + "import pgdbapi", "c")
    assert out.returncode != 0
    assert "not beside the package" in out.stderr


def test_auto_impl_ignores_an_extension_from_elsewhere() -> None:
    out = _run_python(_FOREIGN_EXTENSION + "import pgdbapi; print(pgdbapi.implementation)", "")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "python"
