"""Time pgdbapi's row decoding alone on captured wire bytes: ``python bench/codec_alone.py -h``.

The full workloads (run.py) mix the server, the socket and the codec; this captures a
workload's DataRow messages once (text format, as a query without parameters gets them,
and binary, as a prepared statement gets them) and replays them through
``ReadBuffer.read_rows`` with each codec, so codec changes can be compared in isolation.
Besides the decoding itself it times the young-generation collections that follow while the
rows are kept (the Cython codec defers tracking its containers to the end of a result set,
so the passes it saved during the fetch are partly paid there). Uses the pgdbapi of this
checkout.
"""

from __future__ import annotations

import argparse
import gc
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

import dsn as dsn_util
from server import server_for
from workloads import FETCH_SQL, WORKLOADS

ROOT = str(Path(__file__).resolve().parent.parent)
if ROOT not in sys.path:
    sys.path.insert(1, ROOT)  # after bench/, so this checkout's pgdbapi is the one imported

# (type oid, format) per column; the raw DataRow messages and the CommandComplete after them
Capture = Tuple[List[Tuple[int, int]], bytes]


def _messages(sock: socket.socket, until: int) -> List[Tuple[int, bytes, bytes]]:
    """Raw messages (type, whole message, body) up to and including one of type ``until``."""
    buf = bytearray()
    out: List[Tuple[int, bytes, bytes]] = []
    while True:
        while len(buf) >= 5:
            length = int.from_bytes(buf[1:5], "big")
            if len(buf) < 1 + length:
                break
            kind = buf[0]
            whole = bytes(buf[: 1 + length])
            del buf[: 1 + length]
            if kind == ord("E"):
                raise RuntimeError(f"server error: {whole[5:]!r}")
            out.append((kind, whole, whole[5:]))
            if kind == until:
                return out
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise RuntimeError("server closed the connection")
        buf += chunk


def capture(dsn: str, sql: str, fmt: int) -> Capture:
    """Run sql once over a bare protocol session (trust auth, no TLS) with result format fmt."""
    from pgdbapi.codec import impl as codec

    params = dsn_util.with_defaults(dsn_util.parse_dsn(dsn))
    host = params["host"]
    if host.startswith("/"):
        sock = socket.socket(socket.AF_UNIX)
        sock.connect(f"{host}/.s.PGSQL.{params['port']}")
    else:
        sock = socket.create_connection((host, int(params["port"])), timeout=60)
    try:
        w = codec.WriteBuffer()
        w.startup(196608, [("user", params["user"]), ("database", params["dbname"])])
        sock.sendall(w.take())
        _messages(sock, ord("Z"))
        w.parse(b"", sql.encode(), [])
        w.bind(b"", b"", [], [], [fmt], codec.TypeContext())
        w.describe(b"P", b"")
        w.execute(b"", 0)
        w.sync()
        sock.sendall(w.take())
        msgs = _messages(sock, ord("Z"))
    finally:
        sock.close()
    (desc,) = [body for kind, _, body in msgs if kind == ord("T")]
    columns = [(f[3], f[6]) for f in codec.parse_row_description(desc)]
    return columns, b"".join(whole for kind, whole, _ in msgs if kind in (ord("D"), ord("C")))


def time_decode(
    columns: Sequence[Tuple[int, int]], data: bytes, reps: int
) -> List[Tuple[float, float]]:
    """Per repetition: seconds in read_rows over all the rows (GC enabled as for a user,
    collected first), then seconds of gc.collect(0) and gc.collect(1) with the rows kept."""
    from pgdbapi.codec import impl as codec

    times = []
    for _ in range(reps):
        buf = codec.ReadBuffer()
        buf.feed(data)
        decoder = codec.RowDecoder(columns, codec.TypeContext())
        rows: List[Any] = []
        gc.collect()
        start = time.perf_counter()
        buf.read_rows(decoder, rows)
        decoded = time.perf_counter()
        gc.collect(0)
        gc.collect(1)
        times.append((decoded - start, time.perf_counter() - decoded))
        if buf.peek_type() != ord("C"):
            raise RuntimeError("rows left undecoded")
        del rows
    return times


def _child(args: argparse.Namespace) -> int:
    """In a fresh process per codec: capture, decode, print one line per format."""
    from pgdbapi.codec import implementation

    n = WORKLOADS[args.workload].quick_n if args.quick else WORKLOADS[args.workload].full_n
    sql = FETCH_SQL[args.workload].format(n=n)
    for fmt in args.formats:
        columns, data = capture(args.dsn, sql, fmt)
        times = time_decode(columns, data, args.reps)
        decode = [t for t, _ in times]
        young = [t for _, t in times]
        print(
            f"{args.workload:16} {implementation:6} {'binary' if fmt else 'text':6} "
            f"{n:>8} rows  decode min {min(decode) * 1e3:7.1f} ms "
            f"median {statistics.median(decode) * 1e3:7.1f} ms, "
            f"then young GC passes median {statistics.median(young) * 1e3:6.1f} ms",
            flush=True,
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time row decoding alone on captured bytes.")
    parser.add_argument("--dsn", help="use this server; default: start one")
    parser.add_argument("--workloads", default="fetch_array,fetch_jsonb")
    parser.add_argument("--impls", default="c", help="comma-separated: c, python")
    parser.add_argument("--formats", default="0,1", help="result formats: 0 text, 1 binary")
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--pin", action="store_true", help="pin to the first allowed CPU")
    parser.add_argument("--workload", help=argparse.SUPPRESS)  # set in the child
    args = parser.parse_args(argv)
    args.formats = [int(f) for f in args.formats.split(",")]
    if args.workload:
        if args.pin:
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        return _child(args)
    with server_for(args.dsn) as server:
        for workload in args.workloads.split(","):
            if workload not in FETCH_SQL:
                parser.error(f"not a fetch workload: {workload}")
            for impl in args.impls.split(","):
                cmd = [sys.executable, __file__, "--dsn", server.dsn, "--workload", workload]
                cmd += ["--formats", ",".join(map(str, args.formats)), "--reps", str(args.reps)]
                cmd += ["--quick"] * args.quick + ["--pin"] * args.pin
                env: Dict[str, str] = {**os.environ, "PGDBAPI_IMPL": impl}
                subprocess.run(cmd, env=env, check=True, timeout=600)
    return 0


if __name__ == "__main__":
    sys.exit(main())
