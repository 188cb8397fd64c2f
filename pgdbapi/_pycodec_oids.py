"""Type OIDs the pure-Python codec knows, and the array <-> element pairing.

Kept apart so the decoding and encoding halves of the twin share one table.
"""

from __future__ import annotations

from .oids import (  # noqa: F401 - re-exported for the codec modules
    BOOL,
    BPCHAR,
    BYTEA,
    CHAR,
    CID,
    DATE,
    FLOAT4,
    FLOAT8,
    INT2,
    INT4,
    INT8,
    INTERVAL,
    JSON,
    JSONB,
    MORE_ARRAY_ELEMENT,
    MORE_BINARY,
    NAME,
    NUMERIC,
    OID,
    REGPROC,
    TEXT,
    TIME,
    TIMESTAMP,
    TIMESTAMPTZ,
    TIMETZ,
    UNKNOWN,
    UUID,
    VARCHAR,
    XID,
)

REGCLASS = 2205
REGTYPE = 2206
XID8 = 5069

# array oid -> element oid, for every array type docs/codec.md decodes.
ARRAY_ELEMENT: dict[int, int] = {
    1000: BOOL,
    1005: INT2,
    1007: INT4,
    1016: INT8,
    1028: OID,
    1021: FLOAT4,
    1022: FLOAT8,
    1231: NUMERIC,
    1009: TEXT,
    1015: VARCHAR,
    1014: BPCHAR,
    1003: NAME,
    1002: CHAR,
    1001: BYTEA,
    1182: DATE,
    1183: TIME,
    1270: TIMETZ,
    1115: TIMESTAMP,
    1185: TIMESTAMPTZ,
    1187: INTERVAL,
    2951: UUID,
    199: JSON,
    3807: JSONB,
    **MORE_ARRAY_ELEMENT,  # network, bit, lsn, snapshot, ..., range, multirange, record arrays
}

ELEMENT_ARRAY: dict[int, int] = {elem: arr for arr, elem in ARRAY_ELEMENT.items()}

# Scalar oids with a decoder in both formats (reg* types and unknown excluded: see has_binary).
BINARY_SCALARS: frozenset[int] = frozenset(
    {
        BOOL, INT2, INT4, INT8, OID, XID, CID, XID8, FLOAT4, FLOAT8, NUMERIC, TEXT, VARCHAR,
        BPCHAR, NAME, CHAR, BYTEA, DATE, TIME, TIMETZ, TIMESTAMP, TIMESTAMPTZ, INTERVAL, UUID,
        JSON, JSONB,
    }
)

_BINARY_ELEMENTS = BINARY_SCALARS | MORE_BINARY
HAS_BINARY: frozenset[int] = _BINARY_ELEMENTS | frozenset(
    arr for arr, el in ARRAY_ELEMENT.items() if el in _BINARY_ELEMENTS
)
