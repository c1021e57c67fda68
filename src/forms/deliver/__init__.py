"""Delivery: building outgoing messages and the transports that hand them over.

``message.build_message`` makes safe RFC 5322 bytes; ``transport.Transport`` is the interface,
``transport.FileTransport`` the default (``.eml`` files in ``outbox/``) and ``smtp.SmtpTransport``
the SMTP one; ``configured.make_transport`` gives the one the settings name. Recording, idempotence
across runs and retries belong to the store's outbox.
"""

from forms.deliver.configured import make_transport
from forms.deliver.message import build_message, header_text, valid_address, valid_message_id
from forms.deliver.smtp import SmtpTransport
from forms.deliver.transport import FileTransport, Transport, eml_name

__all__ = [
    "FileTransport",
    "SmtpTransport",
    "Transport",
    "build_message",
    "eml_name",
    "header_text",
    "make_transport",
    "valid_address",
    "valid_message_id",
]
