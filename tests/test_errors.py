"""SQLSTATE -> exception class mapping (sqlstate.md §2, §4) and ErrorResponse -> exception."""

from __future__ import annotations

import importlib.util
import pickle
from pathlib import Path
from types import ModuleType

import pytest

from pgdbapi import _sqlstate_table as table
from pgdbapi import errors, exceptions
from pgdbapi.exceptions import (
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    QueryCanceledError,
    TransactionRollbackError,
)

ROOT = Path(__file__).resolve().parent.parent

# sqlstate.md §2, typed in again by hand so that a wrong table row cannot confirm itself.
CLASS_BASES: dict[str, type[Error]] = {
    "08": OperationalError,
    "0A": NotSupportedError,
    "20": ProgrammingError,
    "21": ProgrammingError,
    "22": DataError,
    "23": IntegrityError,
    "24": InternalError,
    "25": InternalError,
    "26": OperationalError,
    "27": OperationalError,
    "28": OperationalError,
    "2B": InternalError,
    "2D": InternalError,
    "2F": InternalError,
    "34": OperationalError,
    "38": InternalError,
    "39": InternalError,
    "3B": InternalError,
    "3D": ProgrammingError,
    "3F": ProgrammingError,
    "40": TransactionRollbackError,
    "42": ProgrammingError,
    "44": ProgrammingError,
    "53": OperationalError,
    "54": OperationalError,
    "55": OperationalError,
    "57": OperationalError,
    "58": OperationalError,
    "F0": InternalError,
    "HV": OperationalError,
    "P0": InternalError,
    "XX": InternalError,
}
# Classes of errcodes.txt that §2 sends to the DatabaseError fallback.
DATABASE_ERROR_CLASSES = ["02", "03", "09", "0B", "0F", "0L", "0P", "0Z", "10", "72"]

# psycopg2 names these by hand rather than by its CamelCase rule: the rule would clash with
# the InternalError base or with the same condition name in class 2F / 22.
HAND_NAMED = {
    "XX000": "InternalError_",
    "38002": "ModifyingSqlDataNotPermittedExt",
    "38003": "ProhibitedSqlStatementAttemptedExt",
    "38004": "ReadingSqlDataNotPermittedExt",
    "39004": "NullValueNotAllowedExt",
}


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_errors", ROOT / "tools" / "gen_errors.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_errors_py_is_what_the_generator_writes() -> None:
    gen = load_generator()
    source = (ROOT / "pgdbapi" / "errors.py").read_text(encoding="utf-8")
    assert gen.render(source) == source


def test_generator_refuses_a_file_without_markers() -> None:
    with pytest.raises(ValueError, match="markers"):
        load_generator().render('"""no markers here"""\n')


def test_table_covers_pg18_and_has_no_duplicates() -> None:
    codes = [code for code, _cond, _name in table.SQLSTATES]
    names = [name for _code, _cond, name in table.SQLSTATES]
    # 262 distinct codes in PG 18.6, minus 00000 and the eight 01xxx warnings, plus legacy 72000.
    assert len(codes) == 262 - 9 + 1
    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names)
    assert {"10608", "58P03", "25P04", "57P05", "22P03", "2203G"} <= set(codes)
    assert not any(code.startswith(("00", "01")) for code in codes)


def test_class_names_follow_psycopg2_rule_except_its_hand_named_ones() -> None:
    gen = load_generator()
    for code, condition, name in table.SQLSTATES:
        expected = HAND_NAMED.get(code) or gen.class_name_for(condition)
        assert name == expected, code
    assert errors.lookup("10608").__name__ == "InvalidArgumentForXquery"
    assert errors.lookup("58P03").__name__ == "FileNameTooLong"


@pytest.mark.parametrize("klass", sorted(CLASS_BASES))
def test_every_code_of_a_class_subclasses_its_base(klass: str) -> None:
    base = CLASS_BASES[klass]
    in_class = [code for code, _c, _n in table.SQLSTATES if code[:2] == klass]
    assert in_class, klass
    for code in in_class:
        cls = errors.lookup(code)
        assert cls.sqlstate == code  # type: ignore[attr-defined]
        assert issubclass(cls, base)
        # The direct parent is the base itself (or QueryCanceledError for 57014).
        expected_parent = QueryCanceledError if code == "57014" else base
        assert cls.__bases__ == (expected_parent,), code


@pytest.mark.parametrize("klass", sorted(CLASS_BASES))
def test_unknown_code_in_known_class_gets_class_base(klass: str) -> None:
    assert errors.error_class(f"{klass}ZZZ") is CLASS_BASES[klass]


@pytest.mark.parametrize("klass", DATABASE_ERROR_CLASSES)
def test_classes_without_a_pep249_base_fall_back_to_database_error(klass: str) -> None:
    assert errors.error_class(f"{klass}ZZZ") is DatabaseError
    for code, _cond, _name in table.SQLSTATES:
        if code[:2] == klass:
            assert errors.lookup(code).__bases__ == (DatabaseError,)


def test_query_canceled_and_transaction_rollback() -> None:
    canceled = errors.error_class("57014")
    assert canceled is errors.QueryCanceled
    assert issubclass(canceled, QueryCanceledError)
    assert issubclass(canceled, OperationalError)
    assert errors.error_class("57P01") is errors.AdminShutdown
    assert not issubclass(errors.AdminShutdown, QueryCanceledError)
    for code, cls in [
        ("40001", errors.SerializationFailure),
        ("40P01", errors.DeadlockDetected),
        ("40002", errors.TransactionIntegrityConstraintViolation),
    ]:
        assert errors.error_class(code) is cls
        assert issubclass(cls, TransactionRollbackError)
        assert issubclass(cls, OperationalError)


def test_unknown_and_missing_sqlstate() -> None:
    assert errors.error_class("ZZ000") is DatabaseError
    assert errors.error_class(None) is DatabaseError
    assert errors.error_class("") is DatabaseError
    with pytest.raises(KeyError):
        errors.lookup("ZZ000")
    with pytest.raises(KeyError):
        errors.lookup("23999")  # known class, unknown code: lookup is exact, like psycopg2's
    with pytest.raises(KeyError):
        errors.lookup("00000")


def test_specific_names_resolve() -> None:
    assert errors.lookup("23505") is errors.UniqueViolation
    assert errors.lookup("42P01") is errors.UndefinedTable
    assert errors.lookup("XX000") is errors.InternalError_
    assert issubclass(errors.InternalError_, InternalError)
    assert errors.lookup("42601").__name__ == "SyntaxError"
    assert errors.lookup("2202E") is errors.ArraySubscriptError
    assert errors.lookup("22008") is errors.DatetimeFieldOverflow
    assert set(errors.__all__) >= {"lookup", "error_class", "make_error", "UniqueViolation"}
    for name in errors.__all__:
        assert hasattr(errors, name), name


def unique_violation_fields() -> dict[str, str]:
    return {
        "S": "ERROR",
        "V": "ERROR",
        "C": "23505",
        "M": 'duplicate key value violates unique constraint "t_pkey"',
        "D": "Key (id)=(1) already exists.",
        "s": "public",
        "t": "t",
        "n": "t_pkey",
        "F": "nbtinsert.c",
        "L": "666",
        "R": "_bt_check_unique",
    }


def test_make_error_builds_the_specific_class_and_message() -> None:
    err = errors.make_error(unique_violation_fields())
    assert type(err) is errors.UniqueViolation
    assert str(err) == (  # psycopg2's: libpq's text without the severity, newline-ended
        'duplicate key value violates unique constraint "t_pkey"\n'
        "DETAIL:  Key (id)=(1) already exists.\n"
    )
    assert err.pgcode == "23505"
    assert err.pgerror == (
        'ERROR:  duplicate key value violates unique constraint "t_pkey"\n'
        "DETAIL:  Key (id)=(1) already exists.\n"
    )
    assert err.diag.constraint_name == "t_pkey"
    assert err.diag.message_hint is None


def test_make_error_hint_detail_order_and_fallbacks() -> None:
    err = errors.make_error({"C": "42P01", "M": "m", "H": "h", "D": "d"})
    assert type(err) is errors.UndefinedTable
    assert str(err) == "m\nDETAIL:  d\nHINT:  h\n"
    assert str(errors.make_error({"C": "42P01", "M": "m", "H": "h"})) == "m\nHINT:  h\n"
    unknown = errors.make_error({"C": "22ZZZ", "M": "new code"})
    assert type(unknown) is DataError and unknown.pgcode == "22ZZZ"
    bare = errors.make_error({})
    assert type(bare) is DatabaseError and bare.pgcode is None
    assert str(bare)  # some message, never an empty exception


def test_error_position_shows_the_line_and_a_caret_as_libpq() -> None:
    fields = {"S": "ERROR", "C": "42601", "M": 'syntax error at or near "frm"', "P": "14"}
    err = errors.make_error(fields, "select 1,\n\t2 frm t")
    assert err.pgerror == (
        'ERROR:  syntax error at or near "frm"\n'
        "LINE 2:  2 frm t\n"  # the second line, its tab shown as a space
        "           ^\n"
    )
    assert str(err) == err.pgerror[len("ERROR:  "):]
    # without the statement text: libpq's " at character N"
    assert errors.make_error(fields).pgerror == 'ERROR:  syntax error at or near "frm" at character 14\n'


def test_error_position_in_a_long_line_is_cut_around_the_caret() -> None:
    query = "select " + ", ".join(f"c{i}" for i in range(40)) + " from nowhere"
    pos = query.index("c30") + 1
    text = errors.make_error({"S": "ERROR", "M": "m", "P": str(pos)}, query).pgerror
    assert text is not None
    line, caret = text.split("\n")[1:3]
    assert line.startswith("LINE 1: ...") and line.endswith("...")
    assert len(line) - len("LINE 1: ......") == 60  # libpq's 60 columns
    assert line[caret.index("^"):].startswith("c30")
    wide = errors.make_error({"S": "ERROR", "M": "m", "P": "13"}, "select '漢字' x").pgerror
    assert wide is not None  # the x: "LINE 1: " then 14 columns, the two wide characters 2 each
    assert wide.split("\n")[2] == " " * (8 + 14) + "^"


def test_context_and_internal_query_lines() -> None:
    fields = {"S": "ERROR", "M": "m", "p": "8", "q": "select nope", "W": "PL/pgSQL function f()"}
    assert errors.make_error(fields, "select f()").pgerror == (
        "ERROR:  m\nLINE 1: select nope\n               ^\n"
        "QUERY:  select nope\nCONTEXT:  PL/pgSQL function f()\n"
    )


def test_except_clauses_catch_specific_classes() -> None:
    with pytest.raises(IntegrityError):
        raise errors.make_error(unique_violation_fields())
    with pytest.raises(exceptions.DatabaseError):
        raise errors.UniqueViolation("x")
    with pytest.raises(errors.UniqueViolation):
        raise errors.make_error(unique_violation_fields())


def test_pickle_round_trip_keeps_class_pgcode_and_diag() -> None:
    err = errors.make_error(unique_violation_fields())
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is errors.UniqueViolation
    assert back.args == err.args
    assert back.pgcode == "23505"
    assert back.pgerror == err.pgerror
    assert back.diag.table_name == "t"
    assert back.diag.source_line == "666"


def test_diag_exposes_psycopg2_attribute_names() -> None:
    codes = "SVCMDHPpqWstcdnFLR"
    fields = {code: f"value-{code}" for code in codes}
    diag = errors.make_error(fields).diag
    names = [
        "severity",
        "severity_nonlocalized",
        "sqlstate",
        "message_primary",
        "message_detail",
        "message_hint",
        "statement_position",
        "internal_position",
        "internal_query",
        "context",
        "schema_name",
        "table_name",
        "column_name",
        "datatype_name",
        "constraint_name",
        "source_file",
        "source_line",
        "source_function",
    ]
    assert [getattr(diag, name) for name in names] == [f"value-{code}" for code in codes]
    with pytest.raises(AttributeError):
        diag.no_such_field  # noqa: B018


def test_agrees_with_installed_psycopg2() -> None:
    """Where psycopg2 is installed, every code it knows gets the same name and PEP 249 base."""
    pg2errors = pytest.importorskip("psycopg2.errors")
    pep249_names = set(exceptions.__all__) - {"Warning", "Error", "InterfaceError", "Diagnostics"}
    compared = 0
    for code, _cond, name in table.SQLSTATES:
        try:
            theirs = pg2errors.lookup(code)
        except KeyError:
            continue
        ours = errors.lookup(code)
        assert ours.__name__ == theirs.__name__ == name, code
        their_base = next(c.__name__ for c in theirs.__mro__[1:] if c.__name__ in pep249_names)
        assert ours.__bases__[0].__name__ == their_base, code
        compared += 1
    assert compared > 240
