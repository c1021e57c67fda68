"""One frozen Settings object, built by the CLI from a TOML file and the environment.

Nothing is read at import time; the CLI builds Settings and passes it down.
Environment variables override the file: ``FORMS_HOME``, and ``FORMS_<NAME>`` for every setting
below (upper case), e.g. ``FORMS_EXTRACT_TIMEOUT_S=20``.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forms.errors import ConfigError


@dataclass(frozen=True)
class Settings:
    """Every setting, with its help text in ``metadata['help']``."""

    home: Path = field(default=Path("var"), metadata={"help": "folder for the store, spool and outbox"})
    rulebook_dir: Path | None = field(
        default=None, metadata={"help": "folder of rulebook files (R8.yaml …); default: the packaged ones"}
    )
    max_pdf_bytes: int = field(default=20 * 1024 * 1024, metadata={"help": "largest PDF read, in bytes"})
    max_mail_bytes: int = field(default=40 * 1024 * 1024, metadata={"help": "largest mail read, in bytes"})
    max_pages: int = field(
        default=50, metadata={"help": "PDFs with more pages are refused (FORM_UNREADABLE)"}
    )
    extract_timeout_s: float = field(default=60.0, metadata={"help": "time limit to read one PDF, seconds"})
    extract_memory_mb: int = field(
        default=1024, metadata={"help": "memory limit of a reader process (its address space), MiB"}
    )
    convert_timeout_s: float = field(
        default=30.0,
        metadata={
            "help": "time limit for LibreOffice to convert one .doc/.xls to .docx/.xlsx, seconds (within "
            "extract_timeout_s; longer is FORM_UNREADABLE convert_timeout)"
        },
    )
    convert_memory_mb: int = field(
        default=768,
        metadata={"help": "memory limit of LibreOffice converting a .doc/.xls (its address space), MiB"},
    )
    extract_inflate_mb: int = field(
        default=256,
        metadata={
            "help": "what a PDF's streams may inflate to, MiB (measured before a reader inflates them; "
            "more is FORM_UNREADABLE stream_too_large)"
        },
    )
    max_attachments: int = field(
        default=10,
        metadata={
            "help": "attachments read per mail at most; a mail whose 様式1 is not among the first "
            "so many is TOO_MANY_ATTACHMENTS"
        },
    )
    intake_attempts: int = field(
        default=3,
        metadata={
            "help": "times an intake is taken for deciding (its decider died each time) before it is "
            "left 'failed' for a clerk to retry"
        },
    )
    workers: int = field(default=0, metadata={"help": "reader processes; 0 = one per core"})
    deciders: int = field(
        default=0,
        metadata={"help": "decider processes forms serve starts, a reader each; 0 = two per core"},
    )
    ocr_min_confidence: float = field(
        default=0.90,
        metadata={"help": "a stored reading without evidence (older scans) is unsure below this score"},
    )
    allowed_sender_domains: tuple[str, ...] = field(
        default=(), metadata={"help": "bank mail domains accepted; empty = no sender check"}
    )
    fax_gateways: tuple[str, ...] = field(
        default=(),
        metadata={
            "help": "fax-to-mail gateways (addresses, or @domains): their mails are faxes, answered at the "
            "bank's e-mail on the form, never at the gateway; accepted by the sender check"
        },
    )
    database_url: str = field(
        default="", metadata={"help": "SQLAlchemy URL of the store; empty = SQLite under home"}
    )
    mailroom_address: str = field(
        default="mailroom@example.jp", metadata={"help": "our address: From of replies and forwards"}
    )
    accept_addresses: tuple[str, ...] = field(
        default=(), metadata={"help": "recipients the SMTP listener accepts; empty = mailroom_address"}
    )
    message_id_domain: str = field(
        default="forms.example.jp", metadata={"help": "domain of the Message-IDs we generate"}
    )
    agency_inboxes: tuple[str, ...] = field(
        default=(),
        metadata={"help": "agency=address overrides of the rulebook's inboxes (e.g. for a test mailbox)"},
    )
    smtp_listen: str = field(
        default="", metadata={"help": "host:port the SMTP listener binds (serve); empty = no listener"}
    )
    listen_max_connections: int = field(
        default=20, metadata={"help": "SMTP listener: connections at once (more are answered 421)"}
    )
    listen_per_ip_per_minute: int = field(
        default=120,
        metadata={
            "help": "SMTP listener: new connections per address per minute; 0 = no limit (postfix in front)"
        },
    )
    listen_session_s: float = field(
        default=600.0, metadata={"help": "SMTP listener: a whole session's time limit, seconds (then 421)"}
    )
    listen_idle_s: float = field(
        default=120.0, metadata={"help": "SMTP listener: time allowed for each command, seconds"}
    )
    listen_tls_cert: Path | None = field(
        default=None, metadata={"help": "SMTP listener: PEM certificate (chain) for STARTTLS; empty = no TLS"}
    )
    listen_tls_key: Path | None = field(
        default=None,
        metadata={"help": "SMTP listener: PEM private key of listen_tls_cert (default: in the cert)"},
    )
    listen_auth_username: str = field(
        default="",
        metadata={"help": "SMTP listener: require AUTH (after STARTTLS) as this user; empty = no AUTH"},
    )
    listen_auth_password: str = field(default="", metadata={"help": "SMTP listener: the AUTH password"})
    spool_min_free_bytes: int = field(
        default=512 * 1024 * 1024,
        metadata={"help": "free disk the spool keeps; below it the SMTP listener answers 452"},
    )
    console_listen: str = field(
        default="", metadata={"help": "host:port `forms serve` serves the clerk console on; empty = off"}
    )
    cookie_secure: str = field(
        default="auto",
        metadata={
            "help": "the console's cookies Secure: auto (except plain HTTP on loopback), always or never",
            "choices": ("auto", "always", "never"),
        },
    )
    trusted_proxies: tuple[str, ...] = field(
        default=(),
        metadata={
            "help": "addresses or networks of reverse proxies whose X-Forwarded-For/-Proto the console trusts"
        },
    )
    signin_failures_per_ip: int = field(
        default=10, metadata={"help": "failed console sign-ins from one address within signin_window_s"}
    )
    signin_failures_total: int = field(
        default=100, metadata={"help": "failed console sign-ins from all addresses within signin_window_s"}
    )
    signin_window_s: float = field(default=300.0, metadata={"help": "the sign-in limit's window, seconds"})
    maildir: Path | None = field(
        default=None, metadata={"help": "Maildir swept for new mail (serve/process); default: ./mailroom"}
    )
    outbox_dir: Path | None = field(
        default=None, metadata={"help": "where the file transport writes .eml; default: ./outbox"}
    )
    transport: str = field(
        default="file",
        metadata={"help": "outgoing transport: file or smtp", "choices": ("file", "smtp")},
    )
    smtp_host: str = field(default="", metadata={"help": "outgoing SMTP server (transport = smtp)"})
    smtp_port: int = field(default=587, metadata={"help": "outgoing SMTP port"})
    smtp_username: str = field(default="", metadata={"help": "outgoing SMTP user (empty: no AUTH)"})
    smtp_password: str = field(default="", metadata={"help": "outgoing SMTP password"})
    smtp_security: str = field(
        default="starttls",
        metadata={
            "help": "outgoing SMTP security: starttls, tls or none",
            "choices": ("starttls", "tls", "none"),
        },
    )
    smtp_ca_file: Path | None = field(
        default=None,
        metadata={"help": "PEM file of a private CA trusted for outgoing SMTP, besides the system's"},
    )
    smtp_concurrency: int = field(default=4, metadata={"help": "outgoing SMTP connections at most"})
    smtp_timeout_s: float = field(
        default=120.0,
        metadata={
            "help": "seconds outgoing SMTP waits for each answer; no answer after the final dot leaves "
            "the message unconfirmed (it may have been delivered) and it is retried with its Message-ID"
        },
    )
    verp: bool = field(
        default=True,
        metadata={
            "help": "send each message from <mailroom>+bounce-<token>@… so that a bounce names it for sure; "
            "off when the outgoing relay refuses such senders (bounces are then matched by Message-ID)"
        },
    )
    send_retry_first_s: float = field(
        default=300.0,
        metadata={"help": "first retry of a message not sent, seconds; each next one waits twice as long"},
    )
    send_retry_max_s: float = field(
        default=14400.0, metadata={"help": "longest wait between two attempts to send a message, seconds"}
    )
    send_give_up_s: float = field(
        default=432000.0,
        metadata={
            "help": "a message still not sent this long after it was queued (or requeued) is a dead letter, "
            "seconds (5 days, as an MTA's queue lifetime)"
        },
    )
    imap_host: str = field(default="", metadata={"help": "IMAP server to poll (empty: no poller)"})
    imap_port: int = field(default=993, metadata={"help": "IMAP port"})
    imap_username: str = field(default="", metadata={"help": "IMAP user"})
    imap_password: str = field(default="", metadata={"help": "IMAP password"})
    imap_ssl: bool = field(default=True, metadata={"help": "IMAP over TLS (imaps, port 993)"})
    imap_starttls: bool = field(
        default=False, metadata={"help": "IMAP on the plain port, upgraded with STARTTLS (imap_ssl = false)"}
    )
    imap_ca_file: Path | None = field(
        default=None, metadata={"help": "PEM file of a private CA trusted for IMAP, besides the system's"}
    )
    imap_mailbox: str = field(default="INBOX", metadata={"help": "IMAP folder polled"})
    templates_dir: Path | None = field(
        default=None, metadata={"help": "folder of the mail templates; default: the repository's templates/"}
    )
    youshiki2_mail_formats: tuple[str, ...] = field(
        default=("pdf",),
        metadata={"help": "files of a mailed 様式2: pdf, docx or both (pdf,docx)"},
    )
    youshiki3_mail_formats: tuple[str, ...] = field(
        default=("pdf", "docx"),
        metadata={"help": "files of a mailed 様式3 (the bank fills in the .docx): pdf, docx or both"},
    )
    remind_before_days: int = field(
        default=3, metadata={"help": "business days before a 様式3's 回答期日 its bank is reminded"}
    )
    remind_after_days: int = field(
        default=1, metadata={"help": "business days after the 回答期日 an unanswered 様式3 is chased"}
    )
    chase_at: str = field(
        default="08:30",
        metadata={"help": "time (Japan) from which serve queues the day's reminders and digests; empty: off"},
    )
    chase_interval_s: float = field(
        default=300.0, metadata={"help": "how often serve's scheduler looks for reminders due, seconds"}
    )
    api_rate_per_minute: int = field(
        default=120,
        metadata={"help": "requests a minute one API token may make (refused tokens: per address)"},
    )
    api_burst: int = field(default=30, metadata={"help": "requests an API token may make at once"})
    claim_lease_s: float = field(
        default=300.0,
        metadata={"help": "seconds a worker holds an intake or message before others may take it"},
    )
    poll_interval_s: float = field(default=5.0, metadata={"help": "how often serve sweeps and polls"})

    def __post_init__(self) -> None:
        """A value outside a setting's ``choices`` is an error at start-up, never a silent default."""
        for f in dataclasses.fields(self):
            choices = f.metadata.get("choices")
            if choices is not None and getattr(self, f.name) not in choices:
                raise ConfigError(
                    f"setting {f.name}: {getattr(self, f.name)!r} is not one of {', '.join(choices)}"
                )
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError as exc:
                raise ConfigError(f"setting trusted_proxies: {proxy!r} is not an address or network") from exc
        if self.listen_auth_username and (self.listen_tls_cert is None or not self.listen_auth_password):
            raise ConfigError(
                "setting listen_auth_username: AUTH needs listen_auth_password and listen_tls_cert"
                " (the password is sent over TLS only)"
            )
        if self.transport == "smtp" and self.smtp_username and self.smtp_security == "none":
            raise ConfigError(
                "setting smtp_security: none would send the SMTP password in clear; use tls or starttls"
            )

    @property
    def worker_count(self) -> int:
        return self.workers or max(1, os.cpu_count() or 1)

    @property
    def decider_count(self) -> int:
        """Two per core: more deciders do not raise the rate (bench/mailroom.py), but while some read
        scans (a second or more each), the others decide the mails behind them at once instead of
        leaving them queued (bench/mailroom.py's steady load on 2 cores, runs side by side: fillable p95
        0.77 s with two, 0.10-0.15 s with four). Each costs about 450 MB with its reader once it has
        read a scan."""
        return self.deciders or 2 * max(1, os.cpu_count() or 1)

    @property
    def store_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'forms.db'}"

    @property
    def inbox_overrides(self) -> dict[str, str]:
        """``agency_inboxes`` as a mapping (agency key → address)."""
        pairs = (item.partition("=") for item in self.agency_inboxes)
        return {k.strip(): v.strip() for k, _, v in pairs if k.strip() and v.strip()}


_PATHS = (
    "rulebook_dir",
    "maildir",
    "outbox_dir",
    "templates_dir",
    "smtp_ca_file",
    "imap_ca_file",
    "listen_tls_cert",
    "listen_tls_key",
)


def _coerce(name: str, value: Any, default: Any) -> Any:
    try:
        if isinstance(default, bool):
            return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes", "on")
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
        if isinstance(default, tuple):
            items = value if isinstance(value, list | tuple) else str(value).split(",")
            return tuple(str(x).strip() for x in items if str(x).strip())
        if isinstance(default, Path) or name in _PATHS:
            return Path(value) if value not in (None, "") else None
        return value
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name}: cannot read {value!r}: {exc}") from exc


def load_settings(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Settings from ``path`` (TOML, optional) overridden by ``env`` (default: os.environ)."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    if path is not None:
        try:
            values.update(tomllib.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from exc
    defaults = {f.name: f.default for f in dataclasses.fields(Settings)}
    unknown = set(values) - set(defaults)
    if unknown:
        raise ConfigError(f"{path}: unknown settings {sorted(unknown)}")
    for name in defaults:
        key = "FORMS_HOME" if name == "home" else f"FORMS_{name.upper()}"
        if key in env:
            values[name] = env[key]
    coerced = {k: _coerce(k, v, defaults[k]) for k, v in values.items()}
    return Settings(**coerced)
