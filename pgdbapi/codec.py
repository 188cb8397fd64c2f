"""Picks the codec implementation once, at import.

``PGDBAPI_IMPL=c`` demands the compiled extension (ImportError if it is missing, so a
failed build cannot pass unnoticed), ``PGDBAPI_IMPL=python`` forces the pure-Python twin,
and anything else (unset) uses the extension when it is importable.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from ._codec_contract import CodecModule


def _load() -> "CodecModule":
    wanted = os.environ.get("PGDBAPI_IMPL", "").strip().lower()
    if wanted not in ("", "c", "python"):
        raise ImportError(f"PGDBAPI_IMPL must be 'c' or 'python', not {wanted!r}")
    if wanted != "python":
        try:
            from . import _codec  # type: ignore[attr-defined]

            _check_beside_package(_codec.__file__)
        except ImportError:
            if wanted == "c":
                raise
        else:
            return cast("CodecModule", _codec)
    from . import _pycodec

    return cast("CodecModule", _pycodec)


def _check_beside_package(path: str | None) -> None:
    """Only the extension built for this package counts: an import system can hand over
    another checkout's (a stale editable-install finder does), which would hide a failed
    build of this one."""
    here = os.path.dirname(os.path.abspath(__file__))
    if path is None or os.path.dirname(os.path.abspath(path)) != here:
        raise ImportError(f"pgdbapi._codec found at {path!r}, not beside the package in {here}")


impl: "CodecModule" = _load()
implementation: str = impl.IMPLEMENTATION
