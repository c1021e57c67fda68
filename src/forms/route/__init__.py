"""Decision → the messages to send: the agency forward and the bank's answer (pure), with the
operators' mail templates they are written from.

    context.py         RouteContext: reference, addresses, dates (from settings and the rulebook)
    messages.py        route() and clerk_rejection(): decision → OutgoingMessage(s), no I/O
    mail_templates.py  the templates/mail/*.j2 texts, read once at start-up
"""

from forms.route.context import RouteContext, agency_inboxes, reference_number, route_context
from forms.route.mail_templates import KINDS, MailTemplates
from forms.route.messages import (
    MailTexts,
    Routed,
    clerk_rejection,
    route,
    routed,
    summary_rows,
    template_context,
)

__all__ = [
    "KINDS",
    "MailTemplates",
    "MailTexts",
    "RouteContext",
    "Routed",
    "agency_inboxes",
    "clerk_rejection",
    "reference_number",
    "route",
    "route_context",
    "routed",
    "summary_rows",
    "template_context",
]
