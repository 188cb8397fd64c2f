"""TLS for one connection, as libpq's ``ssl*`` parameters describe it.

:func:`make_context` builds the ``ssl.SSLContext`` (root certificates, CRLs, client certificate,
protocol range, ALPN); :func:`handshake` runs it over a connected socket; :func:`check_host_name`
is verify-full's host-name rule (SAN, then CN), done here rather than by OpenSSL because libpq's
rule differs from Python's; :func:`peer_certificate` gives channel binding its certificate.
Default files live under ``~/.postgresql/`` exactly where libpq looks for them.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import ssl
import stat
from typing import Any, Mapping

from .exceptions import OperationalError

__all__ = [
    "ALPN_PROTOCOL",
    "VERIFYING_MODES",
    "check_host_name",
    "default_file",
    "handshake",
    "make_context",
    "peer_certificate",
    "sni_name",
]

#: The ALPN protocol name PostgreSQL 17+ selects (and requires for direct TLS).
ALPN_PROTOCOL = "postgresql"
#: sslmodes that fail unless the server certificate chains to a trusted root.
VERIFYING_MODES = ("verify-ca", "verify-full")

_TLS_VERSIONS: dict[str, ssl.TLSVersion] = {
    "tlsv1": ssl.TLSVersion.TLSv1,
    "tlsv1.1": ssl.TLSVersion.TLSv1_1,
    "tlsv1.2": ssl.TLSVersion.TLSv1_2,
    "tlsv1.3": ssl.TLSVersion.TLSv1_3,
}


def default_file(name: str) -> str:
    """``~/.postgresql/<name>``: root.crt, root.crl, postgresql.crt, postgresql.key."""
    return os.path.join(os.path.expanduser("~"), ".postgresql", name)


def _param(params: Mapping[str, str], key: str) -> str | None:
    return params.get(key) or None  # libpq reads an empty value as "not set"


def make_context(params: Mapping[str, str]) -> ssl.SSLContext:
    """The client context for the resolved connection ``params``.

    The chain is verified whenever a root certificate is available, whatever the sslmode (libpq
    does the same: ``require`` with a root.crt behaves as ``verify-ca``); verify-ca and
    verify-full without one fail here, before connecting.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False  # verify-full's rule is check_host_name()
    context.verify_mode = ssl.CERT_NONE
    _set_protocol_range(context, params)
    context.set_alpn_protocols([ALPN_PROTOCOL])
    if _load_root_certificates(context, params):
        context.verify_mode = ssl.CERT_REQUIRED
        _load_crls(context, params)
    _load_client_certificate(context, params)
    keylog = _param(params, "sslkeylogfile")
    if keylog:
        context.keylog_filename = keylog  # NSS key log, for decrypting captures while debugging
    return context


def _set_protocol_range(context: ssl.SSLContext, params: Mapping[str, str]) -> None:
    low = _param(params, "ssl_min_protocol_version")
    high = _param(params, "ssl_max_protocol_version")
    try:
        if low:
            context.minimum_version = _TLS_VERSIONS[low.lower()]
        if high:
            context.maximum_version = _TLS_VERSIONS[high.lower()]
    except (KeyError, ValueError) as exc:
        raise OperationalError(f"could not set the SSL protocol version range: {exc}") from None


def _load_root_certificates(context: ssl.SSLContext, params: Mapping[str, str]) -> bool:
    """Loads sslrootcert (or the system store, or ~/.postgresql/root.crt); False if none."""
    rootcert = _param(params, "sslrootcert")
    if rootcert == "system":
        context.load_default_certs(ssl.Purpose.SERVER_AUTH)
        return True
    path = rootcert or default_file("root.crt")
    if not os.path.exists(path):
        if (params.get("sslmode") or "prefer") in VERIFYING_MODES:
            raise OperationalError(
                f'root certificate file "{path}" does not exist\n'
                "Either provide the file, use the system's trusted roots with "
                "sslrootcert=system, or change sslmode to disable server certificate "
                "verification."
            )
        return False
    try:
        context.load_verify_locations(cafile=path)
    except (OSError, ssl.SSLError) as exc:
        raise OperationalError(f'could not read root certificate file "{path}": {exc}') from None
    return True


def _load_crls(context: ssl.SSLContext, params: Mapping[str, str]) -> None:
    """sslcrl / sslcrldir (default ~/.postgresql/root.crl); like libpq, a CRL that cannot be
    loaded is ignored, and a loaded one is checked for the whole chain."""
    crl_file = _param(params, "sslcrl")
    crl_dir = _param(params, "sslcrldir")
    if crl_file is None and crl_dir is None:
        crl_file = default_file("root.crl")
    if crl_file is not None and not os.path.exists(crl_file):
        crl_file = None
    if crl_dir is not None and not os.path.isdir(crl_dir):
        crl_dir = None
    if crl_file is None and crl_dir is None:
        return
    try:
        context.load_verify_locations(cafile=crl_file, capath=crl_dir)
    except (OSError, ssl.SSLError):
        return
    context.verify_flags |= ssl.VERIFY_CRL_CHECK_CHAIN


def _load_client_certificate(context: ssl.SSLContext, params: Mapping[str, str]) -> None:
    """sslcert + sslkey (default ~/.postgresql/postgresql.crt/.key); no certificate file, no
    client certificate, as in libpq; none either with sslcertmode=disable. An encrypted key is
    opened with sslpassword."""
    certmode = params.get("sslcertmode") or "allow"
    if certmode == "disable":
        return
    if certmode == "require":
        # libpq checks the server asked for a certificate; Python's ssl cannot tell
        raise OperationalError("sslcertmode=require is not supported by pgdbapi")
    certfile = _param(params, "sslcert") or default_file("postgresql.crt")
    if not os.path.exists(certfile):
        return
    keyfile = _param(params, "sslkey") or default_file("postgresql.key")
    if not os.path.exists(keyfile):
        raise OperationalError(f'certificate present, but not private key file "{keyfile}"')
    _check_key_permissions(keyfile)
    password = params.get("sslpassword") or ""
    try:
        # a callable, so that OpenSSL never prompts on the terminal for a missing password
        context.load_cert_chain(certfile, keyfile, password=lambda: password)
    except (OSError, ssl.SSLError) as exc:
        raise OperationalError(
            f'could not load private key file "{keyfile}" or certificate "{certfile}": {exc}'
        ) from None


def _check_key_permissions(keyfile: str) -> None:
    """libpq's rule: a key owned by the user must be u=rw (0600) or less; a root-owned key may
    also be group-readable (0640)."""
    if os.name != "posix":
        return
    info = os.stat(keyfile)
    if not stat.S_ISREG(info.st_mode):
        raise OperationalError(f'private key file "{keyfile}" is not a regular file')
    allowed = 0o077 if info.st_uid == os.geteuid() else 0o037
    if info.st_uid in (os.geteuid(), 0) and info.st_mode & allowed:
        raise OperationalError(
            f'private key file "{keyfile}" has group or world access; file must have '
            "permissions u=rw (0600) or less if owned by the current user, or permissions "
            "u=rw,g=r (0640) or less if owned by root"
        )


def sni_name(params: Mapping[str, str], host_name: str | None) -> str | None:
    """The Server Name Indication to send: the host name, unless sslsni=0 or it is an IP."""
    if not host_name or (params.get("sslsni") or "1") == "0" or _is_ip(host_name):
        return None
    return host_name


def handshake(
    context: ssl.SSLContext, sock: Any, server_hostname: str | None, *, direct: bool
) -> ssl.SSLSocket:
    """TLS over ``sock``; ``direct`` (sslnegotiation=direct) insists the server chose ALPN
    ``postgresql``. Raises ``ssl.SSLError``/``OSError`` for a failed handshake (the caller
    decides about falling back), OperationalError for a wrong ALPN answer."""
    tls = context.wrap_socket(sock, server_hostname=server_hostname)
    chosen = tls.selected_alpn_protocol()
    if chosen is None and direct:
        tls.close()
        raise OperationalError(
            "direct SSL connection was established without ALPN protocol negotiation extension"
        )
    if chosen is not None and chosen != ALPN_PROTOCOL:
        tls.close()
        raise OperationalError(f'SSL connection was established with unexpected ALPN "{chosen}"')
    return tls


def handshake_error(exc: OSError) -> str:
    """libpq-like text for a failed handshake."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"SSL error: certificate verify failed: {exc.verify_message}"
    if isinstance(exc, ssl.SSLEOFError):
        return "SSL SYSCALL error: EOF detected (the server closed the connection)"
    if isinstance(exc, ssl.SSLError):
        return f"SSL error: {exc.reason or exc}"
    if isinstance(exc, socket.timeout):
        return "timeout expired during the SSL handshake"
    return f"SSL handshake failed: {exc.strerror or exc}"


def peer_certificate(tls: ssl.SSLSocket) -> bytes:
    """DER of the server's certificate (channel binding hashes it)."""
    der = tls.getpeercert(binary_form=True)
    if not der:
        raise OperationalError("the server sent no certificate")
    return der


# --- verify-full: the server certificate names the host ---------------------------------------


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _wildcard_match(pattern: str, host: str) -> bool:
    """libpq's rule: ``*`` only as the whole leftmost label, matching exactly one label."""
    pattern, host = pattern.lower(), host.lower()
    if pattern.startswith("*."):
        first, dot, rest = host.partition(".")
        return bool(first and dot) and rest == pattern[2:]
    return pattern == host


def check_host_name(der: bytes, host: str) -> None:
    """OperationalError unless the certificate names ``host`` (libpq's verify-full rule).

    A name host is matched against the dNSName SANs; an IP host against the iPAddress SANs
    (and, as libpq does, textually against dNSName SANs). The subject CN counts only when the
    certificate has no SAN of the type matching the host.
    """
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns_names = san.get_values_for_type(x509.DNSName)
        ip_names = [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        dns_names, ip_names = [], []
    common_names = [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    if _is_ip(host):
        wanted = ipaddress.ip_address(host)
        matched = any(ipaddress.ip_address(ip) == wanted for ip in ip_names) or any(
            name.lower() == host.lower() for name in dns_names
        )
        use_cn = not ip_names
    else:
        matched = any(_wildcard_match(name, host) for name in dns_names)
        use_cn = not dns_names
    if not matched and use_cn:
        matched = any(_wildcard_match(cn, host) for cn in common_names)
    if matched:
        return
    names = [*dns_names, *ip_names] + (common_names if use_cn else [])
    if not names:
        raise OperationalError("could not get server's host name from server certificate")
    shown = f'"{names[0]}"'
    if len(names) > 1:
        others = len(names) - 1
        shown += f" and {others} other name{'s' if others > 1 else ''}"
    raise OperationalError(f'server certificate for {shown} does not match host name "{host}"')
