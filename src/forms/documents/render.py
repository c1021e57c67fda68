"""Documents to bytes: a docxtpl template → .docx, a Jinja HTML template → PDF (WeasyPrint).

Both engines run the service's one sandboxed Jinja environment (``forms.templating``):
StrictUndefined (an unknown variable is an error), autoescape on (a value is XML/HTML text, never
markup: ``<script>`` and ``{{ 7*7 }}`` in a company name print as written), ``None`` prints as
blank, characters XML cannot hold are dropped.
Filters: ``yen`` (1000000 → 1,000,000円) and ``wareki`` (date → 令和8年6月10日).
A missing or broken template raises :class:`forms.errors.TemplateError` naming template and line.

The PDF embeds the Japanese font (IPAex Gothic) under the family name ``FormsGothic``. WeasyPrint
subsets the embedded font for each document; subsetting the 6 MB IPAex Gothic costs more than the
layout, so :func:`prepare_font` makes once a cut of it to JIS X 0208 and the cp932 extensions
(~1.8 MB) and caches it in a folder (the service home); characters outside it fall back to the
full font. The renderer reads only ``file:`` and ``data:`` URLs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import io
import os
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import jinja2
import weasyprint
from docx.opc.exceptions import PackageNotFoundError
from docxtpl import DocxTemplate
from fontTools import subset as ft_subset
from fontTools.ttLib import TTFont, TTLibError
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from forms import templating
from forms.errors import ConfigError, TemplateError
from forms.files import private_dir
from forms.jp.wareki import wareki

IPAEX_GOTHIC = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
FONT_FAMILY = "FormsGothic"
SUBSET_NAME = "ipaexg-jis0208-cp932.ttf"
_TAGS = re.compile(r"<[^>]+>")


# -- values into templates ------------------------------------------------------------------------


def yen(value: int | None) -> str:
    """1000000 → '1,000,000円'; None → ''."""
    return "" if value is None else f"{value:,}円"


def wareki_date(value: dt.date | None) -> str:
    """A date as 令和8年6月10日 (no weekday); None → ''."""
    return "" if value is None else wareki(value, weekday=False)


def environment(loader: jinja2.BaseLoader | None = None) -> SandboxedEnvironment:
    """The sandboxed Jinja environment of both engines (``forms.templating``, autoescaped XML text)."""
    env = templating.environment(loader, autoescape=True, xml_text=True)
    env.filters["yen"] = yen
    env.filters["wareki"] = wareki_date
    return env


def context_of(data: Any) -> dict[str, Any]:
    """The template variables of a document: the fields of its dataclass, by name."""
    if not dataclasses.is_dataclass(data) or isinstance(data, type):
        raise TypeError(f"a document's data is a dataclass instance, not {type(data).__name__}")
    return {f.name: getattr(data, f.name) for f in dataclasses.fields(data)}


# -- .docx ----------------------------------------------------------------------------------------


def _docx_line_text(doc: DocxTemplate, line: int | None) -> str:
    """The text of the template line docxtpl numbered ``line`` (one paragraph per line)."""
    if line is None:
        return ""
    xml = re.sub(r"<w:p([ >])", r"\n<w:p\1", doc.patch_xml(doc.get_xml()))
    lines = xml.splitlines()
    return _TAGS.sub("", lines[line - 1]).strip() if 0 < line <= len(lines) else ""


def render_docx(template: Path, data: Any) -> bytes:
    """The .docx of ``data`` through the docxtpl template ``template``."""
    template = Path(template)
    if not template.is_file():
        raise TemplateError(f"{template}: template missing")
    try:
        doc = DocxTemplate(str(template))
        doc.init_docx()
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError) as exc:
        raise TemplateError(f"{template}: not a readable .docx: {exc}") from exc
    try:
        doc.render(context_of(data), jinja_env=environment(), autoescape=True)
    except jinja2.TemplateError as exc:
        line = templating.error_line(exc, "<template>")
        near = _docx_line_text(doc, line)
        where = f"{template.name}:{line}" if line else template.name
        message = getattr(exc, "message", None) or str(exc)
        raise TemplateError(f"{where}: {message}" + (f" (paragraph: {near!r})" if near else "")) from exc
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# -- PDF ------------------------------------------------------------------------------------------


def _font_chars() -> set[int]:
    """ASCII, half-width katakana, JIS X 0208 (levels 1 and 2) and the cp932 extensions (①, ㈱, 髙 …)."""
    chars = set(range(0x20, 0x7F)) | set(range(0xFF61, 0xFFA0)) | {0x3000, 0xA5, 0x203E}
    for hi in [*range(0x81, 0xA0), *range(0xE0, 0xFD)]:
        for lo in [*range(0x40, 0x7F), *range(0x80, 0xFD)]:
            try:
                chars.update(map(ord, bytes([hi, lo]).decode("cp932")))
            except UnicodeDecodeError:
                continue
    return chars


def prepare_font(cache_dir: Path, source: Path = IPAEX_GOTHIC) -> Path:
    """The cut of IPAex Gothic to JIS X 0208 + cp932 in ``cache_dir``, made once (about 4 s)."""
    target = Path(cache_dir) / SUBSET_NAME
    if target.is_file():
        return target
    options = ft_subset.Options()
    options.layout_features = []
    options.hinting = False
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.drop_tables += ["GSUB", "GPOS", "vhea", "vmtx"]
    try:
        font = TTFont(str(source))
        subsetter = ft_subset.Subsetter(options)
        subsetter.populate(unicodes=_font_chars())
        subsetter.subset(font)
        private_dir(target.parent)
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            font.save(fh)
        os.replace(tmp, target)
    except (OSError, TTLibError) as exc:
        raise ConfigError(f"cannot make the document font from {source} in {cache_dir}: {exc}") from exc
    return target


class PdfEngine:
    """WeasyPrint with the Japanese font registered once; compiled templates kept per folder."""

    def __init__(self, font_dir: Path | None = None) -> None:
        if not IPAEX_GOTHIC.is_file():
            raise ConfigError(f"{IPAEX_GOTHIC}: the Japanese font is missing (fonts-ipaexfont-gothic)")
        sources = [IPAEX_GOTHIC] if font_dir is None else [prepare_font(font_dir)]
        src = ", ".join(f"url({p.resolve().as_uri()})" for p in sources)
        self.font_config = FontConfiguration()
        self.fetcher = URLFetcher(allowed_protocols={"file", "data"})
        face = f"@font-face {{ font-family: {FONT_FAMILY}; src: {src}; }}"
        self.font_css = weasyprint.CSS(string=face, font_config=self.font_config, url_fetcher=self.fetcher)
        self._envs: dict[Path, SandboxedEnvironment] = {}

    def _template(self, template: Path) -> jinja2.Template:
        folder = template.parent.resolve()
        env = self._envs.get(folder)
        if env is None:
            env = self._envs[folder] = environment(templating.folder_loader(folder))
        return templating.load(env, template.name, template)

    def html(self, template: Path, data: Any) -> str:
        """The HTML of ``data`` through ``template`` (what the PDF is made from)."""
        compiled = self._template(Path(template))
        try:
            return compiled.render(context_of(data))
        except jinja2.TemplateError as exc:
            raise templating.render_failure(exc, compiled, Path(template).name) from exc

    def pdf(self, template: Path, data: Any) -> bytes:
        html = self.html(template, data)
        try:
            document = weasyprint.HTML(
                string=html, base_url=str(Path(template).resolve().parent), url_fetcher=self.fetcher
            )
            return document.write_pdf(stylesheets=[self.font_css], font_config=self.font_config)
        except Exception as exc:  # WeasyPrint has no error tree of its own: translate all here
            raise TemplateError(f"{Path(template).name}: PDF rendering failed: {exc}") from exc


@functools.cache
def pdf_engine(font_dir: Path | None = None) -> PdfEngine:
    """One engine per font folder and process (the font and the templates are loaded once)."""
    return PdfEngine(font_dir)


def render_pdf(template: Path, data: Any, *, font_dir: Path | None = None) -> bytes:
    """The PDF of ``data`` through the Jinja HTML template ``template``, the Japanese font embedded.

    ``font_dir``: where the cut of the font is cached (made on first use); None embeds a subset of
    the full IPAex Gothic (slower: about 95 ms more per document).
    """
    return pdf_engine(Path(font_dir) if font_dir is not None else None).pdf(Path(template), data)
