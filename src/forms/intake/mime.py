"""Mail bytes → :class:`forms.model.Mail`: headers, body text and every attachment.

The stdlib ``email`` package (modern policy) finds the structure; we decode headers, parameters and
text ourselves (:mod:`forms.intake.jis`), because Japanese banks' ISO-2022-JP carries NEC characters
(① ㈱) that no stdlib codec reads as labelled. Text is kept as written: no Unicode normalisation.

Every non-text leaf part with a payload is an attachment, wherever it sits (forwarded
message/rfc822 parts included); the pipeline recognises PDFs by their bytes. A hostile attachment
name is display text only: :func:`safe_filename` gives the name usable on disk.

Nothing here raises on bad input: broken MIME yields what could be read, plus a
``FORM_UNREADABLE`` problem (detail ``mime``) when attachments may have been lost.
"""

from __future__ import annotations

import datetime as dt
import email
import email.errors
import email.header
import email.policy
import email.utils
import html
import re
import unicodedata
from dataclasses import dataclass, field
from email.message import Message

from forms import model
from forms.errors import Code
from forms.intake.jis import decode_text

#: Defects after which the parser may have missed parts (and so attachments).
_LOST_PARTS = (
    email.errors.StartBoundaryNotFoundDefect,
    email.errors.NoBoundaryInMultipartDefect,
    email.errors.MultipartInvariantViolationDefect,
)
#: Defects that mean an attachment's bytes are not what the sender sent.
_BAD_PAYLOAD = (
    email.errors.InvalidBase64CharactersDefect,
    email.errors.InvalidBase64PaddingDefect,
    email.errors.InvalidBase64LengthDefect,
)
_BODY_TYPES = ("text/plain", "text/html")
_FALLBACK_NAME = "attachment.bin"
_MAX_HEADERS = 200
_MAX_NAME_BYTES = 150
_MAX_EXTENSION_CHARS = 16
_PARAM_SEGMENT = re.compile(r'(?:"(?:[^"\\]|\\.)*"?|[^;"])+', re.DOTALL)
_RFC2231_NAME = re.compile(r"^(?P<base>[^*]+)(?:\*(?P<num>\d+))?(?P<ext>\*)?$")
_WINDOWS_RESERVED = re.compile(r'[<>:"|?*]')
_EDGE_DOTS = re.compile(r"^[\s.]+|[\s.]+$")
_NEWLINES = re.compile(r"\r\n?|\n")


def _as_bytes(text: str) -> bytes:
    """Header text back to the bytes it was parsed from (the parser keeps 8-bit bytes as surrogates)."""
    try:
        return text.encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", errors="replace")


def _unfold(raw: str) -> str:
    return _NEWLINES.sub("", raw)


def decode_words(raw: str) -> str:
    """A header value with its RFC 2047 encoded-words decoded per chunk by :func:`decode_text`.

    8-bit header bytes (no encoded-words, as some mailers send) are read as UTF-8, else cp932.
    """
    text = _unfold(raw)
    if not text.isascii():
        return decode_text(_as_bytes(text), None)
    try:
        chunks = email.header.decode_header(text)
    except (email.errors.HeaderParseError, ValueError, LookupError):
        return text
    out: list[str] = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            out.append(chunk)
        else:
            out.append(chunk.decode("latin-1") if charset is None else decode_text(chunk, charset))
    return "".join(out)


def _unquote(value: str) -> str:
    value = value.strip()
    if value.startswith('"'):
        value = value[1:-1] if len(value) > 1 and value.endswith('"') else value[1:]
        return re.sub(r"\\(.)", r"\1", value, flags=re.DOTALL)
    return value


def _rfc2231_value(segments: list[tuple[int, bool, str]]) -> str:
    """Join RFC 2231 segments (number, extended, value) and decode them with the declared charset."""
    segments.sort(key=lambda s: s[0])
    charset: str | None = None
    data = bytearray()
    for index, (_, extended, value) in enumerate(segments):
        if not extended:
            data += _as_bytes(value)
            continue
        if index == 0 and value.count("'") >= 2:
            charset, _, value = value.split("'", 2)
        data += _percent_decode(value)
    return decode_text(bytes(data), charset or None)


def _percent_decode(value: str) -> bytes:
    out = bytearray()
    raw = _as_bytes(value)
    i = 0
    while i < len(raw):
        hex_pair = raw[i + 1 : i + 3]
        if raw[i] == 0x25 and len(hex_pair) == 2 and all(c in b"0123456789abcdefABCDEF" for c in hex_pair):
            out.append(int(hex_pair, 16))
            i += 3
        else:
            out.append(raw[i])
            i += 1
    return bytes(out)


def header_params(raw: str) -> dict[str, str]:
    """The parameters of a Content-Type / Content-Disposition value, decoded, keyed by lower name.

    RFC 2231 (``filename*=charset''…``, continuations ``name*0*``) and encoded-words inside the
    quotes (Outlook's ``name="=?UTF-8?B?…?="``) are both decoded with :func:`decode_text`.
    """
    plain: dict[str, list[tuple[int, str]]] = {}
    extended: dict[str, list[tuple[int, bool, str]]] = {}
    for segment in _PARAM_SEGMENT.findall(_unfold(raw))[1:]:
        name, sep, value = segment.partition("=")
        found = _RFC2231_NAME.match(name.strip().lower())
        if not sep or found is None:
            continue
        base, number = found["base"], int(found["num"] or 0)
        if found["num"] is None and found["ext"] is None:
            plain.setdefault(base, []).append((number, _unquote(value)))
        else:
            extended.setdefault(base, []).append((number, found["ext"] is not None, _unquote(value)))
    params = {base: decode_words(values[0][1]) for base, values in plain.items()}
    for base, segments in extended.items():
        params[base] = _rfc2231_value(segments)
    return params


def _first_token(raw: str | None) -> str:
    return _unfold(raw or "").split(";", 1)[0].strip().lower()


@dataclass
class _Reading:
    """What the walk over the parts collected so far."""

    max_part_bytes: int
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[model.Attachment] = field(default_factory=list)
    problems: list[model.Problem] = field(default_factory=list)
    parts_lost: bool = False


def _headers(part: Message) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in part.raw_items():
        found.setdefault(name.strip().lower(), []).append(str(value))
    return found


def _first(headers: dict[str, list[str]], name: str) -> str | None:
    values = headers.get(name)
    return values[0] if values else None


def _read_leaf(part: Message, reading: _Reading) -> None:
    """File one non-multipart part as body text or attachment."""
    headers = _headers(part)
    content_type = part.get_content_type()
    type_params = header_params(_first(headers, "content-type") or "")
    disposition_raw = _first(headers, "content-disposition") or ""
    filename = header_params(disposition_raw).get("filename") or type_params.get("name") or ""
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes) or not data:
        return
    if len(data) > reading.max_part_bytes:
        reading.problems.append(
            model.problem(Code.FORM_UNREADABLE, None, detail="too_large", filename=filename, size=len(data))
        )
        return
    attached = _first_token(disposition_raw) == "attachment" or bool(filename)
    pdf = b"%PDF-" in data[:1024]  # as Attachment.is_pdf sniffs it
    if content_type in _BODY_TYPES and not attached and not pdf:
        text = _NEWLINES.sub("\n", decode_text(data, type_params.get("charset")))
        (reading.plain if content_type == "text/plain" else reading.html).append(text)
    elif content_type.startswith("multipart/"):
        return  # a container the parser could not split: reported through its defects
    elif attached or pdf or not content_type.startswith("text/"):
        safe = safe_filename(filename or ("attachment.pdf" if pdf else ""))
        sent_as = _first_token(_first(headers, "content-transfer-encoding"))
        if pdf and sent_as == "base64" and isinstance(text := part.get_payload(), str):
            data = model.Base64Payload(data, text)  # a forward may carry the sender's own base64
        reading.attachments.append(model.Attachment(filename, safe, content_type, data))
        reading.parts_lost |= any(isinstance(d, _BAD_PAYLOAD) for d in part.defects)


def _walk(message: Message, reading: _Reading) -> None:
    """Every part, forwarded messages (message/rfc822, attached or inline) included."""
    for part in message.walk():
        reading.parts_lost |= any(isinstance(d, _LOST_PARTS) for d in part.defects)
        if part.is_multipart():
            continue
        try:
            _read_leaf(part, reading)
        except Exception:  # the email package raises many types on hostile parts
            reading.parts_lost = True


def _html_to_text(markup: str) -> str:
    markup = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", "", markup)
    markup = re.sub(r"(?i)<br\s*/?>|</p\s*>|</div\s*>|</tr\s*>", "\n", markup)
    return html.unescape(re.sub(r"<[^>]*>", "", markup))


def _datetime(raw: str | None) -> dt.datetime | None:
    """An aware datetime from an RFC 5322 date; a date without a zone (or -0000) is taken as UTC."""
    if not raw:
        return None
    try:
        value = email.utils.parsedate_to_datetime(_unfold(raw).strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _received(raw: str | None) -> dt.datetime | None:
    if not raw or ";" not in raw:
        return None
    return _datetime(raw.rpartition(";")[2])


def _address_text(raw: str) -> str:
    return _unfold(raw) if raw.isascii() else decode_words(raw)


def _sender(raw: str | None) -> tuple[str | None, str | None]:
    """(lower-cased addr-spec, decoded display name) of a From header."""
    if not raw:
        return None, None
    try:
        name, addr = email.utils.parseaddr(_address_text(raw))
    except (ValueError, IndexError, TypeError):
        return None, decode_words(raw).strip() or None
    return (addr.strip().lower() or None), (decode_words(name).strip() or None)


def _recipients(raws: list[str]) -> tuple[str, ...]:
    try:
        pairs = email.utils.getaddresses([_address_text(raw) for raw in raws])
    except (ValueError, IndexError, TypeError):
        return ()
    return tuple(addr.strip().lower() for _, addr in pairs if addr.strip())


def _parse(data: bytes) -> Message | None:
    try:
        return email.message_from_bytes(data, policy=email.policy.default)
    except Exception:  # the email package raises many types on hostile bytes
        return None


def _unreadable_mail() -> model.Mail:
    unreadable = model.problem(Code.FORM_UNREADABLE, None, detail="mime")
    return model.Mail(None, None, None, (), "", None, None, "", (), (unreadable,))


def parse_mail(data: bytes, *, max_part_bytes: int = 20 * 1024 * 1024) -> model.Mail:
    """The mail's headers, body text (plain preferred) and every attachment; never raises.

    A part over ``max_part_bytes`` is left out and reported as FORM_UNREADABLE ``too_large``.
    """
    message = _parse(data)
    if message is None:
        return _unreadable_mail()
    reading = _Reading(max_part_bytes)
    try:
        _walk(message, reading)
        headers = _headers(message)
    except Exception:  # the email package raises many types on hostile structures
        reading.parts_lost, headers = True, {}
    if reading.parts_lost:
        reading.problems.insert(0, model.problem(Code.FORM_UNREADABLE, None, detail="mime"))
    from_addr, from_name = _sender(_first(headers, "from"))
    message_id = decode_words(_first(headers, "message-id") or "").strip()
    body = "\n".join(reading.plain) if reading.plain else "\n".join(_html_to_text(h) for h in reading.html)
    return model.Mail(
        message_id=message_id or None,
        from_addr=from_addr,
        from_name=from_name,
        to_addrs=_recipients(headers.get("to", [])),
        subject=decode_words(_first(headers, "subject") or "").strip(),
        date=_datetime(_first(headers, "date")),
        received=_received(_first(headers, "received")),
        body_text=body,
        attachments=tuple(reading.attachments),
        problems=tuple(reading.problems),
        headers=_kept_headers(headers),
    )


def _kept_headers(headers: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    """The top-level header fields decoded and unfolded, at most ``_MAX_HEADERS`` values (a hostile mail
    may carry thousands) of at most 2,000 characters each."""
    kept: dict[str, tuple[str, ...]] = {}
    room = _MAX_HEADERS
    for name, values in headers.items():
        if room <= 0:
            break
        kept[name] = tuple(decode_words(v).strip()[:2000] for v in values[:room])
        room -= len(kept[name])
    return kept


def _split_extension(name: str) -> tuple[str, str]:
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension) > _MAX_EXTENSION_CHARS or not extension.strip():
        return name, ""
    return stem, "." + extension


def _clip_utf8(text: str, limit: int) -> str:
    return text.encode("utf-8")[: max(limit, 0)].decode("utf-8", errors="ignore")


def safe_filename(name: str) -> str:
    """A basename safe on disk: no directories ('../../x.pdf' → 'x.pdf'), no NUL/control chars,
    no leading dots, at most 150 bytes UTF-8 keeping the extension, never empty ('attachment.bin')."""
    kept = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zl", "Zp"))
    base = re.split(r"[/\\]", kept)[-1]
    base = _EDGE_DOTS.sub("", _WINDOWS_RESERVED.sub("_", base))
    stem, extension = _split_extension(base)
    if len(extension.encode("utf-8")) >= _MAX_NAME_BYTES:
        stem, extension = base, ""
    stem = _EDGE_DOTS.sub("", _clip_utf8(stem, _MAX_NAME_BYTES - len(extension.encode("utf-8"))))
    return stem + extension if stem else _FALLBACK_NAME
