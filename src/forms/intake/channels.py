"""The channel an intake came by (DOMAIN.md "Channels"): e-mail, fax or post — and so who is answered.

An intake is stored with the way it came in (``smtp``, ``imap``, ``maildir``, ``cli``: all e-mail or a
file) or, for paper a clerk uploads, ``post`` or ``fax``. A mail from a fax-to-mail gateway (one of the
``fax_gateways`` of the settings), or whose 様式1 was read from fax pages, is a fax: the worker records
its channel as ``fax``.

Whatever the channel, the bank is the one written in the 金融機関記入欄. A mail's own sender is
answered; a fax or post intake is answered at the bank's e-mail address on the form — never at a
gateway, and not at all when that address was not read for certain (a clerk answers then).
"""

from __future__ import annotations

from collections.abc import Sequence

EMAIL, FAX, POST = "email", "fax", "post"
#: Channels whose bank answers go to the 金融機関E-mail written on the form.
FORM_ADDRESSED = frozenset({FAX, POST})
#: Channels a clerk may give a paper intake (console upload, ``forms intake --channel``).
PAPER = (POST, FAX)


def from_gateway(sender: str | None, gateways: Sequence[str]) -> bool:
    """Whether ``sender`` is a configured fax-to-mail gateway: an address, or a domain (``@example.jp``
    or ``example.jp``, its subdomains too)."""
    address = (sender or "").strip().lower()
    if not address or not gateways:
        return False
    domain = address.rpartition("@")[2]
    for entry in (g.strip().lower() for g in gateways):
        if "@" in entry.lstrip("@"):
            if address == entry:
                return True
        elif entry and (domain == entry.lstrip("@") or domain.endswith("." + entry.lstrip("@"))):
            return True
    return False


def gateway_domains(gateways: Sequence[str]) -> tuple[str, ...]:
    """The mail domains of the configured gateways (accepted by the sender check: the bank is on the form)."""
    return tuple(sorted({g.strip().lower().rpartition("@")[2] for g in gateways if g.strip()}))
