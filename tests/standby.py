"""A streaming standby of a running test server, for multi-host tests.

``pg_basebackup -R`` copies the primary (through its Unix socket, as the superuser) and
writes ``primary_conninfo`` and ``standby.signal``; the copy then starts as a hot standby on
a port of its own, listening on 127.0.0.1 and on a socket in its own directory. Run as
root, the server binaries run as the OS user postgres, as ``pgserver`` does.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import subprocess
import tempfile

from pgserver import SUPERUSER, TEST_DBNAME, PgServer, make_conninfo, pick_free_port

_DIR_PREFIX = "pgdbapi-standby-"
_CMD_TIMEOUT = 120
_OWNER_FILE = "owner.pid"


class Standby:
    """A hot standby of ``primary`` (a managed, running :class:`PgServer`).

    Use as a context manager, or call :meth:`start` and :meth:`stop` (also run at exit).
    """

    def __init__(self, primary: PgServer) -> None:
        if not primary.managed or primary.socket_dir is None:
            raise RuntimeError("a standby needs a managed primary (its socket and superuser)")
        self.primary = primary
        self.bindir = primary.bindir
        self.host = "127.0.0.1"
        self.port = 0
        self.tmpdir: str | None = None
        self._as_postgres_user = os.geteuid() == 0

    def __enter__(self) -> Standby:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def data_dir(self) -> str:
        assert self.tmpdir is not None, "standby not started"
        return os.path.join(self.tmpdir, "data")

    @property
    def socket_dir(self) -> str:
        assert self.tmpdir is not None, "standby not started"
        return os.path.join(self.tmpdir, "socket")

    def dsn(self, **extra: object) -> str:
        """The superuser over TCP to the test database on the standby."""
        params: dict[str, object] = {
            "host": self.host,
            "port": self.port,
            "user": SUPERUSER,
            "dbname": TEST_DBNAME,
        }
        params.update(extra)
        return make_conninfo(params)

    def start(self) -> None:
        """Base backup of the primary, then start it as a hot standby (pg_ctl waits until it
        accepts connections)."""
        _reap_orphans(self.bindir)
        self.tmpdir = tempfile.mkdtemp(prefix=_DIR_PREFIX)
        atexit.register(self.stop)
        try:
            with open(os.path.join(self.tmpdir, _OWNER_FILE), "w") as f:
                f.write(f"{os.getpid()}\n")
            os.mkdir(self.socket_dir)
            for path in (self.tmpdir, self.socket_dir):
                os.chmod(path, 0o755)
                if self._as_postgres_user:
                    entry = pwd.getpwnam(SUPERUSER)
                    os.chown(path, entry.pw_uid, entry.pw_gid)
            self._run(
                "pg_basebackup",
                "-h", str(self.primary.socket_dir),
                "-p", str(self.primary.port),
                "-U", SUPERUSER,
                "-D", self.data_dir,
                "-R", "-X", "stream", "-c", "fast", "--no-sync", "-w",
            )  # fmt: skip
            self.port = pick_free_port()
            options = (
                f"-p {self.port} -k {self.socket_dir} -c listen_addresses={self.host} "
                "-c hot_standby=on"
            )
            log = os.path.join(self.tmpdir, "postgresql.log")
            self._run("pg_ctl", "-D", self.data_dir, "-l", log, "-w", "-t", "60", "-o", options,
                      "start")  # fmt: skip
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop at once (-m immediate) and remove the directory."""
        atexit.unregister(self.stop)
        if self.tmpdir is None:
            return
        _stop_and_remove(self.bindir, self.tmpdir)
        self.tmpdir = None

    def _run(self, program: str, *args: str) -> None:
        _run_server_program(self.bindir, program, *args)


def _stop_and_remove(bindir: str, tmpdir: str) -> None:
    data_dir = os.path.join(tmpdir, "data")
    if os.path.exists(os.path.join(data_dir, "postmaster.pid")):
        try:
            _run_server_program(bindir, "pg_ctl", "-D", data_dir, "-m", "immediate", "-w", "stop")
        except (RuntimeError, subprocess.TimeoutExpired):
            pass
    shutil.rmtree(tmpdir, ignore_errors=True)


def _reap_orphans(bindir: str) -> None:
    """Stop standbys whose test process died without cleaning up."""
    for tmpdir in glob.glob(os.path.join(tempfile.gettempdir(), _DIR_PREFIX + "*")):
        try:
            with open(os.path.join(tmpdir, _OWNER_FILE)) as f:
                os.kill(int(f.read().strip()), 0)
            continue  # its owner still runs
        except ProcessLookupError:
            pass
        except (OSError, ValueError):
            continue
        _stop_and_remove(bindir, tmpdir)


def _run_server_program(bindir: str, program: str, *args: str) -> None:
    """Run a server binary, as the OS user postgres when we are root."""
    argv = [os.path.join(bindir, program), *args]
    if os.geteuid() == 0:
        argv = ["runuser", "-u", SUPERUSER, "--", *argv]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    result = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        env=env,
        cwd="/",
        stdin=subprocess.DEVNULL,
        timeout=_CMD_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{program} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )
