"""Which host to use: the libpq host list tried in order (target_session_attrs and
load_balance_hosts belong here)."""

from __future__ import annotations

from typing import Callable

from .conninfo import ConnInfo, HostSpec
from .exceptions import OperationalError
from .protocol import Protocol
from .startup import establish
from .transport import Transport


def connect_any(
    info: ConnInfo,
    *,
    max_message_size: int,
    on_notice: Callable[[dict[str, str]], None] | None = None,
) -> tuple[HostSpec, Transport, Protocol]:
    """Try the hosts in order; the first that completes start-up wins. When all fail the
    error lists each host's reason."""
    failures: list[OperationalError] = []
    hosts = info.hosts
    for i, host in enumerate(hosts):
        try:
            transport, proto = establish(
                info, host, max_message_size=max_message_size, on_notice=on_notice
            )
            return host, transport, proto
        except OperationalError as e:
            if host.default_socket and i + 1 < len(hosts) and _missing_socket(e):
                continue
            failures.append(e)
    if len(failures) == 1:
        raise failures[0]
    text = "\n".join(str(e) for e in failures)
    raise OperationalError(
        "could not connect to any host:\n" + text, fields=failures[-1].diag.fields
    )


def _missing_socket(e: Exception) -> bool:
    text = str(e)
    return "No such file or directory" in text or "Connection refused" in text
