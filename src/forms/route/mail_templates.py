"""The mail templates of one folder (``templates/mail/<kind>.j2``), read and compiled once.

Each template has a ``subject`` and a ``body`` block and runs in the service's one sandboxed
environment (``forms.templating``) without autoescape (plain text). The folder is read when the
templates are loaded (:meth:`MailTemplates.load`, at start-up); rendering does no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jinja2

from forms import templating
from forms.config import Settings
from forms.errors import TemplateError

#: The messages the service builds, each with its template ``<kind>.j2``: route()'s, and the mails
#: that carry issued documents (forms.documents.mail).
KINDS: tuple[str, ...] = (
    "agency_forward",
    "bank_receipt",
    "bank_rejection",
    "bank_review",
    "youshiki2",
    "youshiki3",
    "youshiki3_reminder",
    "youshiki3_overdue",
    "contact_digest",
)
_BLOCKS = ("subject", "body")


class MailTemplates:
    """Compiled mail templates: :meth:`render` gives (subject, body)."""

    def __init__(self, templates: Mapping[str, jinja2.Template]) -> None:
        self._templates = dict(templates)

    @classmethod
    def load(cls, folder: Path) -> MailTemplates:
        """Compile every ``*.j2`` in ``folder``; raise TemplateError for a missing or broken one."""
        env = templating.environment(templating.folder_loader(folder), autoescape=False)
        names = sorted({p.stem for p in Path(folder).glob("*.j2")} | set(KINDS))
        templates: dict[str, jinja2.Template] = {}
        for name in names:
            path = Path(folder) / f"{name}.j2"
            template = templating.load(env, f"{name}.j2", path)
            missing = [b for b in _BLOCKS if b not in template.blocks]
            if missing:
                raise TemplateError(
                    f"{path}: no {{% block {missing[0]} %}} (each mail needs subject and body)"
                )
            templates[name] = template
        return cls(templates)

    @classmethod
    def for_settings(cls, settings: Settings) -> MailTemplates:
        """The templates of ``settings.templates_dir``, else the repository's ``templates/mail``."""
        return cls.load(settings.templates_dir or templating.TEMPLATES / "mail")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self._templates))

    def render(self, name: str, **context: Any) -> tuple[str, str]:
        """(subject, body): the subject on one line, the body with one final newline."""
        template = self._templates.get(name)
        if template is None:
            raise TemplateError(f"{name}.j2: no such template (have {', '.join(self.names)})")
        try:
            subject = self._block(template, "subject", context)
            body = self._block(template, "body", context)
        except jinja2.TemplateError as exc:
            raise templating.render_failure(exc, template, str(template.filename), compiled=True) from exc
        return " ".join(subject.split()), body.strip("\n") + "\n"

    def _block(self, template: jinja2.Template, block: str, context: Mapping[str, Any]) -> str:
        render_block: Callable[[Any], Any] = template.blocks[block]
        return "".join(render_block(template.new_context(dict(context))))
