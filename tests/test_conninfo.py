"""conninfo: DSN/URI parsing, libpq's merge order, validation, hosts, .pgpass, services."""

from __future__ import annotations

import os
import urllib.parse
import warnings
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgdbapi import conninfo
from pgdbapi.conninfo import (
    DEFAULT_SOCKET_DIRS,
    KEYWORDS,
    HostSpec,
    format_dsn,
    lookup_pgpass,
    parse_dsn,
    resolve,
)
from pgdbapi.exceptions import ProgrammingError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No PG* variable of the developer's shell, a fake HOME, a fixed OS user."""
    for name in list(os.environ):
        if name.startswith("PG"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PGSYSCONFDIR", str(tmp_path / "no-sysconf"))
    monkeypatch.setattr(conninfo, "_os_user", lambda: "osuser")


# ----------------------------------------------------------------------------------------
# key=value strings
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dsn, expected",
    [
        ("", {}),
        ("   \t\n ", {}),
        ("host=db port=5433", {"host": "db", "port": "5433"}),
        ("  host = db\tport=\n5433  ", {"host": "db", "port": "5433"}),
        ("password='a b c'", {"password": "a b c"}),
        (r"password='it\'s \\ here'", {"password": "it's \\ here"}),
        (r"password=a\ b\'c\\d", {"password": "a b'c\\d"}),
        ("password=''", {"password": ""}),
        ("password= user=bob", {"password": "user=bob"}),
        ("host='a'port=5", {"host": "a", "port": "5"}),
        ("host=a host=b", {"host": "b"}),
        ("options='-c search_path=x'", {"options": "-c search_path=x"}),
        ("dbname=caf\u00e9", {"dbname": "caf\u00e9"}),
        ("requiressl=1", {"sslmode": "require"}),
        ("requiressl=0", {"sslmode": "prefer"}),
        ("password=a=b", {"password": "a=b"}),
    ],
)
def test_keyword_value(dsn: str, expected: dict[str, str]) -> None:
    assert parse_dsn(dsn) == expected


_KEYWORD_VALUE_ERRORS = [
    ("host", 'missing "=" after "host"'),
    ("host=a port", 'missing "=" after "port"'),
    ("mydatabase", 'missing "=" after "mydatabase"'),
    ("host = 'abc", "unterminated quoted string"),
    ("foo=1", 'invalid connection option "foo"'),
    ("host=a =b", 'invalid connection option ""'),
]


_values = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"))


@given(st.dictionaries(st.sampled_from(sorted(KEYWORDS)), _values, max_size=6))
def test_format_dsn_round_trips(params: dict[str, str]) -> None:
    assert parse_dsn(format_dsn(params)) == params


def test_format_dsn_quotes_only_when_needed() -> None:
    assert format_dsn({"host": "h", "password": "", "options": "a b", "user": "o'k\\"}) == (
        "host=h password='' options='a b' user=o\\'k\\\\"
    )


# ----------------------------------------------------------------------------------------
# URIs
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "uri, expected",
    [
        ("postgresql://", {}),
        ("postgres://", {}),
        ("postgresql://localhost", {"host": "localhost"}),
        ("postgresql://localhost:5433", {"host": "localhost", "port": "5433"}),
        ("postgresql://localhost/mydb", {"host": "localhost", "dbname": "mydb"}),
        ("postgresql://user@localhost", {"user": "user", "host": "localhost"}),
        (
            "postgresql://user:secret@localhost",
            {"user": "user", "password": "secret", "host": "localhost"},
        ),
        ("postgresql://user:@h", {"user": "user", "host": "h"}),
        ("postgresql://:pw@h", {"password": "pw", "host": "h"}),
        (
            "postgresql://us%40er:p%3Aw%2Fd%40x@h/db",
            {"user": "us@er", "password": "p:w/d@x", "host": "h", "dbname": "db"},
        ),
        (
            "postgresql://other@localhost/otherdb?connect_timeout=10&application_name=myapp",
            {
                "user": "other",
                "host": "localhost",
                "dbname": "otherdb",
                "connect_timeout": "10",
                "application_name": "myapp",
            },
        ),
        ("postgresql://[::1]", {"host": "::1"}),
        ("postgresql://[::1]:5433/db", {"host": "::1", "port": "5433", "dbname": "db"}),
        (
            "postgresql://[2001:db8::1234]/database",
            {"host": "2001:db8::1234", "dbname": "database"},
        ),
        (
            "postgresql://h1:5432,h2:5433/db",
            {"host": "h1,h2", "port": "5432,5433", "dbname": "db"},
        ),
        ("postgresql://h1,h2:5433", {"host": "h1,h2", "port": ",5433"}),
        ("postgresql://[::1]:1,127.0.0.1:2", {"host": "::1,127.0.0.1", "port": "1,2"}),
        (
            "postgresql://%2Fvar%2Frun%2Fpostgresql/db",
            {"host": "/var/run/postgresql", "dbname": "db"},
        ),
        ("postgresql:///db?host=/tmp", {"dbname": "db", "host": "/tmp"}),
        (
            "postgresql:///db?host=%2Ftmp&port=5433",
            {"dbname": "db", "host": "/tmp", "port": "5433"},
        ),
        ("postgresql://h1/db?host=h2", {"host": "h2", "dbname": "db"}),
        ("postgresql://h/?sslmode=disable", {"host": "h", "sslmode": "disable"}),
        ("postgresql://h?sslmode=disable", {"host": "h", "sslmode": "disable"}),
        ("postgresql://h/db?ssl=true", {"host": "h", "dbname": "db", "sslmode": "require"}),
        ("postgresql://h/db?", {"host": "h", "dbname": "db"}),
        ("postgresql://h/db?port=1&", {"host": "h", "dbname": "db", "port": "1"}),
        ("postgresql://h/my%20db", {"host": "h", "dbname": "my db"}),
        ("postgresql://h/caf%C3%A9", {"host": "h", "dbname": "caf\u00e9"}),
        (
            "postgresql://h/db?options=-c%20x%3Dy",
            {"host": "h", "dbname": "db", "options": "-c x=y"},
        ),
        (
            "postgresql://h/db?application_name=%20app%20",
            {"host": "h", "dbname": "db", "application_name": " app "},
        ),
        (
            "postgresql://h/db?application_name= app ",
            {"host": "h", "dbname": "db", "application_name": "app"},
        ),
        ("postgresql://h/db?user=a@b", {"host": "h", "dbname": "db", "user": "a@b"}),
    ],
)
def test_uri(uri: str, expected: dict[str, str]) -> None:
    assert parse_dsn(uri) == expected


_URI_ERRORS = [
    ("postgresql://[::1", 'matching "]"'),
    ("postgresql://[]/db", "IPv6 host address may not be empty"),
    ("postgresql://[::1]x/db", 'unexpected character "x"'),
    ("postgresql://h/db%zz", "invalid percent-encoded token"),
    ("postgresql://h/db%4", "invalid percent-encoded token"),
    ("postgresql://h/db%00x", "forbidden value %00"),
    ("postgresql://h/db?sslmode", 'missing key/value separator "="'),
    ("postgresql://h/db?a=b=c", 'extra key/value separator "="'),
    ("postgresql://h/db?foo=bar", 'invalid URI query parameter: "foo"'),
    ("postgresql://h/my db", "unexpected spaces"),
    ("postgresql://h/%FF", "not valid UTF-8"),
]


@pytest.mark.parametrize("dsn, message", _KEYWORD_VALUE_ERRORS + _URI_ERRORS)
def test_invalid_dsn(dsn: str, message: str) -> None:
    with pytest.raises(ProgrammingError) as info:
        parse_dsn(dsn)
    assert str(info.value).startswith("invalid dsn: ")
    assert message in str(info.value)


_uri_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), min_size=1
).filter(lambda s: s.strip(" ") == s)


@given(
    user=_uri_text, password=_uri_text, host=_uri_text.filter(lambda s: "," not in s), db=_uri_text
)
def test_uri_percent_decoding_round_trips(user: str, password: str, host: str, db: str) -> None:
    def q(text: str) -> str:
        return urllib.parse.quote(text, safe="")

    uri = f"postgresql://{q(user)}:{q(password)}@{q(host)}:6543/{q(db)}"
    assert parse_dsn(uri) == {
        "user": user,
        "password": password,
        "host": host,
        "port": "6543",
        "dbname": db,
    }


# ----------------------------------------------------------------------------------------
# resolve(): merge order
# ----------------------------------------------------------------------------------------


def test_defaults() -> None:
    info = resolve()
    assert info.user == "osuser"
    assert info.dbname == "osuser"
    assert info.params["port"] == "5432"
    assert info.sslmode == "prefer"
    assert info.password is None
    assert info.connect_timeout is None
    assert info.application_name is None
    assert info.replication is None
    assert info.hosts == [HostSpec(d, None, 5432, default_socket=True) for d in DEFAULT_SOCKET_DIRS]
    assert DEFAULT_SOCKET_DIRS == ("/var/run/postgresql", "/tmp")
    assert all(h.is_unix for h in info.hosts)
    assert info.given == {}


def test_libpq_compiled_defaults_are_filled_in() -> None:
    params = resolve().params
    assert params["gssencmode"] == "prefer"
    assert params["channel_binding"] == "prefer"
    assert params["sslnegotiation"] == "postgres"
    assert params["target_session_attrs"] == "any"
    assert params["krbsrvname"] == "postgres"
    assert params["ssl_min_protocol_version"] == "TLSv1.2"
    assert "host" not in params and "password" not in params


def test_kwargs_override_dsn() -> None:
    info = resolve("host=a port=1 dbname=x user=u", port=5433, dbname="y")
    assert info.params["host"] == "a"
    assert info.params["port"] == "5433"
    assert info.dbname == "y"
    assert info.hosts == [HostSpec("a", None, 5433)]


def test_kwargs_none_is_ignored() -> None:
    info = resolve("host=a password=s", password=None, host=None, user=None)
    assert info.params["host"] == "a"
    assert info.password == "s"
    assert info.user == "osuser"


def test_kwargs_only() -> None:
    info = resolve(host="h", port=6000, user="u", password="p", database="d")
    assert (info.user, info.password, info.dbname) == ("u", "p", "d")
    assert info.hosts == [HostSpec("h", None, 6000)]


def test_database_alias_with_uri() -> None:
    assert resolve("postgresql://h/a", database="b").dbname == "b"


def test_database_and_dbname_together() -> None:
    with pytest.raises(TypeError):
        resolve(database="a", dbname="b")
    assert resolve(database=None, dbname="b").dbname == "b"


def test_unknown_keyword_argument() -> None:
    with pytest.raises(ProgrammingError, match='invalid connection option "sslmod"'):
        resolve(sslmod="require")


def test_unknown_option_in_dsn() -> None:
    with pytest.raises(ProgrammingError, match='invalid connection option "bogus"'):
        resolve("host=a bogus=1")


def test_non_string_values_are_converted() -> None:
    info = resolve(port=5433, connect_timeout=7, keepalives=0)
    assert info.params["port"] == "5433"
    assert info.connect_timeout == 7.0
    assert info.params["keepalives"] == "0"


def test_environment_fills_what_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGHOST", "envhost")
    monkeypatch.setenv("PGPORT", "7777")
    monkeypatch.setenv("PGUSER", "envuser")
    monkeypatch.setenv("PGDATABASE", "envdb")
    monkeypatch.setenv("PGPASSWORD", "envpw")
    monkeypatch.setenv("PGAPPNAME", "envapp")
    monkeypatch.setenv("PGSSLMODE", "require")
    monkeypatch.setenv("PGCONNECT_TIMEOUT", "9")
    info = resolve("dbname=dsndb", user="kwuser")
    assert info.dbname == "dsndb"
    assert info.user == "kwuser"
    assert info.hosts == [HostSpec("envhost", None, 7777)]
    assert info.password == "envpw"
    assert info.application_name == "envapp"
    assert info.sslmode == "require"
    assert info.connect_timeout == 9.0
    assert info.given == {"dbname": "dsndb", "user": "kwuser"}


def test_explicit_empty_value_is_not_replaced_by_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PGHOST", "envhost")
    info = resolve("host=''")
    assert all(h.default_socket for h in info.hosts)


def test_empty_environment_host_means_default_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGHOST", "")
    assert [h.host for h in resolve().hosts] == list(DEFAULT_SOCKET_DIRS)


# A valid sample value for every keyword that has an environment variable.
_ENV_SAMPLES = {
    "service": None,  # needs a service file: tested on its own below
    "servicefile": "/nonexistent/pg_service.conf",
    "channel_binding": "require",
    "connect_timeout": "11",
    "port": "6543",
    "sslmode": "verify-ca",
    "sslnegotiation": "direct",
    "sslcompression": "1",
    "sslcertmode": "require",
    "sslsni": "0",
    "ssl_min_protocol_version": "TLSv1.3",
    "ssl_max_protocol_version": "TLSv1.3",
    "min_protocol_version": "3.0",
    "max_protocol_version": "3.2",
    "gssencmode": "disable",
    "gsslib": "gssapi",
    "gssdelegation": "1",
    "target_session_attrs": "read-write",
    "load_balance_hosts": "random",
    "require_auth": "scram-sha-256",
    "hostaddr": "192.0.2.1",
}


@pytest.mark.parametrize(
    "keyword, envvar",
    [(k, env) for k, (env, _default) in KEYWORDS.items() if env and k != "service"],
)
def test_every_environment_variable(
    monkeypatch: pytest.MonkeyPatch, keyword: str, envvar: str
) -> None:
    value = _ENV_SAMPLES.get(keyword) or f"from-{envvar.lower()}"
    monkeypatch.setenv(envvar, value)
    if keyword == "sslnegotiation":
        monkeypatch.setenv("PGSSLMODE", "require")
    assert resolve().params[keyword] == value


def test_environment_variable_names_match_libpq() -> None:
    env = {k: e for k, (e, _d) in KEYWORDS.items() if e}
    assert env["host"] == "PGHOST"
    assert env["hostaddr"] == "PGHOSTADDR"
    assert env["dbname"] == "PGDATABASE"
    assert env["application_name"] == "PGAPPNAME"
    assert env["connect_timeout"] == "PGCONNECT_TIMEOUT"
    assert env["ssl_min_protocol_version"] == "PGSSLMINPROTOCOLVERSION"
    assert env["target_session_attrs"] == "PGTARGETSESSIONATTRS"
    assert env["load_balance_hosts"] == "PGLOADBALANCEHOSTS"
    assert env["client_encoding"] == "PGCLIENTENCODING"
    for keyword in ("fallback_application_name", "keepalives", "sslpassword", "replication"):
        assert KEYWORDS[keyword][0] is None


def test_pgrequiressl(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGREQUIRESSL", "1")
    assert resolve().sslmode == "require"
    monkeypatch.setenv("PGSSLMODE", "disable")
    assert resolve().sslmode == "disable"


def test_environment_gucs(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve().env_gucs == {}
    monkeypatch.setenv("PGTZ", "Europe/Paris")
    monkeypatch.setenv("PGGEQO", "default")
    monkeypatch.setenv("PGDATESTYLE", "German")
    assert resolve().env_gucs == {"timezone": "Europe/Paris"}


# ----------------------------------------------------------------------------------------
# Typed accessors
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, seconds",
    [("0", None), ("-5", None), ("1", 2.0), ("2", 2.0), ("10", 10.0), (" 7 ", 7.0), ("+3", 3.0)],
)
def test_connect_timeout(value: str, seconds: float | None) -> None:
    assert resolve(connect_timeout=value).connect_timeout == seconds


@pytest.mark.parametrize("value", ["5s", "1.5", "", "1_0", "\u0661"])
def test_connect_timeout_must_be_an_integer(value: str) -> None:
    if value == "":
        assert resolve(connect_timeout=value).connect_timeout is None
        return
    with pytest.raises(ProgrammingError, match='invalid integer value .* "connect_timeout"'):
        resolve(connect_timeout=value)


def test_application_name_falls_back() -> None:
    assert resolve(fallback_application_name="fb").application_name == "fb"
    assert resolve(fallback_application_name="fb", application_name="app").application_name == "app"


def test_user_and_dbname_defaults_follow_user() -> None:
    info = resolve(user="alice")
    assert (info.user, info.dbname) == ("alice", "alice")
    assert resolve(user="").user == "osuser"


def test_options() -> None:
    assert resolve().options is None
    assert resolve(options="-c geqo=off").options == "-c geqo=off"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("database", "database"),
        ("true", "true"),
        ("on", "true"),
        ("yes", "true"),
        ("1", "true"),
        ("t", "true"),
        ("false", None),
        ("off", None),
        ("0", None),
    ],
)
def test_replication(value: str, expected: str | None) -> None:
    assert resolve(replication=value).replication == expected


def test_replication_invalid() -> None:
    with pytest.raises(ProgrammingError, match='invalid replication value: "logical"'):
        resolve(replication="logical")
    with pytest.raises(ProgrammingError, match="invalid replication"):
        resolve(replication="o")


def test_protocol_versions() -> None:
    assert resolve().protocol_versions == (0x30000, 0x30000)
    assert resolve(max_protocol_version="latest").protocol_versions == (0x30000, 0x30002)
    assert resolve(min_protocol_version="3.2").protocol_versions == (0x30002, 0x30002)
    with pytest.raises(ProgrammingError, match='invalid min_protocol_version value: "3.1"'):
        resolve(min_protocol_version="3.1")
    with pytest.raises(ProgrammingError, match="is greater than"):
        resolve(min_protocol_version="3.2", max_protocol_version="3.0")


def test_safe_dsn_hides_the_password() -> None:
    info = resolve("host=h password=secret", user="u s", sslpassword="k")
    assert info.safe_dsn() == "host=h password=xxx user='u s' sslpassword=xxx"
    assert "secret" not in repr(info)
    assert "secret" not in info.safe_dsn()


def test_safe_dsn_keeps_dsn_order_when_keywords_override() -> None:
    assert resolve("host=h port=1 dbname=d", port=2).safe_dsn() == "host=h port=2 dbname=d"


def test_dsn_parameters_leave_secrets_out() -> None:
    params = resolve(host="h", password="p", sslpassword="q").dsn_parameters()
    assert params["host"] == "h"
    assert "password" not in params and "sslpassword" not in params


# ----------------------------------------------------------------------------------------
# Validation of enumerated values
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "keyword, bad, good",
    [
        (
            "sslmode",
            "required",
            ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"],
        ),
        ("gssencmode", "yes", ["disable", "prefer", "require"]),
        ("channel_binding", "on", ["disable", "prefer", "require"]),
        ("sslcertmode", "maybe", ["disable", "allow", "require"]),
        (
            "target_session_attrs",
            "master",
            ["any", "read-write", "read-only", "primary", "standby", "prefer-standby"],
        ),
        ("load_balance_hosts", "roundrobin", ["disable", "random"]),
        ("sslnegotiation", "tls", ["postgres"]),
    ],
)
def test_enumerated_values(keyword: str, bad: str, good: list[str]) -> None:
    for value in good:
        assert resolve(**{keyword: value}).params[keyword] == value
    with pytest.raises(ProgrammingError, match=f'invalid {keyword} value: "{bad}"'):
        resolve(**{keyword: bad})


def test_enumerated_value_from_environment_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGSSLMODE", "Require")
    with pytest.raises(ProgrammingError, match="invalid sslmode value"):
        resolve()


def test_direct_tls_needs_a_strong_sslmode() -> None:
    assert resolve(sslnegotiation="direct", sslmode="require").params["sslnegotiation"] == "direct"
    with pytest.raises(ProgrammingError, match='weak sslmode "prefer"'):
        resolve(sslnegotiation="direct")


def test_sslrootcert_system() -> None:
    assert resolve(sslrootcert="system").sslmode == "verify-full"
    with pytest.raises(
        ProgrammingError, match='weak sslmode "require" may not be used with sslrootcert'
    ):
        resolve(sslrootcert="system", sslmode="require")


def test_tls_protocol_versions() -> None:
    assert (
        resolve(ssl_min_protocol_version="tlsv1.3").params["ssl_min_protocol_version"] == "tlsv1.3"
    )
    with pytest.raises(ProgrammingError, match='invalid "ssl_max_protocol_version" value'):
        resolve(ssl_max_protocol_version="SSLv3")
    with pytest.raises(ProgrammingError, match="invalid SSL protocol version range"):
        resolve(ssl_min_protocol_version="TLSv1.3", ssl_max_protocol_version="TLSv1.2")


@pytest.mark.parametrize(
    "value", ["md5", "scram-sha-256,password", "!md5,!password", "none", "!none"]
)
def test_require_auth_accepted(value: str) -> None:
    assert resolve(require_auth=value).params["require_auth"] == value


@pytest.mark.parametrize(
    "value, message",
    [
        ("kerberos", 'invalid require_auth value: "kerberos"'),
        ("md5,!password", 'negative require_auth method "password" cannot be mixed'),
        ("!md5,password", 'require_auth method "password" cannot be mixed with negative'),
        ("md5,md5", 'require_auth method "md5" is specified more than once'),
    ],
)
def test_require_auth_rejected(value: str, message: str) -> None:
    with pytest.raises(ProgrammingError, match=message):
        resolve(require_auth=value)


@pytest.mark.parametrize("keyword", ["keepalives", "keepalives_idle", "tcp_user_timeout"])
def test_integer_parameters(keyword: str) -> None:
    resolve(**{keyword: "30"})
    with pytest.raises(ProgrammingError, match=f'"{keyword}"'):
        resolve(**{keyword: "thirty"})


# ----------------------------------------------------------------------------------------
# Hosts
# ----------------------------------------------------------------------------------------


def test_single_tcp_host() -> None:
    (host,) = resolve(host="db.example.com", port=6432).hosts
    assert host == HostSpec("db.example.com", None, 6432)
    assert not host.is_unix and not host.default_socket
    with pytest.raises(ValueError):
        _ = host.socket_path


def test_unix_socket_dir() -> None:
    (host,) = resolve(host="/run/pg", port=5433).hosts
    assert host.is_unix
    assert host.socket_path == "/run/pg/.s.PGSQL.5433"


def test_abstract_socket() -> None:
    (host,) = resolve(host="@pgsock").hosts
    assert host.is_unix
    assert host.socket_path == "@pgsock/.s.PGSQL.5432"


def test_one_port_applies_to_every_host() -> None:
    hosts = resolve(host="a,b,/tmp", port="6000").hosts
    assert [(h.host, h.port) for h in hosts] == [("a", 6000), ("b", 6000), ("/tmp", 6000)]
    assert hosts[2].is_unix


def test_ports_pair_with_hosts() -> None:
    hosts = resolve("postgresql://a:1,b,c:3").hosts
    assert [(h.host, h.port) for h in hosts] == [("a", 1), ("b", 5432), ("c", 3)]


def test_port_count_mismatch() -> None:
    with pytest.raises(ProgrammingError, match="could not match 2 port numbers to 3 hosts"):
        resolve(host="a,b,c", port="1,2")


@pytest.mark.parametrize("port", ["0", "65536", "http", "-1"])
def test_invalid_port(port: str) -> None:
    with pytest.raises(ProgrammingError, match="port"):
        resolve(host="a", port=port)


def test_hostaddr_skips_dns_but_keeps_the_name() -> None:
    hosts = resolve(host="db.example.com,other", hostaddr="192.0.2.7,2001:db8::2").hosts
    assert hosts == [
        HostSpec("db.example.com", "192.0.2.7", 5432),
        HostSpec("other", "2001:db8::2", 5432),
    ]
    assert not any(h.is_unix for h in hosts)


def test_hostaddr_alone() -> None:
    assert resolve(hostaddr="127.0.0.1", port=1).hosts == [HostSpec(None, "127.0.0.1", 1)]


def test_hostaddr_overrides_a_socket_host() -> None:
    (host,) = resolve(host="/tmp", hostaddr="127.0.0.1").hosts
    assert not host.is_unix


def test_hostaddr_must_be_numeric() -> None:
    with pytest.raises(ProgrammingError, match='could not parse network address "localhost"'):
        resolve(hostaddr="localhost")


def test_host_and_hostaddr_counts_must_match() -> None:
    with pytest.raises(ProgrammingError, match="could not match 2 host names to 1 hostaddr"):
        resolve(host="a,b", hostaddr="127.0.0.1")


def test_empty_slot_in_host_list_uses_default_sockets() -> None:
    hosts = resolve(host="a,", port="1,2").hosts
    assert hosts[0] == HostSpec("a", None, 1)
    assert hosts[1:] == [HostSpec(d, None, 2, default_socket=True) for d in DEFAULT_SOCKET_DIRS]


# ----------------------------------------------------------------------------------------
# .pgpass
# ----------------------------------------------------------------------------------------


def _passfile(tmp_path: Path, text: str, mode: int = 0o600) -> str:
    path = tmp_path / "pgpass"
    path.write_text(text)
    path.chmod(mode)
    return str(path)


def test_pgpass_exact_and_wildcards(tmp_path: Path) -> None:
    path = _passfile(
        tmp_path,
        "db1:5432:app:alice:pw1\n*:5432:app:bob:pw2\ndb2:*:*:*:pw3\n*:*:*:*:fallback\n",
    )
    assert lookup_pgpass("db1", 5432, "app", "alice", path) == "pw1"
    assert lookup_pgpass("elsewhere", 5432, "app", "bob", path) == "pw2"
    assert lookup_pgpass("db2", 1234, "x", "y", path) == "pw3"
    assert lookup_pgpass("db1", 5433, "app", "alice", path) == "fallback"


@pytest.mark.parametrize(
    "text, host, dbname, user, expected",
    [
        pytest.param("h:5432:d:u:first\nh:5432:d:u:second\n", "h", "d", "u", "first", id="first"),
        pytest.param("h:5432:d:u:pw\n", "h", "d", "other", None, id="no-match"),
        pytest.param("*:*:*:*:pw\n", "h", "", "u", None, id="no-dbname"),
        pytest.param(
            "h\\:x:5432:d\\\\b:u:p\\:a\\\\ss:x\n", "h:x", "d\\b", "u", "p:a\\ss", id="escapes"
        ),
        pytest.param("h:5432:d:u:trailing\\\n", "h", "d", "u", "trailing\\", id="last-backslash"),
        pytest.param("db*:5432:d:u:pw\n", "db1", "d", "u", None, id="star-only-alone"),
        pytest.param("\\*:5432:d:u:star\n", "*", "d", "u", "star", id="escaped-star"),
        pytest.param(
            "# h:5432:d:u:no\r\n\r\n\nh:5432:d:u:pw\r\n", "h", "d", "u", "pw", id="comments-crlf"
        ),
        pytest.param("h:5432:d:u\nh:5432:d:u:\n", "h", "d", "u", "", id="empty-password"),
    ],
)
def test_pgpass_lines(
    tmp_path: Path, text: str, host: str, dbname: str, user: str, expected: str | None
) -> None:
    assert lookup_pgpass(host, 5432, dbname, user, _passfile(tmp_path, text)) == expected


@pytest.mark.parametrize("host", ["", *DEFAULT_SOCKET_DIRS])
def test_pgpass_localhost_for_default_sockets(tmp_path: Path, host: str) -> None:
    path = _passfile(tmp_path, "localhost:5432:d:u:local\n")
    assert lookup_pgpass(host, 5432, "d", "u", path) == "local"


def test_pgpass_other_socket_dir_matches_literally(tmp_path: Path) -> None:
    path = _passfile(tmp_path, "localhost:5432:d:u:local\n/srv/pg:5432:d:u:srv\n")
    assert lookup_pgpass("/srv/pg", 5432, "d", "u", path) == "srv"
    assert lookup_pgpass("/other", 5432, "d", "u", path) is None


def test_pgpass_group_readable_is_ignored_with_warning(tmp_path: Path) -> None:
    path = _passfile(tmp_path, "*:*:*:*:pw\n", mode=0o644)
    with pytest.warns(UserWarning, match="has group or world access; permissions should be u=rw"):
        assert lookup_pgpass("h", 5432, "d", "u", path) is None


def test_pgpass_directory_is_ignored_with_warning(tmp_path: Path) -> None:
    directory = tmp_path / "dir"
    directory.mkdir(mode=0o700)
    with pytest.warns(UserWarning, match="is not a plain file"):
        assert lookup_pgpass("h", 5432, "d", "u", str(directory)) is None


def test_pgpass_missing_file(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert lookup_pgpass("h", 5432, "d", "u", str(tmp_path / "nope")) is None


def test_pgpass_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home_file = Path(os.environ["HOME"]) / ".pgpass"
    home_file.write_text("*:*:*:*:home\n")
    home_file.chmod(0o600)
    assert lookup_pgpass("h", 1, "d", "u") == "home"
    env_file = _passfile(tmp_path, "*:*:*:*:env\n")
    monkeypatch.setenv("PGPASSFILE", env_file)
    assert lookup_pgpass("h", 1, "d", "u") == "env"
    param_file = tmp_path / "param"
    param_file.write_text("*:*:*:*:param\n")
    param_file.chmod(0o600)
    assert lookup_pgpass("h", 1, "d", "u", str(param_file)) == "param"


def test_password_for_host(tmp_path: Path) -> None:
    path = _passfile(
        tmp_path,
        "a:5432:d:u:for-a\n192.0.2.9:5432:d:u:for-addr\nlocalhost:5432:d:u:for-socket\n",
    )
    info = resolve(host="a,/tmp", passfile=path, dbname="d", user="u")
    assert [info.password_for(h) for h in info.hosts] == ["for-a", "for-socket"]
    assert (
        resolve(hostaddr="192.0.2.9", passfile=path, dbname="d", user="u").password_for(
            HostSpec(None, "192.0.2.9", 5432)
        )
        == "for-addr"
    )
    explicit = resolve(host="a", passfile=path, dbname="d", user="u", password="given")
    assert explicit.password_for(explicit.hosts[0]) == "given"


def test_password_for_uses_passfile_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGPASSFILE", _passfile(tmp_path, "h:5432:osuser:osuser:envpw\n"))
    info = resolve(host="h")
    assert info.password_for(info.hosts[0]) == "envpw"


# ----------------------------------------------------------------------------------------
# Service files
# ----------------------------------------------------------------------------------------


_SERVICES = """\
# comment
[other]
host=wrong

[mydb]
host=svc-host
port = ignored-because-spaces-are-kept
dbname=svc-db
user=svc-user
[after]
host=also-wrong
"""


def _service_file(tmp_path: Path, text: str = _SERVICES) -> str:
    path = tmp_path / "services.conf"
    path.write_text(text)
    return str(path)


def test_service_fills_unset_parameters(tmp_path: Path) -> None:
    text = _SERVICES.replace("port = ignored-because-spaces-are-kept\n", "")
    info = resolve(service="mydb", servicefile=_service_file(tmp_path, text), user="me")
    assert info.params["host"] == "svc-host"
    assert info.dbname == "svc-db"
    assert info.user == "me"


def test_service_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = _SERVICES.replace("port = ignored-because-spaces-are-kept\n", "")
    monkeypatch.setenv("PGSERVICE", "mydb")
    monkeypatch.setenv("PGSERVICEFILE", _service_file(tmp_path, text))
    monkeypatch.setenv("PGHOST", "env-host")
    monkeypatch.setenv("PGDATABASE", "env-db")
    info = resolve("dbname=dsn-db")
    assert info.params["host"] == "svc-host"  # the service beats the environment
    assert info.dbname == "dsn-db"  # an explicit value beats the service


def test_service_from_system_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sysconf = tmp_path / "sysconf"
    sysconf.mkdir()
    (sysconf / "pg_service.conf").write_text("[sys]\nhost=sys-host\n")
    monkeypatch.setenv("PGSYSCONFDIR", str(sysconf))
    assert resolve(service="sys").params["host"] == "sys-host"


def test_service_errors(tmp_path: Path) -> None:
    path = _service_file(tmp_path)
    with pytest.raises(ProgrammingError, match='definition of service "nope" not found'):
        resolve(service="nope", servicefile=path)
    with pytest.raises(ProgrammingError, match='unknown keyword "port "'):
        resolve(service="mydb", servicefile=path)
    bad = _service_file(tmp_path, "[s]\nnonsense\n")
    with pytest.raises(ProgrammingError, match="syntax error in service file"):
        resolve(service="s", servicefile=bad)
    with pytest.raises(ProgrammingError, match='service file ".*missing" not found'):
        resolve(service="s", servicefile=str(tmp_path / "missing"))
