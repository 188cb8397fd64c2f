"""Which host to use: libpq's host list, tried in order until one gives the kind of session
``target_session_attrs`` asks for (``load_balance_hosts=random`` shuffles the list first)."""

from __future__ import annotations

import random
import socket
import ssl
from typing import Any, Callable

from .conninfo import ConnInfo, HostSpec
from .exceptions import Error, OperationalError
from .protocol import READY, Protocol
from .pump import pump
from .startup import establish
from .transport import TcpOptions, Transport

__all__ = ["connect_any", "balanced", "session_mismatch"]


def connect_any(
    info: ConnInfo,
    *,
    max_message_size: int,
    on_notice: Callable[[dict[str, str]], None] | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> tuple[HostSpec, Transport, Protocol]:
    """Try the hosts in order; the first that completes start-up and matches
    ``target_session_attrs`` wins. ``connect_timeout`` bounds each host's attempt. When all
    fail the error lists each host's reason. ``ssl_context`` goes to every host's start-up.

    ``prefer-standby`` looks for a standby first, then takes any host (as libpq).
    """
    params = info.params
    target = params.get("target_session_attrs") or "any"
    hosts = info.hosts
    if (params.get("load_balance_hosts") or "disable") == "random":
        hosts = balanced(hosts, random.Random())
    tcp = TcpOptions.from_params(params)
    failures: list[OperationalError] = []
    for wanted in ("standby", "any") if target == "prefer-standby" else (target,):
        for i, host in enumerate(hosts):
            try:
                transport, proto = establish(
                    info,
                    host,
                    max_message_size=max_message_size,
                    on_notice=on_notice,
                    ssl_context=ssl_context,
                )
            except OperationalError as e:
                if host.default_socket and i + 1 < len(hosts) and _missing_socket(e):
                    continue
                failures.append(e)
                continue
            try:
                tcp.apply(transport)
                reason = session_mismatch(wanted, transport, proto)
            except OperationalError as e:
                transport.close()
                failures.append(OperationalError(f"{_where(host)} failed: {e}"))
                continue
            except BaseException:
                transport.close()
                raise
            if reason is None:
                return host, transport, proto
            _terminate(transport, proto)
            failures.append(OperationalError(f"{_where(host)} failed: {reason}"))
    if len(failures) == 1:
        raise failures[0]
    text = "\n".join(str(e) for e in failures)
    raise OperationalError(
        "could not connect to any host:\n" + text, fields=failures[-1].diag.fields
    )


def balanced(hosts: list[HostSpec], rng: random.Random) -> list[HostSpec]:
    """libpq's load_balance_hosts=random: shuffle the hosts, then each host's addresses.

    A TCP host name becomes one entry per address (``hostaddr`` set, the name kept for
    .pgpass and TLS); a name that does not resolve stays as it is so that connecting to it
    reports the failure in its turn.
    """
    shuffled = list(hosts)
    rng.shuffle(shuffled)
    out: list[HostSpec] = []
    for host in shuffled:
        if host.is_unix or host.hostaddr:
            out.append(host)
            continue
        try:
            infos = socket.getaddrinfo(host.host or "localhost", host.port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            out.append(host)
            continue
        addresses = list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in infos))
        rng.shuffle(addresses)
        out.extend(HostSpec(host.host, address, host.port) for address in addresses)
    return out


# target_session_attrs -> (the property checked, the value that rules a host out, why)
_REQUIREMENTS = {
    "read-write": ("read_only", True, "session is read-only"),
    "read-only": ("read_only", False, "session is not read-only"),
    "primary": ("hot_standby", True, "server is in hot standby mode"),
    "standby": ("hot_standby", False, "server is not in hot standby mode"),
}


def session_mismatch(wanted: str, transport: Transport, proto: Protocol) -> str | None:
    """Why this session is not what ``target_session_attrs`` wants (libpq's words), or None.

    PostgreSQL 14+ reports ``in_hot_standby`` and ``default_transaction_read_only`` at
    start-up; older servers are asked with a query.
    """
    requirement = _REQUIREMENTS.get(wanted)
    if requirement is None:  # any, prefer-standby's fallback
        return None
    checked, ruled_out, reason = requirement
    reported = proto.parameters
    hot = reported.get("in_hot_standby")
    if checked == "read_only":
        default_ro = reported.get("default_transaction_read_only")
        if hot is not None and default_ro is not None:
            value = hot == "on" or default_ro == "on"
        else:
            value = _is_true(_ask(transport, proto, b"SHOW transaction_read_only"))
    elif hot is not None:
        value = hot == "on"
    else:
        value = _is_true(_ask(transport, proto, b"SELECT pg_catalog.pg_is_in_recovery()"))
    return reason if value == ruled_out else None


def _is_true(value: Any) -> bool:
    return value is True or value in ("on", "t", "true", b"on", b"t")


def _ask(transport: Transport, proto: Protocol, sql: bytes) -> Any:
    """The single value of a one-row query run right after start-up."""
    proto.wbuf.query(sql)
    proto.query_text = sql
    proto.expect(1)
    transport.send(proto.wbuf.take())
    while pump(proto, transport) != READY:
        pass
    if proto.error is not None:
        err: Error = proto.error
        proto.error = None
        raise OperationalError(f"could not check the session: {err}", fields=err.diag.fields)
    rows = proto.results[-1].rows if proto.results else []
    if not rows:
        raise OperationalError(f"could not check the session: {sql.decode()} returned no row")
    return rows[0][0]


def _terminate(transport: Transport, proto: Protocol) -> None:
    """Say goodbye to a host we do not want, as libpq does, then close."""
    try:
        proto.wbuf.terminate()
        transport.send(proto.wbuf.take())
    except Error:
        pass
    transport.close()


def _where(host: HostSpec) -> str:
    if host.is_unix:
        return f'connection to server on socket "{host.socket_path}"'
    if host.host and host.hostaddr and host.host != host.hostaddr:
        return f'connection to server at "{host.host}" ({host.hostaddr}), port {host.port}'
    name = host.hostaddr or host.host or "localhost"
    return f'connection to server at "{name}", port {host.port}'


def _missing_socket(e: Exception) -> bool:
    text = str(e)
    return "No such file or directory" in text or "Connection refused" in text
