"""A throwaway MIT Kerberos KDC for the GSSAPI tests.

One realm in a temporary directory: a database made by ``kdb5_util``, a service principal
``postgres/localhost`` exported to a keytab, a user principal with a password, and a
krb5.conf pointing at the KDC on a free loopback port. :meth:`Kdc.client_env` is what a
client process needs (KRB5_CONFIG and a credential cache filled by ``kinit``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time

REALM = "PGDBAPI.TEST"
USER = "gssuser"
USER_PASSWORD = "gss-secret"
SERVICE = "postgres"
SERVICE_HOST = "localhost"

_TOOLS = ("kdb5_util", "kadmin.local", "krb5kdc", "kinit")
_SBIN_DIRS = ("/usr/sbin", "/usr/bin", "/sbin", "/usr/local/sbin")


def find_tool(name: str) -> str | None:
    """The path of a krb5 program (the KDC tools live in sbin, often off PATH)."""
    found = shutil.which(name)
    if found:
        return found
    for directory in _SBIN_DIRS:
        path = os.path.join(directory, name)
        if os.access(path, os.X_OK):
            return path
    return None


def missing_tools() -> list[str]:
    return [name for name in _TOOLS if find_tool(name) is None]


def _free_udp_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Kdc:
    """A running KDC; :meth:`stop` (or the context manager) ends it and removes its files."""

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="pgdbapi-kdc-")
        os.chmod(self.dir, 0o755)  # the keytab is copied out, but krb5.conf is read by all
        self.port = _free_udp_tcp_port()
        self.krb5_conf = os.path.join(self.dir, "krb5.conf")
        self.keytab = os.path.join(self.dir, "postgres.keytab")
        self.ccache = os.path.join(self.dir, "ccache")
        self._kdc_conf = os.path.join(self.dir, "kdc.conf")
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Kdc:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def user_principal(self) -> str:
        return f"{USER}@{REALM}"

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KRB5")}
        env.update(
            KRB5_CONFIG=self.krb5_conf, KRB5_KDC_PROFILE=self._kdc_conf, KRB5CCNAME=self.ccache
        )
        return env

    def client_env(self) -> dict[str, str]:
        """The variables a client needs to find the realm and the user's tickets."""
        return {"KRB5_CONFIG": self.krb5_conf, "KRB5CCNAME": f"FILE:{self.ccache}"}

    def _run(self, argv: list[str], stdin: str | None = None) -> None:
        result = subprocess.run(
            argv,
            input=stdin,
            capture_output=True,
            text=True,
            env=self._env(),
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {result.stdout}{result.stderr}")

    def _write_config(self) -> None:
        with open(self.krb5_conf, "w") as f:
            f.write(
                f"[libdefaults]\n default_realm = {REALM}\n dns_lookup_kdc = false\n"
                " dns_lookup_realm = false\n rdns = false\n dns_canonicalize_hostname = false\n"
                " udp_preference_limit = 1\n\n"
                f"[realms]\n {REALM} = {{\n  kdc = 127.0.0.1:{self.port}\n }}\n\n"
                f"[domain_realm]\n localhost = {REALM}\n"
            )
        with open(self._kdc_conf, "w") as f:
            f.write(
                f"[kdcdefaults]\n kdc_ports = {self.port}\n kdc_tcp_ports = {self.port}\n\n"
                f"[realms]\n {REALM} = {{\n"
                f"  database_name = {self.dir}/principal\n"
                f"  key_stash_file = {self.dir}/stash\n"
                f"  acl_file = {self.dir}/kadm5.acl\n"
                "  max_life = 1h\n }\n\n"
                f"[logging]\n kdc = FILE:{self.dir}/kdc.log\n"
            )

    def start(self) -> None:
        self._write_config()
        admin = find_tool("kadmin.local")
        assert admin is not None
        self._run([str(find_tool("kdb5_util")), "create", "-s", "-r", REALM, "-P", "master-pw"])
        for query in (
            f"addprinc -randkey {SERVICE}/{SERVICE_HOST}@{REALM}",
            f"addprinc -pw {USER_PASSWORD} {USER}@{REALM}",
            f"ktadd -k {self.keytab} {SERVICE}/{SERVICE_HOST}@{REALM}",
        ):
            self._run([admin, "-r", REALM, "-q", query])
        self._proc = subprocess.Popen(
            [str(find_tool("krb5kdc")), "-n", "-r", REALM],
            env=self._env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_listening()
        self.kinit()

    def _wait_listening(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise RuntimeError(f"krb5kdc exited with {self._proc.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"krb5kdc did not listen on port {self.port} in {timeout}s")

    def kinit(self) -> None:
        """Fresh tickets for the user in the cache :meth:`client_env` names."""
        self._run([str(find_tool("kinit")), self.user_principal], stdin=USER_PASSWORD + "\n")

    def kdestroy(self) -> None:
        """Empty the user's credential cache (as a user without tickets would have)."""
        try:
            os.unlink(self.ccache)
        except FileNotFoundError:
            pass

    def keytab_bytes(self) -> bytes:
        with open(self.keytab, "rb") as f:
            return f.read()

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)
