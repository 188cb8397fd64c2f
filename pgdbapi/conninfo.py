"""Connection parameters, resolved the way libpq resolves them.

Which server(s) to try and with which settings comes from, in decreasing priority: the DSN
string, keyword arguments, a ``pg_service.conf`` service entry, ``PG*`` environment
variables, then libpq's compiled-in defaults. Everything here is pure stdlib and knows
nothing of the wire protocol, so each rule can be tested without a server.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re
import stat
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

from .exceptions import ProgrammingError

__all__ = [
    "ConnInfo",
    "HostSpec",
    "DEFAULT_PORT",
    "DEFAULT_SOCKET_DIRS",
    "KEYWORDS",
    "lookup_pgpass",
    "format_dsn",
    "parse_dsn",
    "resolve",
]

DEFAULT_PORT = 5432

# libpq is compiled with one socket directory; Debian's uses the first, upstream's the
# second. Trying both finds a local server whichever packaging started it.
DEFAULT_SOCKET_DIRS: tuple[str, ...] = ("/var/run/postgresql", "/tmp")

# Where Debian's libpq looks for the system-wide pg_service.conf when PGSYSCONFDIR is unset.
DEFAULT_SYSCONFDIR = "/etc/postgresql-common"

# Every keyword libpq 18 accepts -> (environment variable, compiled-in default).
KEYWORDS: dict[str, tuple[str | None, str | None]] = {
    "service": ("PGSERVICE", None),
    "servicefile": ("PGSERVICEFILE", None),
    "user": ("PGUSER", None),
    "password": ("PGPASSWORD", None),
    "passfile": ("PGPASSFILE", None),
    "channel_binding": ("PGCHANNELBINDING", "prefer"),
    "connect_timeout": ("PGCONNECT_TIMEOUT", None),
    "dbname": ("PGDATABASE", None),
    "host": ("PGHOST", None),
    "hostaddr": ("PGHOSTADDR", None),
    "port": ("PGPORT", str(DEFAULT_PORT)),
    "client_encoding": ("PGCLIENTENCODING", None),
    "options": ("PGOPTIONS", ""),
    "application_name": ("PGAPPNAME", None),
    "fallback_application_name": (None, None),
    "keepalives": (None, None),
    "keepalives_idle": (None, None),
    "keepalives_interval": (None, None),
    "keepalives_count": (None, None),
    "tcp_user_timeout": (None, None),
    "sslmode": ("PGSSLMODE", "prefer"),
    "sslnegotiation": ("PGSSLNEGOTIATION", "postgres"),
    "sslcompression": ("PGSSLCOMPRESSION", "0"),
    "sslcert": ("PGSSLCERT", None),
    "sslkey": ("PGSSLKEY", None),
    "sslcertmode": ("PGSSLCERTMODE", "allow"),
    "sslpassword": (None, None),
    "sslrootcert": ("PGSSLROOTCERT", None),
    "sslcrl": ("PGSSLCRL", None),
    "sslcrldir": ("PGSSLCRLDIR", None),
    "sslsni": ("PGSSLSNI", "1"),
    "sslkeylogfile": (None, None),
    "requirepeer": ("PGREQUIREPEER", None),
    "require_auth": ("PGREQUIREAUTH", None),
    "min_protocol_version": ("PGMINPROTOCOLVERSION", None),
    "max_protocol_version": ("PGMAXPROTOCOLVERSION", None),
    "ssl_min_protocol_version": ("PGSSLMINPROTOCOLVERSION", "TLSv1.2"),
    "ssl_max_protocol_version": ("PGSSLMAXPROTOCOLVERSION", None),
    "gssencmode": ("PGGSSENCMODE", "prefer"),
    "krbsrvname": ("PGKRBSRVNAME", "postgres"),
    "gsslib": ("PGGSSLIB", None),
    "gssdelegation": ("PGGSSDELEGATION", "0"),
    "replication": (None, None),
    "target_session_attrs": ("PGTARGETSESSIONATTRS", "any"),
    "load_balance_hosts": ("PGLOADBALANCEHOSTS", "disable"),
    "scram_client_key": (None, None),
    "scram_server_key": (None, None),
    "oauth_issuer": (None, None),
    "oauth_client_id": (None, None),
    "oauth_client_secret": (None, None),
    "oauth_scope": (None, None),
}

# Parameters whose values must never be shown (libpq's "*" display flag).
SECRET_KEYWORDS = frozenset({"password", "sslpassword", "oauth_client_secret"})
# Parameters psycopg2's get_dsn_parameters() leaves out (libpq's "D" debug flag).
_DEBUG_KEYWORDS = frozenset(
    {"replication", "scram_client_key", "scram_server_key", "sslkeylogfile"}
)

# Enumerated parameters: keyword -> accepted values (compared exactly, as libpq does).
_CHOICES: dict[str, tuple[str, ...]] = {
    "sslmode": ("disable", "allow", "prefer", "require", "verify-ca", "verify-full"),
    "sslnegotiation": ("postgres", "direct"),
    "sslcertmode": ("disable", "allow", "require"),
    "gssencmode": ("disable", "prefer", "require"),
    "channel_binding": ("disable", "prefer", "require"),
    "target_session_attrs": (
        "any",
        "read-write",
        "read-only",
        "primary",
        "standby",
        "prefer-standby",
    ),
    "load_balance_hosts": ("disable", "random"),
    "gsslib": ("gssapi", "sspi"),
}
_INT_KEYWORDS = (
    "connect_timeout",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
)
_TLS_VERSIONS = ("tlsv1", "tlsv1.1", "tlsv1.2", "tlsv1.3")
# Protocol version codes (major << 16 | minor); 3.1 was never used.
_PROTOCOL_VERSIONS = {"3.0": 0x30000, "3.2": 0x30002, "latest": 0x30002}
_REQUIRE_AUTH_METHODS = ("password", "md5", "gss", "sspi", "scram-sha-256", "oauth", "none")

# Environment variables libpq turns into start-up GUCs. PGDATESTYLE is deliberately not
# forwarded: the codec parses dates in the ISO style the driver asks for.
_ENV_GUCS = (("PGTZ", "timezone"), ("PGGEQO", "geqo"))

_URI_PREFIXES = ("postgresql://", "postgres://")


def _invalid_dsn(reason: str) -> ProgrammingError:
    return ProgrammingError(f"invalid dsn: {reason}")


# --------------------------------------------------------------------------------------
# DSN parsing
# --------------------------------------------------------------------------------------


def parse_dsn(dsn: str) -> dict[str, str]:
    """The parameters written in ``dsn`` (key=value string or URI), without any defaults."""
    return dict(_parse_dsn_cached(dsn))


@functools.lru_cache(maxsize=64)
def _parse_dsn_cached(dsn: str) -> tuple[tuple[str, str], ...]:
    """An application connects with the same few DSNs again and again: parse each once
    (errors are not cached, so a bad DSN raises every time)."""
    return tuple(_parse_dsn(dsn).items())


def _parse_dsn(dsn: str) -> dict[str, str]:
    if dsn.startswith(_URI_PREFIXES):
        pairs = _parse_uri(dsn)
    else:
        pairs = _parse_keyword_value(dsn)
    params: dict[str, str] = {}
    for key, value in pairs:
        key, value = _canonical_pair(key, value)
        if key not in KEYWORDS:
            raise _invalid_dsn(f'invalid connection option "{key}"')
        params[key] = value
    return params


def _canonical_pair(key: str, value: str) -> tuple[str, str]:
    """Translates the deprecated ``requiressl`` as libpq still does."""
    if key == "requiressl":
        return "sslmode", "require" if value.startswith("1") else "prefer"
    return key, value


# What C's isspace() accepts in the "C" locale, which is what libpq's parser uses.
_BLANKS = frozenset(" \t\n\r\f\v")


def _parse_keyword_value(dsn: str) -> Iterator[tuple[str, str]]:
    pos, end = 0, len(dsn)
    while pos < end:
        if dsn[pos] in _BLANKS:
            pos += 1
            continue
        start = pos
        while pos < end and dsn[pos] != "=" and dsn[pos] not in _BLANKS:
            pos += 1
        name = dsn[start:pos]
        while pos < end and dsn[pos] in _BLANKS:
            pos += 1
        if pos >= end or dsn[pos] != "=":
            raise _invalid_dsn(f'missing "=" after "{name}" in connection info string')
        pos += 1
        while pos < end and dsn[pos] in _BLANKS:
            pos += 1
        value, pos = _read_value(dsn, pos)
        yield name, value


def _read_value(dsn: str, pos: int) -> tuple[str, int]:
    """One value: quoted (``'...'``) or up to the next blank; backslash escapes either way."""
    end = len(dsn)
    quoted = pos < end and dsn[pos] == "'"
    if quoted:
        pos += 1
    out: list[str] = []
    while True:
        if pos >= end:
            if quoted:
                raise _invalid_dsn("unterminated quoted string in connection info string")
            break
        ch = dsn[pos]
        if ch == "\\":
            if pos + 1 < end:
                out.append(dsn[pos + 1])
            pos += 2
            continue
        pos += 1
        if quoted and ch == "'":
            break
        if not quoted and ch in _BLANKS:
            break
        out.append(ch)
    return "".join(out), pos


def _parse_uri(uri: str) -> Iterator[tuple[str, str]]:
    """``postgresql://[user[:password]@][netloc[:port][,...]][/dbname][?key=value&...]``."""
    rest = uri.split("://", 1)[1]
    # The authority ends at the first "/" or "?"; libpq only stops at "/", which would
    # misread an "@" inside the query string as the end of a user name.
    auth_end = len(rest)
    for sep in "/?":
        idx = rest.find(sep)
        if idx != -1:
            auth_end = min(auth_end, idx)
    authority, tail = rest[:auth_end], rest[auth_end:]

    if "@" in authority:
        userinfo, authority = authority.rsplit("@", 1)
        user, colon, password = userinfo.partition(":")
        if user:
            yield "user", _percent_decode(user)
        if colon and password:
            yield "password", _percent_decode(password)

    hosts, ports = _split_netlocs(authority, uri)
    if any(hosts):
        yield "host", _percent_decode(",".join(hosts))
    if any(ports):
        yield "port", _percent_decode(",".join(ports))

    path, question, query = tail.partition("?")
    dbname = path[1:] if path.startswith("/") else path
    if dbname:
        yield "dbname", _percent_decode(dbname)
    if question:
        yield from _parse_uri_query(query)


def _split_netlocs(authority: str, uri: str) -> tuple[list[str], list[str]]:
    """Splits ``h1:p1,[::1]:p2,...`` into parallel host and port lists (still encoded)."""
    hosts: list[str] = []
    ports: list[str] = []
    pos = 0
    while True:
        if authority.startswith("[", pos):
            close = authority.find("]", pos)
            if close == -1:
                raise _invalid_dsn(
                    f'end of string reached when looking for matching "]" in IPv6 host '
                    f'address in URI: "{uri}"'
                )
            if close == pos + 1:
                raise _invalid_dsn(f'IPv6 host address may not be empty in URI: "{uri}"')
            host = authority[pos + 1 : close]
            pos = close + 1
            if pos < len(authority) and authority[pos] not in ":,":
                raise _invalid_dsn(
                    f'unexpected character "{authority[pos]}" after IPv6 host address in '
                    f'URI (expected ":", "," or "/"): "{uri}"'
                )
        else:
            stop = pos
            while stop < len(authority) and authority[stop] not in ":,":
                stop += 1
            host = authority[pos:stop]
            pos = stop
        port = ""
        if authority.startswith(":", pos):
            stop = authority.find(",", pos)
            stop = len(authority) if stop == -1 else stop
            port = authority[pos + 1 : stop]
            pos = stop
        hosts.append(host)
        ports.append(port)
        if pos >= len(authority):
            return hosts, ports
        pos += 1  # the comma


def _parse_uri_query(query: str) -> Iterator[tuple[str, str]]:
    items = query.split("&")
    if items[-1] == "":  # libpq tolerates one trailing "&"
        items.pop()
    for item in items:
        key, eq, value = item.partition("=")
        if not eq:
            raise _invalid_dsn(f'missing key/value separator "=" in URI query parameter: "{item}"')
        if "=" in value:
            raise _invalid_dsn(f'extra key/value separator "=" in URI query parameter: "{item}"')
        key, value = _percent_decode(key), _percent_decode(value)
        if key == "ssl" and value == "true":  # JDBC spelling, as libpq accepts it
            key, value = "sslmode", "require"
        if _canonical_pair(key, value)[0] not in KEYWORDS:
            raise _invalid_dsn(f'invalid URI query parameter: "{key}"')
        yield key, value


_PERCENT_RE = re.compile(r"%(.?.?)")


def _percent_decode(text: str) -> str:
    """libpq's URI decoding: %XX tokens (not %00), surrounding blanks ignored, inner refused."""
    stripped = text.strip(" ")
    if " " in stripped:
        raise _invalid_dsn(
            f'unexpected spaces found in "{text}", use percent-encoded spaces (%20) instead'
        )
    out = bytearray()
    pos = 0
    for match in _PERCENT_RE.finditer(stripped):
        out += stripped[pos : match.start()].encode()
        digits = match.group(1)
        if len(digits) != 2 or not all(c in "0123456789abcdefABCDEF" for c in digits):
            raise _invalid_dsn(f'invalid percent-encoded token: "{text}"')
        if digits == "00":
            raise _invalid_dsn(f'forbidden value %00 in percent-encoded value: "{text}"')
        out.append(int(digits, 16))
        pos = match.end()
    out += stripped[pos:].encode()
    try:
        return out.decode()
    except UnicodeDecodeError:
        raise _invalid_dsn(f'percent-encoded value is not valid UTF-8: "{text}"')


def _quote_value(value: str) -> str:
    """A value as a key=value DSN writes it: escaped, and quoted if empty or blank-bearing."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    if not value or any(c in _BLANKS for c in value):
        return f"'{escaped}'"
    return escaped


def format_dsn(params: Mapping[str, str]) -> str:
    """A key=value DSN that :func:`parse_dsn` reads back as ``params``."""
    return " ".join(f"{key}={_quote_value(value)}" for key, value in params.items())


# --------------------------------------------------------------------------------------
# Hosts
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HostSpec:
    """One place to try: a TCP host and/or numeric address, or a Unix-socket directory.

    ``host`` keeps the name as the user wrote it (for .pgpass and TLS name checks) even
    when ``hostaddr`` says where to connect without DNS. ``default_socket`` marks the
    socket directories tried when no host was given, which may simply not exist.
    """

    host: str | None
    hostaddr: str | None
    port: int
    default_socket: bool = False

    @property
    def is_unix(self) -> bool:
        """A socket directory (``/dir``), or a Linux abstract-namespace name (``@name``)."""
        return self.hostaddr is None and _is_socket_dir(self.host)

    @property
    def socket_path(self) -> str:
        """``<dir>/.s.PGSQL.<port>``; an ``@`` prefix means the abstract namespace."""
        if not self.is_unix:
            raise ValueError(f"{self!r} is not a Unix-domain socket")
        return f"{self.host}/.s.PGSQL.{self.port}"


def _is_socket_dir(host: str | None) -> bool:
    return host is not None and host[:1] in ("/", "@")


def _split_list(value: str | None) -> list[str]:
    return value.split(",") if value else []


_INT_RE = re.compile(r"\s*[+-]?[0-9]+\s*", re.ASCII)


def _parse_int(value: str, keyword: str) -> int:
    """strtol-style: optional sign and surrounding blanks, nothing else."""
    if not _INT_RE.fullmatch(value):
        raise ProgrammingError(f'invalid integer value "{value}" for connection option "{keyword}"')
    return int(value)


def _build_hosts(params: Mapping[str, str]) -> list[HostSpec]:
    """libpq's pairing of the comma lists in host, hostaddr and port."""
    hosts = _split_list(params.get("host"))
    addrs = _split_list(params.get("hostaddr"))
    if addrs:
        if hosts and len(hosts) != len(addrs):
            raise ProgrammingError(
                f"could not match {len(hosts)} host names to {len(addrs)} hostaddr values"
            )
        count = len(addrs)
    else:
        count = len(hosts) or 1
    ports = _split_list(params.get("port"))
    if len(ports) == 1:
        ports = ports * count
    elif ports and len(ports) != count:
        raise ProgrammingError(f"could not match {len(ports)} port numbers to {count} hosts")

    specs: list[HostSpec] = []
    for i in range(count):
        host = hosts[i] if hosts else ""
        addr = addrs[i] if addrs else ""
        port = _parse_port(ports[i] if ports else "")
        if addr:
            try:
                ipaddress.ip_address(addr)
            except ValueError:
                raise ProgrammingError(f'could not parse network address "{addr}"')
            specs.append(HostSpec(host or None, addr, port))
        elif host:
            specs.append(HostSpec(host, None, port))
        else:
            specs.extend(HostSpec(d, None, port, default_socket=True) for d in DEFAULT_SOCKET_DIRS)
    return specs


def _parse_port(text: str) -> int:
    if not text:
        return DEFAULT_PORT
    port = _parse_int(text, "port")
    if not 1 <= port <= 65535:
        raise ProgrammingError(f'invalid port number: "{text}"')
    return port


# --------------------------------------------------------------------------------------
# Resolved parameters
# --------------------------------------------------------------------------------------


@dataclass
class ConnInfo:
    """Every parameter after DSN, keywords, service, environment and defaults are merged.

    ``given`` keeps only what the caller wrote (DSN then keywords), which is what
    :meth:`safe_dsn` shows, like psycopg2's ``connection.dsn``. ``env_gucs`` are the
    start-up settings libpq takes from ``PGTZ``/``PGGEQO``.
    """

    params: dict[str, str] = field(repr=False)
    given: dict[str, str] = field(default_factory=dict, repr=False)
    env_gucs: dict[str, str] = field(default_factory=dict)
    hosts: list[HostSpec] = field(init=False)

    def __post_init__(self) -> None:
        self.hosts = _build_hosts(self.params)

    def __repr__(self) -> str:  # never shows the password
        return f"<ConnInfo {self.safe_dsn()!r} hosts={self.hosts!r}>"

    def _get(self, key: str) -> str | None:
        """The value, with libpq's reading of an empty string as "not set"."""
        return self.params.get(key) or None

    @property
    def user(self) -> str:
        return self._get("user") or _os_user()

    @property
    def dbname(self) -> str:
        return self._get("dbname") or self.user

    @property
    def password(self) -> str | None:
        return self._get("password")

    @property
    def connect_timeout(self) -> float | None:
        """Seconds per host attempt; 0, negative or absent means no limit, 1 means 2."""
        text = self._get("connect_timeout")
        if text is None:
            return None
        seconds = _parse_int(text, "connect_timeout")
        if seconds <= 0:
            return None
        return float(max(seconds, 2))

    @property
    def application_name(self) -> str | None:
        return self._get("application_name") or self._get("fallback_application_name")

    @property
    def options(self) -> str | None:
        return self._get("options")

    @property
    def client_encoding(self) -> str | None:
        return self._get("client_encoding")

    @property
    def sslmode(self) -> str:
        return self._get("sslmode") or "prefer"

    @property
    def replication(self) -> str | None:
        """``"true"`` (physical), ``"database"`` (logical) or ``None``: the start-up value."""
        value = self._get("replication")
        if value is None or value == "database":
            return value
        return "true" if _parse_bool(value, "replication") else None

    @property
    def protocol_versions(self) -> tuple[int, int]:
        """(min, max) protocol version codes; max defaults to 3.0 unless min asks for more."""
        low_text = self._get("min_protocol_version")
        high_text = self._get("max_protocol_version")
        low = _PROTOCOL_VERSIONS[low_text] if low_text else _PROTOCOL_VERSIONS["3.0"]
        if high_text:
            high = _PROTOCOL_VERSIONS[high_text]
        else:
            high = _PROTOCOL_VERSIONS["latest"] if low > 0x30000 else 0x30000
        return low, high

    def password_for(self, host: HostSpec) -> str | None:
        """The password to offer ``host``: the given one, else its .pgpass entry."""
        if self.password is not None:
            return self.password
        return lookup_pgpass(
            host.host or host.hostaddr or "",
            host.port,
            self.dbname,
            self.user,
            self._get("passfile"),
        )

    def safe_dsn(self) -> str:
        """The caller's parameters as a key=value string, the password shown as ``xxx``."""
        shown = {k: ("xxx" if k in SECRET_KEYWORDS else v) for k, v in self.given.items()}
        return format_dsn(shown)

    def dsn_parameters(self) -> dict[str, str]:
        """The effective parameters minus secrets, like psycopg2's get_dsn_parameters()."""
        return {
            k: v
            for k, v in self.params.items()
            if k not in SECRET_KEYWORDS and k not in _DEBUG_KEYWORDS
        }


def _os_user() -> str:
    """The operating-system user name, looked up by effective uid as libpq does."""
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError, AttributeError):
        import getpass

        return getpass.getuser()


def resolve(dsn: str | None = None, **kwargs: Any) -> ConnInfo:
    """Merges DSN, keywords, service file, environment and defaults; validates the result.

    Keywords override the DSN; ``None`` values are ignored and ``database`` means
    ``dbname``, as with ``psycopg2.connect``.
    """
    given = parse_dsn(dsn) if dsn else {}
    if kwargs.get("database") is not None and kwargs.get("dbname") is not None:
        raise TypeError("you can't specify both 'database' and 'dbname' arguments")
    for key, value in kwargs.items():
        if value is None:
            continue
        key, text = _canonical_pair("dbname" if key == "database" else key, str(value))
        if key not in KEYWORDS:
            raise ProgrammingError(f'invalid connection option "{key}"')
        given[key] = text

    params = dict(given)
    _add_service(params)
    environ = _pg_environment()
    sslmode_defaulted = False
    for key, (envvar, default) in KEYWORDS.items():
        if key in params:
            continue
        if envvar is not None and envvar in environ:
            params[key] = environ[envvar]
        elif key == "sslmode" and environ.get("PGREQUIRESSL", "").startswith("1"):
            params[key] = "require"
        elif default is not None:
            params[key] = default
            sslmode_defaulted = sslmode_defaulted or key == "sslmode"
    if sslmode_defaulted and params.get("sslrootcert") == "system":
        params["sslmode"] = "verify-full"
    if not params.get("user"):
        params["user"] = _os_user()
    if not params.get("dbname"):
        params["dbname"] = params["user"]

    _validate(params)
    env_gucs = {
        guc: environ[var]
        for var, guc in _ENV_GUCS
        if var in environ and environ[var].lower() != "default"
    }
    return ConnInfo(params=params, given=given, env_gucs=env_gucs)


# --------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------


def _pg_environment() -> dict[str, str]:
    """The PG* variables (every one libpq reads starts so), read once: ~40 lookups, most
    of them misses, cost far more on os.environ than on a small dict. On POSIX the bytes
    behind os.environ are filtered before anything is decoded (os.environ decodes every
    variable it iterates over)."""
    data = getattr(os.environ, "_data", None)
    if os.name == "posix" and type(data) is dict:
        return {
            os.fsdecode(key): os.fsdecode(value)
            for key, value in data.items()
            if type(key) is bytes and key.startswith(b"PG")
        }
    environ = os.environ
    return {key: environ[key] for key in environ if key.startswith("PG")}


def _validate(params: Mapping[str, str]) -> None:
    for key, choices in _CHOICES.items():
        value = params.get(key)
        if value and value not in choices:
            raise ProgrammingError(
                f'invalid {key} value: "{value}" (expected one of {", ".join(choices)})'
            )
    for key in _INT_KEYWORDS:
        if params.get(key):
            _parse_int(params[key], key)

    sslmode = params.get("sslmode", "prefer")
    if params.get("sslnegotiation") == "direct" and sslmode not in (
        "require",
        "verify-ca",
        "verify-full",
    ):
        raise ProgrammingError(
            f'weak sslmode "{sslmode}" may not be used with sslnegotiation=direct '
            '(use "require", "verify-ca", or "verify-full")'
        )
    if params.get("sslrootcert") == "system" and sslmode != "verify-full":
        raise ProgrammingError(
            f'weak sslmode "{sslmode}" may not be used with sslrootcert=system (use "verify-full")'
        )
    _validate_tls_range(
        params.get("ssl_min_protocol_version"), params.get("ssl_max_protocol_version")
    )

    for key in ("min_protocol_version", "max_protocol_version"):
        value = params.get(key)
        if value and value not in _PROTOCOL_VERSIONS:
            raise ProgrammingError(f'invalid {key} value: "{value}"')
    low, high = params.get("min_protocol_version"), params.get("max_protocol_version")
    if low and high and _PROTOCOL_VERSIONS[low] > _PROTOCOL_VERSIONS[high]:
        raise ProgrammingError('"min_protocol_version" is greater than "max_protocol_version"')

    if params.get("replication") and params["replication"] != "database":
        _parse_bool(params["replication"], "replication")
    if params.get("require_auth"):
        _validate_require_auth(params["require_auth"])


def _validate_tls_range(low: str | None, high: str | None) -> None:
    for key, value in (("ssl_min_protocol_version", low), ("ssl_max_protocol_version", high)):
        if value and value.lower() not in _TLS_VERSIONS:
            raise ProgrammingError(f'invalid "{key}" value: "{value}"')
    if low and high and _TLS_VERSIONS.index(low.lower()) > _TLS_VERSIONS.index(high.lower()):
        raise ProgrammingError("invalid SSL protocol version range")


def _parse_bool(value: str, keyword: str) -> bool:
    """The server's boolean spellings (unique prefixes of true/false/yes/no, on/off, 1/0)."""
    text = value.strip().lower()
    if text in ("1", "0"):
        return text == "1"
    for word, meaning in (("true", True), ("false", False), ("yes", True), ("no", False)):
        if text and word.startswith(text):
            return meaning
    if len(text) >= 2 and "on".startswith(text):
        return True
    if len(text) >= 2 and "off".startswith(text):
        return False
    raise ProgrammingError(f'invalid {keyword} value: "{value}"')


def _validate_require_auth(value: str) -> None:
    """libpq's rules: known methods, all negated (``!md5``) or none, no repeats."""
    seen: set[str] = set()
    negated = None
    for part in value.split(","):
        is_negated = part.startswith("!")
        method = part[1:] if is_negated else part
        if negated is not None and is_negated != negated:
            kind = "negative " if is_negated else ""
            other = "non-negative" if is_negated else "negative"
            raise ProgrammingError(
                f'{kind}require_auth method "{method}" cannot be mixed with {other} methods'
            )
        negated = is_negated
        if method not in _REQUIRE_AUTH_METHODS:
            raise ProgrammingError(f'invalid require_auth value: "{method}"')
        if method in seen:
            raise ProgrammingError(f'require_auth method "{part}" is specified more than once')
        seen.add(method)


# --------------------------------------------------------------------------------------
# Service file
# --------------------------------------------------------------------------------------


def _add_service(params: dict[str, str]) -> None:
    """Fills unset parameters from the ``pg_service.conf`` entry named by service/PGSERVICE."""
    service = params.get("service") or os.environ.get("PGSERVICE")
    if not service:
        return
    candidates: list[str] = []
    explicit = params.get("servicefile", os.environ.get("PGSERVICEFILE"))
    if explicit is not None:
        candidates.append(explicit)
    else:
        user_file = os.path.join(os.path.expanduser("~"), ".pg_service.conf")
        if os.path.exists(user_file):
            candidates.append(user_file)
    sysconfdir = os.environ.get("PGSYSCONFDIR", DEFAULT_SYSCONFDIR)
    system_file = os.path.join(sysconfdir, "pg_service.conf")
    if os.path.exists(system_file):
        candidates.append(system_file)
    for path in candidates:
        entries = _read_service_file(path, service)
        if entries is not None:
            for key, value in entries.items():
                params.setdefault(key, value)
            params.setdefault("servicefile", path)
            return
    raise ProgrammingError(f'definition of service "{service}" not found')


def _read_service_file(path: str, service: str) -> dict[str, str] | None:
    """The ``[service]`` section of an INI-like service file, or None if it has none."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            lines = f.read().splitlines()
    except OSError:
        raise ProgrammingError(f'service file "{path}" not found')
    entries: dict[str, str] | None = None
    for lineno, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            if entries is not None:
                break
            if line == f"[{service}]":
                entries = {}
            continue
        if entries is None:
            continue
        key, eq, value = line.partition("=")
        if not eq:
            raise ProgrammingError(f'syntax error in service file "{path}", line {lineno}')
        if key in ("service", "servicefile"):
            raise ProgrammingError(
                f'nested "{key}" specifications not supported in service file "{path}", '
                f"line {lineno}"
            )
        key, value = _canonical_pair(key, value)
        if key not in KEYWORDS:
            raise ProgrammingError(
                f'unknown keyword "{key}" in service file "{path}", line {lineno}'
            )
        entries.setdefault(key, value)
    return entries


# --------------------------------------------------------------------------------------
# Password file
# --------------------------------------------------------------------------------------


def lookup_pgpass(
    host: str, port: int, dbname: str, user: str, passfile: str | None = None
) -> str | None:
    """The password of the first matching ``hostname:port:database:username:password`` line.

    The file is ``passfile``, else ``$PGPASSFILE``, else ``~/.pgpass``. An empty host and
    the default socket directories match ``localhost``, as in libpq. A file that is not
    a regular file, or that group/others can access, is ignored with a warning.
    """
    if not dbname or not user:
        return None
    path = (
        passfile or os.environ.get("PGPASSFILE") or os.path.join(os.path.expanduser("~"), ".pgpass")
    )
    if not host or host in DEFAULT_SOCKET_DIRS:
        host = "localhost"
    wanted = (host, str(port), dbname, user)

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    mode = os.fstat(fd).st_mode
    problem = None
    if not stat.S_ISREG(mode):
        problem = "is not a plain file"
    elif os.name == "posix" and mode & 0o077:
        problem = "has group or world access; permissions should be u=rw (0600) or less"
    if problem is not None:
        os.close(fd)
        warnings.warn(f'password file "{path}" {problem}', stacklevel=2)
        return None
    with os.fdopen(fd, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if not line or line.startswith("#"):
                continue
            password = _match_pgpass_line(line, wanted)
            if password is not None:
                return password
    return None


def _match_pgpass_line(line: str, wanted: tuple[str, ...]) -> str | None:
    """The (unescaped) password if the four leading fields match ``wanted``."""
    pos = 0
    for token in wanted:
        if line.startswith("*:", pos):
            pos += 2
            continue
        field_text, next_pos = _read_pgpass_field(line, pos)
        if next_pos is None or field_text != token:
            return None
        pos = next_pos
    password, _ = _read_pgpass_field(line, pos)
    return password


def _read_pgpass_field(line: str, pos: int) -> tuple[str, int | None]:
    """One ``:``-terminated field from ``pos`` with ``\\`` escapes undone; (text, next pos).

    The next position is None when the line ended before a terminating colon.
    """
    out: list[str] = []
    while pos < len(line):
        ch = line[pos]
        if ch == "\\" and pos + 1 < len(line):
            out.append(line[pos + 1])
            pos += 2
        elif ch == ":":
            return "".join(out), pos + 1
        else:
            out.append(ch)
            pos += 1
    return "".join(out), None
