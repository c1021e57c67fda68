"""The one sandboxed Jinja environment: mail texts, documents and the console's pages all run in it."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from forms import templating
from forms.console.context import environment as console_environment
from forms.documents.render import environment as document_environment
from forms.errors import TemplateError
from forms.route import KINDS, MailTemplates

HOSTILE = "{{ ''.__class__.__mro__[1].__subclasses__() }}"


@pytest.mark.parametrize(
    "env",
    [
        templating.environment(autoescape=False),
        document_environment(),
        console_environment(),
    ],
    ids=["mail", "documents", "console"],
)
def test_every_environment_is_the_sandbox_with_strict_undefined(env: jinja2.Environment) -> None:
    assert isinstance(env, SandboxedEnvironment)
    with pytest.raises(SecurityError):
        env.from_string(HOSTILE).render()
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ nothing_of_that_name }}").render()
    assert env.from_string("{{ value }}").render(value=None) == ""


def test_a_value_that_looks_like_a_template_is_printed_as_written() -> None:
    env = console_environment()
    assert env.from_string("{{ name }}").render(name="{{ 7*7 }}<b>") == "{{ 7*7 }}&lt;b&gt;"


def test_a_console_page_edited_to_reach_python_internals_is_refused(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(HOSTILE, encoding="utf-8")
    with pytest.raises(SecurityError):
        console_environment(tmp_path).get_template("page.html").render()


def test_a_broken_mail_template_names_file_and_line(tmp_path: Path) -> None:
    for kind in KINDS:
        (tmp_path / f"{kind}.j2").write_text(
            "{% block subject %}件名{% endblock %}\n{% block body %}\n\n{{ missing }}{% endblock %}\n",
            encoding="utf-8",
        )
    templates = MailTemplates.load(tmp_path)
    with pytest.raises(TemplateError, match=r"bank_review\.j2:4: 'missing' is undefined"):
        templates.render("bank_review")
