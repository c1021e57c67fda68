"""The console's own pages render in the one sandboxed Jinja environment (forms.templating), as the
operators' mail templates do: a page an operator edited to reach Python's internals is refused, and
nothing of them reaches the browser (the console app over HTTP, its pages copied and one edited)."""

from __future__ import annotations

import shutil
from pathlib import Path

from starlette.testclient import TestClient

from forms import templating
from forms.console import create_app
from tests.support.console import SECRET, World

HOSTILE = "{{ ''.__class__.__mro__[1].__subclasses__() }}{{ cycler.__init__.__globals__.os.getcwd() }}"


def test_an_edited_console_page_cannot_reach_python_internals(world: World, tmp_path: Path) -> None:
    pages = tmp_path / "console"
    shutil.copytree(templating.TEMPLATES / "console", pages)
    signin = pages / "signin.html"
    signin.write_text(
        signin.read_text(encoding="utf-8").replace("{% block main %}", "{% block main %}" + HOSTILE, 1)
    )
    app = create_app(
        world.settings, review=world.review, accounts=world.users, secret=SECRET, templates=pages
    )
    client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    page = client.get("/signin")
    assert page.status_code == 500
    assert "subclasses" not in page.text and "<class" not in page.text and str(Path.cwd()) not in page.text
    signin.write_text(
        signin.read_text(encoding="utf-8").replace(HOSTILE, "{{ request_path }}"), encoding="utf-8"
    )
    fresh = create_app(
        world.settings, review=world.review, accounts=world.users, secret=SECRET, templates=pages
    )
    assert TestClient(fresh, base_url="https://testserver").get("/signin").status_code == 200, (
        "a plain edit works"
    )
