"""Opening a session on one host: socket, encryption, start-up packet, authentication, first
ReadyForQuery.

The encryption follows libpq's sslmode (protocol.md §8.1): which ways to try and in which order
(:func:`encryption_order`), the SSLRequest exchange, direct TLS, and the fallbacks of ``allow``
and ``prefer`` — a second attempt on a new socket when the first one's TLS handshake or
authentication failed. A GSSENCRequest comes first when gssencmode asks for one
(:func:`gss_encryption_wanted`); GSSAPI encryption, once up, replaces TLS. The protocol
version range (``min/max_protocol_version``) is checked against the server's
NegotiateProtocolVersion before any secret is sent.
"""

from __future__ import annotations

import socket
import ssl
import struct
import time
from typing import Callable

from . import gss, tls
from .auth import Authenticator
from .conninfo import ConnInfo, HostSpec
from .exceptions import Error, NotSupportedError, OperationalError
from .protocol import AUTH, PROTOCOL_3_0, READY, Protocol
from .pump import pump
from .transport import Transport, open_socket

__all__ = [
    "PLAIN",
    "NEGOTIATED_TLS",
    "DIRECT_TLS",
    "cancel_encryption",
    "encryption_order",
    "establish",
]

# The ways to begin a session (protocol.md §8.1 a-c).
PLAIN = "plain"
NEGOTIATED_TLS = "tls"  # SSLRequest, then the handshake when the server answers S
DIRECT_TLS = "direct"  # handshake at once, ALPN "postgresql" (PostgreSQL 17+)

_SSL_REQUEST = struct.pack("!ii", 8, 80877103)
_GSSENC_REQUEST = struct.pack("!ii", 8, 80877104)
_MAX_CANCEL_KEY = 256


class _TryNext(Exception):
    """This attempt failed in a way sslmode (or gssencmode, ``after_gss``) allows retrying
    with the next encryption choice."""

    def __init__(self, error: OperationalError, *, after_gss: bool = False) -> None:
        super().__init__(str(error))
        self.error = error
        self.after_gss = after_gss


def startup_params(info: ConnInfo) -> list[tuple[str, str]]:
    """The StartupMessage parameters; UTF8, ISO dates and postgres intervals are what the
    codec's text decoders read."""
    params = [("user", info.user), ("database", info.dbname)]
    if info.application_name:
        params.append(("application_name", info.application_name))
    if info.options:
        params.append(("options", info.options))
    encoding = info.client_encoding
    if encoding and encoding.upper().replace("-", "") not in ("UTF8", "UNICODE"):
        raise NotSupportedError("pgdbapi speaks UTF8 only; client_encoding must be UTF8")
    params.append(("client_encoding", "UTF8"))
    params.append(("DateStyle", "ISO"))
    params.append(("IntervalStyle", "postgres"))
    if info.replication:
        params.append(("replication", info.replication))
    params.extend(info.env_gucs.items())
    return params


def encryption_order(info: ConnInfo, host: HostSpec) -> list[str]:
    """The attempts libpq makes for ``info.sslmode``; Unix sockets never use TLS."""
    if host.is_unix:
        return [PLAIN]
    if info.params.get("sslnegotiation") == "direct":
        return [DIRECT_TLS]
    return {
        "disable": [PLAIN],
        "allow": [PLAIN, NEGOTIATED_TLS],
        "prefer": [NEGOTIATED_TLS, PLAIN],
    }.get(info.sslmode, [NEGOTIATED_TLS])


# libpq keywords whose meaning pgdbapi does not implement yet: asking for them must fail
# rather than connect without what they promise.
_UNSUPPORTED = {
    "scram_client_key": "SCRAM keys instead of a password",
    "scram_server_key": "SCRAM keys instead of a password",
    "oauth_issuer": "OAUTHBEARER authentication",
    "oauth_client_id": "OAUTHBEARER authentication",
    "oauth_client_secret": "OAUTHBEARER authentication",
    "oauth_scope": "OAUTHBEARER authentication",
}


def refuse_unsupported(info: ConnInfo) -> None:
    """A clear error for what was asked and cannot be honoured (GSSAPI encryption required,
    a client-certificate request the ssl module cannot observe, SCRAM keys, OAuth)."""
    params = info.params
    gsslib = params.get("gsslib")
    if gsslib and gsslib != "gssapi":
        raise OperationalError(f'invalid gsslib parameter value: "{gsslib}" (only "gssapi")')
    if params.get("sslcertmode") == "require":
        raise OperationalError("sslcertmode=require is not supported by pgdbapi")
    for key, what in _UNSUPPORTED.items():
        if params.get(key):
            raise OperationalError(f"{key}: {what} is not supported by pgdbapi yet")


def establish(
    info: ConnInfo,
    host: HostSpec,
    *,
    max_message_size: int,
    on_notice: Callable[[dict[str, str]], None] | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> tuple[Transport, Protocol]:
    """Connect to one host and run start-up to the first ReadyForQuery.

    ``connect_timeout`` bounds the whole attempt (sockets, TLS, start-up, authentication, and
    the retry sslmode allow/prefer may make). ``ssl_context`` replaces the context built from
    the ``ssl*`` parameters; sslmode still decides whether and when TLS is used, and
    verify-full still checks the host name. Every failure is an OperationalError carrying the
    server's fields when it sent some.
    """
    refuse_unsupported(info)
    deadline = time.monotonic() + info.connect_timeout if info.connect_timeout else None
    order = encryption_order(info, host)
    gssenc = gss_encryption_wanted(info, host)
    i = 0
    while True:
        try:
            return _attempt(
                info, host, order[i], gssenc, ssl_context, deadline, max_message_size, on_notice
            )
        except _TryNext as retry:
            if retry.after_gss:  # gssencmode=prefer: the same choice again without GSSAPI
                gssenc = False
                continue
            gssenc = False  # a server that answered the GSSENCRequest N is not asked again
            i += 1
            if i == len(order):
                raise retry.error from None


def gss_encryption_wanted(info: ConnInfo, host: HostSpec) -> bool:
    """Whether to send a GSSENCRequest first: libpq's gssencmode (``prefer`` only when the
    gssapi package is present and the user holds Kerberos credentials; never over a Unix
    socket or with direct TLS)."""
    mode = _gssencmode(info)
    if mode == "disable":
        return False
    if mode == "require":
        if host.is_unix:
            raise OperationalError(
                "gssencmode=require: GSSAPI encryption is not possible over a Unix socket"
            )
        if info.params.get("sslnegotiation") == "direct":
            raise OperationalError(
                "gssencmode=require cannot be combined with sslnegotiation=direct"
            )
        if not gss.available():
            raise OperationalError(f"gssencmode=require: {gss.MISSING}")
        return True
    if host.is_unix or info.params.get("sslnegotiation") == "direct":
        return False
    return gss.has_credentials()


def _attempt(
    info: ConnInfo,
    host: HostSpec,
    how: str,
    gssenc: bool,
    context: ssl.SSLContext | None,
    deadline: float | None,
    max_message_size: int,
    on_notice: Callable[[dict[str, str]], None] | None,
) -> tuple[Transport, Protocol]:
    """One socket: GSSAPI encryption first when ``gssenc`` (and the server agrees), else
    encryption as ``how`` says; then start-up."""
    remaining = None if deadline is None else max(0.001, deadline - time.monotonic())
    transport = Transport(open_socket(host, remaining), host)
    try:
        if deadline is not None:
            transport.settimeout(max(0.001, deadline - time.monotonic()))
        if host.is_unix and info.params.get("requirepeer"):
            _check_peer_user(transport, info.params["requirepeer"])
        peer_cert = None
        gss_encrypted = gssenc and _start_gss_encryption(info, host, transport)
        if how != PLAIN and not gss_encrypted:
            peer_cert = _start_tls(info, host, transport, context, direct=how == DIRECT_TLS)
        proto = Protocol(max_message_size)
        proto.on_notice = on_notice
        try:
            _run_startup(
                info,
                host,
                transport,
                proto,
                peer_cert,
                retry_allowed=how != DIRECT_TLS and not gss_encrypted,
                gss_encrypted=gss_encrypted,
            )
        except OperationalError as e:
            if gss_encrypted and e.pgcode and _gssencmode(info) == "prefer":
                raise _TryNext(e, after_gss=True) from None
            raise
        transport.settimeout(None)
    except _TryNext:
        transport.close()
        raise
    except Error as e:
        transport.close()
        if isinstance(e, OperationalError):
            raise
        raise OperationalError(str(e), fields=e.diag.fields) from None
    except BaseException:
        transport.close()
        raise
    return transport, proto


def _check_peer_user(transport: Transport, wanted: str) -> None:
    """requirepeer: the server process on a Unix socket must run as ``wanted`` (SO_PEERCRED)."""
    peercred = getattr(socket, "SO_PEERCRED", None)
    if peercred is None:
        raise OperationalError("requirepeer parameter is not supported on this platform")
    creds = transport.raw_socket.getsockopt(socket.SOL_SOCKET, peercred, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    try:
        import pwd

        actual = pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        raise OperationalError(f"could not look up local user ID {uid}") from None
    if actual != wanted:
        raise OperationalError(
            f'requirepeer specifies "{wanted}", but actual peer user name is "{actual}"'
        )


# --- encryption ---------------------------------------------------------------------------------


def cancel_encryption(
    info: ConnInfo, host: HostSpec, ssl_context: ssl.SSLContext | None = None
) -> Callable[[Transport], None]:
    """What cancel.send_cancel calls on its fresh socket when the session uses TLS: the same
    negotiation (SSLRequest or direct), context and certificate checks as the session's."""

    def encrypt(transport: Transport) -> None:
        direct = info.params.get("sslnegotiation") == "direct"
        try:
            _start_tls(info, host, transport, ssl_context, direct=direct)
        except _TryNext as failed:
            raise failed.error from None

    return encrypt


def _start_tls(
    info: ConnInfo,
    host: HostSpec,
    transport: Transport,
    context: ssl.SSLContext | None,
    *,
    direct: bool,
) -> bytes | None:
    """TLS as sslmode wants it; the server certificate's DER, or None when ``prefer``/``allow``
    accepted the server's refusal and the session goes on unencrypted. The context is built
    only once the server agreed (most servers a default ``prefer`` meets say no)."""
    sslmode = info.sslmode
    if not direct and not _server_accepts_tls(transport, sslmode):
        return None
    if context is None:
        context = tls.make_context(info.params)
    server_name = host.host if host.host and not host.is_unix else None
    sni = tls.sni_name(info.params, server_name)
    if context.check_hostname:  # a caller's context checking names itself needs the name
        sni = server_name or host.hostaddr
    try:
        # The TLS layer gets a duplicate descriptor: wrapping detaches the socket it is given,
        # and Transport.raw_socket must stay usable (keepalive options are set on it later).
        transport.upgrade(lambda sock: tls.handshake(context, sock.dup(), sni, direct=direct))
    except OSError as exc:  # ssl.SSLError is an OSError
        error = OperationalError(tls.handshake_error(exc))
        if sslmode == "prefer":
            raise _TryNext(error) from None
        raise error from None
    stream = transport.stream
    assert isinstance(stream, ssl.SSLSocket)
    der = tls.peer_certificate(stream)
    if sslmode == "verify-full":
        name = host.host or host.hostaddr
        if not name:
            raise OperationalError("host name must be specified for a verified SSL connection")
        tls.check_host_name(der, name)
    return der


def _server_accepts_tls(transport: Transport, sslmode: str) -> bool:
    """SSLRequest and its one-byte answer (nothing may follow it: CVE-2021-23222)."""
    transport.send(_SSL_REQUEST)
    answer = transport.recv_exactly_one_byte()
    if answer == b"S":
        return True
    if answer == b"N":
        if sslmode in ("allow", "prefer"):
            return False
        raise OperationalError("server does not support SSL, but SSL was required")
    if answer == b"E":
        # not yet authenticated: its text is not shown (CVE-2024-10977)
        raise OperationalError("server sent an error response during SSL exchange")
    raise OperationalError(
        f"received invalid response to SSL negotiation: {answer.decode('latin-1')!r}"
    )


def _gssencmode(info: ConnInfo) -> str:
    return info.params.get("gssencmode") or "prefer"


def _start_gss_encryption(info: ConnInfo, host: HostSpec, transport: Transport) -> bool:
    """GSSENCRequest and, when the server answers G, the GSSAPI context; False when the
    server said N and gssencmode=prefer lets the session go on (TLS may follow on the same
    socket)."""
    required = _gssencmode(info) == "require"
    transport.send(_GSSENC_REQUEST)
    answer = transport.recv_exactly_one_byte()
    if answer == b"N":
        if required:
            raise OperationalError("gssencmode=require: server doesn't support GSSAPI encryption")
        return False
    if answer == b"E":  # not yet authenticated: its text is not shown (CVE-2024-10977)
        error = OperationalError("server sent an error response during GSSAPI encryption request")
        if required:
            raise error
        # a server before PostgreSQL 12 rejects the request code: a new socket without GSSAPI
        raise _TryNext(error, after_gss=True)
    if answer != b"G":
        raise OperationalError(
            f"received invalid response to GSSAPI negotiation: {answer.decode('latin-1')!r}"
        )
    service = info.params.get("krbsrvname") or "postgres"
    name = host.host or host.hostaddr or ""
    try:
        transport.upgrade(lambda sock: gss.negotiate_encryption(sock, service, name))
    except socket.timeout:
        raise OperationalError("timeout expired during GSSAPI encryption setup") from None
    except OSError as exc:
        raise OperationalError(f"GSSAPI encryption setup failed: {exc}") from None
    except OperationalError as exc:
        if required:
            raise OperationalError(f"gssencmode=require: {exc}") from None
        # prefer: a new socket without GSSAPI (the server waits for more tokens on this one)
        raise _TryNext(exc, after_gss=True) from None
    return True


# --- start-up and authentication ------------------------------------------------------------


def _run_startup(
    info: ConnInfo,
    host: HostSpec,
    transport: Transport,
    proto: Protocol,
    peer_cert: bytes | None,
    *,
    retry_allowed: bool,
    gss_encrypted: bool = False,
) -> None:
    """StartupMessage, the authentication exchange, then everything up to ReadyForQuery.

    A server error before AuthenticationOk becomes :class:`_TryNext` when sslmode allow/prefer
    may retry the other way (the server may accept only hostssl or only hostnossl).
    """
    low, high = info.protocol_versions
    auth = Authenticator(
        info.user,
        info.password_for(host),
        tls_peer_cert=peer_cert,
        channel_binding=info.params.get("channel_binding") or "prefer",
        require_auth=info.params.get("require_auth") or None,
        gss_target=None
        if host.is_unix
        else (info.params.get("krbsrvname") or "postgres", host.host or host.hostaddr or ""),
        gss_encrypted=gss_encrypted,
    )
    proto.protocol_version = high
    proto.wbuf.startup(high, startup_params(info))
    proto.expect(1)
    transport.send(proto.wbuf.take())
    authenticated = False
    while True:
        try:
            ev = pump(proto, transport)
        except OperationalError as e:
            if not authenticated and retry_allowed and e.pgcode and _may_retry(info, peer_cert):
                raise _TryNext(e) from None
            raise
        _check_protocol_version(proto, low, high)
        if ev == READY:
            break
        if ev != AUTH or proto.auth_request is None:
            raise OperationalError("unexpected message from the server during start-up")
        code, data = proto.auth_request
        proto.auth_request = None
        if code == 0:
            auth.finish()
            authenticated = True
            continue
        body = auth.respond(code, data)
        if body is not None:
            proto.wbuf.password(body)
            transport.send(proto.wbuf.take())
    if proto.error is not None:
        raise proto.error
    if len(proto.backend_key) > _MAX_CANCEL_KEY:
        raise OperationalError(
            f"received invalid BackendKeyData: a {len(proto.backend_key)}-byte cancel key "
            f"(at most {_MAX_CANCEL_KEY})"
        )


def _may_retry(info: ConnInfo, peer_cert: bytes | None) -> bool:
    """prefer retries unencrypted after failing over TLS; allow retries over TLS after
    failing unencrypted."""
    return (info.sslmode == "prefer" and peer_cert is not None) or (
        info.sslmode == "allow" and peer_cert is None
    )


def _version_text(version: int) -> str:
    return f"{version >> 16}.{version & 0xFFFF}"


def _check_protocol_version(proto: Protocol, low: int, high: int) -> None:
    """The version a NegotiateProtocolVersion settled on must lie in [low, high]."""
    version = proto.protocol_version
    if version == high:
        return
    prefix = "received invalid protocol negotiation message: "
    if version > high:
        raise OperationalError(prefix + "server requested downgrade to a higher-numbered version")
    if version < PROTOCOL_3_0:
        raise OperationalError(prefix + "server requested downgrade to pre-3.0 protocol version")
    if version < low:
        raise OperationalError(
            f"server only supports protocol version {_version_text(version)}, but "
            f"min_protocol_version was set to {_version_text(low)}"
        )
