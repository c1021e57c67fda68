"""TLS contexts: one verifying client context for every server we connect to (IMAP, SMTP out), and the
listener's server context from a configured certificate.

A client context always checks the server's certificate chain and host name (Python's default
context: the system's CA store, TLS 1.2 at least); ``ca_file`` adds a private CA (a bank's or the
agency's own mail server with a certificate of an internal CA, or a self-signed one) — it never turns
the check off. A CA, certificate or key file that cannot be read is a ConfigError at start-up.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from forms.errors import ConfigError


def client_context(ca_file: Path | None = None) -> ssl.SSLContext:
    """A verifying context for connecting to a server; trusts ``ca_file`` besides the system's CAs."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if ca_file is not None:
        try:
            context.load_verify_locations(cafile=str(ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"CA file {ca_file}: cannot read: {exc}") from exc
    return context


def server_context(cert_file: Path, key_file: Path | None = None) -> ssl.SSLContext:
    """A server context with ``cert_file`` (PEM, the chain) and ``key_file`` (PEM; default: in the cert)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(str(cert_file), str(key_file) if key_file else None)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"TLS certificate {cert_file}: cannot use it: {exc}") from exc
    return context
