"""The one sandboxed Jinja environment of every template the service renders: mail texts, 様式2 and
様式3 (.docx and HTML) and the console's pages — operators are told they may edit all of them.

Every environment is a :class:`jinja2.sandbox.SandboxedEnvironment` with StrictUndefined (an
unknown variable is an error naming file and line), ``None`` printed as blank, and values passed
as data: a field holding ``{{ 7*7 }}`` is printed as written. ``autoescape`` is on for HTML and
XML (documents, console) and off for plain-text mail; ``xml_text`` drops the characters XML cannot
hold. Template faults become :class:`forms.errors.TemplateError` naming template and line.
"""

from __future__ import annotations

import re
import traceback
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from forms.errors import TemplateError

#: The repository's templates (operators edit them): mail/, documents/, console/.
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _blank(value: Any) -> Any:
    return "" if value is None else value


def _xml_text(value: Any) -> Any:
    if value is None:
        return ""
    return _NOT_XML.sub("", value) if isinstance(value, str) else value


def environment(
    loader: jinja2.BaseLoader | None = None, *, autoescape: bool, xml_text: bool = False
) -> SandboxedEnvironment:
    """A sandboxed environment with the service's rules (see the module text)."""
    return SandboxedEnvironment(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_xml_text if xml_text else _blank,
        auto_reload=False,
    )


def folder_loader(folder: Path) -> jinja2.FileSystemLoader:
    return jinja2.FileSystemLoader(str(folder), encoding="utf-8")


def load(env: jinja2.Environment, name: str, where: Path | str) -> jinja2.Template:
    """The compiled template ``name``; TemplateError (naming ``where`` and the line) when it is
    missing, broken or unreadable."""
    try:
        return env.get_template(name)
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"{where}: template missing") from exc
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{exc.filename or where}:{exc.lineno}: {exc.message}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"{where}: cannot read: {exc}") from exc


def error_line(
    exc: BaseException, filename: str | None, *, compiled: jinja2.Template | None = None
) -> int | None:
    """The template line an error was raised at: its ``lineno``, else the last traceback frame in the
    template. ``Template.render`` rewrites those frames to template lines; a block rendered directly
    (``compiled``) leaves them in the compiled code, mapped back through Jinja's debug info."""
    line = getattr(exc, "lineno", None)
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    if line is None and frames and frames[-1].lineno is not None:
        last = frames[-1].lineno
        line = compiled.get_corresponding_lineno(last) if compiled is not None else last
    return line


def render_failure(
    exc: jinja2.TemplateError, template: jinja2.Template, label: str, *, compiled: bool = False
) -> TemplateError:
    """The TemplateError of a template that failed to render: ``label:line: message``; ``compiled``
    when a block was rendered directly (see :func:`error_line`)."""
    line = error_line(exc, template.filename, compiled=template if compiled else None)
    where = f"{label}:{line}" if line else label
    return TemplateError(f"{where}: {getattr(exc, 'message', None) or exc}")
