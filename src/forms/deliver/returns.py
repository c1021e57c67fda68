"""Return paths that name their message (VERP): where a bounce of one of our messages comes back.

Every outgoing message gets a random token when it is queued (``outbox.return_token``, 20 hex
digits); it is sent with the envelope sender ``<local>+bounce-<token>@<domain>`` (RFC 5321 §4.5.5:
a delivery report goes to the envelope sender), so a report about it arrives at an address that
names it. The token is unguessable (80 random bits), so only a server that saw the message can name
it: a report that names one message while claiming another, or a forged one, cannot mark the wrong
message. The mailroom accepts ``<local>+anything`` for its addresses (sub-addressing, as postfix's
``recipient_delimiter = +``). Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_PREFIX = "bounce-"
_TOKEN = re.compile(r"^[0-9a-f]{20}$")
_IN_ADDRESS = re.compile(r"\+bounce-([0-9a-f]{20})@", re.IGNORECASE)


def return_path(sender: str, token: str | None) -> str:
    """``sender`` with the token as its sub-address (``mailroom+bounce-<token>@example.jp``); ``sender``
    itself when there is no token (a message queued before tokens) or it is not a plain address."""
    local, at, domain = sender.rpartition("@")
    if not token or not _TOKEN.match(token) or not at or not local or "+" in local:
        return sender
    return f"{local}+{_PREFIX}{token}@{domain}"


def tokens_in(addresses: Iterable[str]) -> list[str]:
    """The return tokens named by ``addresses`` (envelope recipients, To, Delivered-To …), in order,
    each once, lower-case."""
    found: list[str] = []
    for address in addresses:
        for token in _IN_ADDRESS.findall(address or ""):
            if token.lower() not in found:
                found.append(token.lower())
    return found
