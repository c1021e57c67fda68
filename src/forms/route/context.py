"""What routing one intake needs besides its decision: the reference, the addresses, the dates.

Built from the settings and the rulebook the intake was judged by (:func:`route_context`), the
same way for the mailroom's deciders and the clerks' actions.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from forms.config import Settings
from forms.deliver.message import valid_message_id
from forms.errors import ConfigError
from forms.jp.wareki import date_in_japan
from forms.rules.schema import Rulebook
from forms.spec import FormSpec, load_spec

_NOT_ATEXT = re.compile(r"[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]")


@dataclass(frozen=True)
class RouteContext:
    """Everything route() needs besides the decision.

    ``agency_addresses`` maps agency key → inbox (the rulebook's real inboxes only when an operator
    configured SMTP; tests use example.jp). ``contact_agencies`` are the agencies bound to the
    contact deadline (rulebook ``contact_sla.agencies``). ``sent_at`` is the Date of the messages
    (default ``received_at``, so the same inputs give the same bytes).
    """

    reference: str
    received_at: dt.datetime
    mailroom_address: str
    agency_addresses: Mapping[str, str]
    message_id_domain: str
    contact_days: int = 7
    contact_agencies: frozenset[str] = frozenset({"jetro", "scb"})
    agency_names: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    sent_at: dt.datetime | None = None
    spec: FormSpec = field(default_factory=load_spec)
    channel: str = "email"  # intake.channels: a fax or post intake is answered at the address on the form

    def message_id(self, kind: str) -> str:
        """``<reference.kind@domain>`` (:func:`stable_message_id`)."""
        return stable_message_id(self.reference, kind, self.message_id_domain)

    @property
    def received_on(self) -> dt.date:
        return date_in_japan(self.received_at)


def stable_message_id(reference: str, kind: str, domain: str) -> str:
    """``<reference.kind@domain>``, characters not allowed in a Message-ID replaced by '-': the same
    message always gets the same Message-ID, which the outbox queues once."""
    reference = _NOT_ATEXT.sub("-", reference).strip(".") or "unknown"
    domain_part = _NOT_ATEXT.sub("-", domain).strip(".")
    message_id = f"<{reference}.{kind}@{domain_part}>"
    if not valid_message_id(message_id):
        raise ConfigError(f"message_id_domain {domain!r} gives no valid Message-ID")
    return message_id


def reference_number(rulebook: Rulebook, intake_id: int) -> str:
    """The reference number a bank and an agency quote: the rulebook's id and the intake, R8-000042."""
    return f"{rulebook.id}-{intake_id:06d}"


def agency_inboxes(rulebook: Rulebook, overrides: Mapping[str, str]) -> dict[str, str]:
    """Each agency's inbox: the rulebook's, unless the settings override it."""
    inboxes = {key: a.email for key, a in rulebook.agencies.values.items() if a.email}
    return {**inboxes, **overrides}


def route_context(
    settings: Settings, rulebook: Rulebook, reference: str, received_at: dt.datetime, channel: str = "email"
) -> RouteContext:
    """What route() needs for one intake, from the settings and the rulebook it was judged by."""
    return RouteContext(
        channel=channel,
        reference=reference,
        received_at=received_at,
        mailroom_address=settings.mailroom_address,
        agency_addresses=agency_inboxes(rulebook, settings.inbox_overrides),
        message_id_domain=settings.message_id_domain,
        contact_days=rulebook.contact_sla.business_days,
        contact_agencies=frozenset(rulebook.contact_sla.agencies),
        agency_names={k: a.name for k, a in rulebook.agencies.values.items()},
    )
