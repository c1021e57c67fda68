"""`forms export` on a real store filled by the mailroom from real PDFs — one of them with values that
look like formulas — opened by openpyxl and by the csv module: the stored values come back (CSV with
formula-looking texts neutralised); the ledger of a company as .xlsx; the console's export is scoped."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest
from starlette.testclient import TestClient

from forms.export.files import csv_text
from forms.spec import load_spec
from forms.store import Store
from tests.support.console import World, client_for, sign_in
from tests.support.paths import SAMPLES
from tests.support.post import SEIKI, office
from tests.support.youshiki1 import filled_pdf

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the repo")
HOSTILE = {
    "company_name": "=1+1",
    "representative": "@SUM(A1) 見本",
    "consultation": '=HYPERLINK("http://x.example.jp")',
}
FIXED = 8  # the columns before the 様式1 fields


def stored(o) -> list[dict]:  # type: ignore[no-untyped-def]
    with Store.open(o.settings.store_url) as store:
        rows = [r for r in store.intakes.latest(status="routed") if r.agency == "jetro"]
    return [r.decision["fields"] for r in sorted(rows, key=lambda r: r.id)]  # type: ignore[index]


def test_the_export_gives_the_stored_values_in_csv_and_xlsx(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with office(tmp_path) as o:
        values = json.loads((SAMPLES / "jetro-fillable.values.json").read_text("utf-8"))
        pdf = filled_pdf({**values, **HOSTILE}, tmp_path / "hostile.pdf")
        assert o.forms(monkeypatch, "intake", str(pdf)) == 0
        fields = stored(o)
        assert len(fields) == 2 and fields[1]["company_name"] == "=1+1"
        period = ("--agency", "jetro", "--from", "2026-01-01", "--to", "2027-12-31")
        assert (
            o.forms(
                monkeypatch,
                "export",
                "submissions",
                *period,
                "--format",
                "csv",
                "--out",
                str(tmp_path / "s.csv"),
            )
            == 0
        )
        assert o.forms(monkeypatch, "export", "submissions", *period, "--out", str(tmp_path / "s.xlsx")) == 0
        raw = (tmp_path / "s.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        header, *rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
        book = openpyxl.load_workbook(tmp_path / "s.xlsx")
        xheader, *xrows = list(book["申込み"].iter_rows(values_only=True))
        assert list(xheader) == header and len(rows) == len(xrows) == 2
        labels = header[FIXED:]
        assert labels[:3] == ["申込日", "申込先支援機関", "企業名（屋号）"]
        keys = list(fields[0])  # every key of the decision is a column, in the form's order
        for want, row, xrow in zip(fields, rows, xrows, strict=True):
            by_label = dict(zip(labels, row[FIXED:], strict=True))
            xby_label = dict(zip(labels, xrow[FIXED:], strict=True))
            for key in keys:
                label = next(lb for lb in labels if lb == _label(key))
                assert xby_label[label] == (None if want[key] == "" else want[key]), key
                assert by_label[label] == csv_text(want[key]), key
            assert row[0].startswith("R8-") and row[6] in ("期限内", "本日期限", "期限超過")
        assert rows[1][FIXED + 2] == "'=1+1" and xrows[1][FIXED + 2] == "=1+1"


def _label(key: str) -> str:
    return load_spec().fields[key].label


def test_the_ledger_of_a_company_as_xlsx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with office(tmp_path) as o:
        assert o.forms(monkeypatch, "export", "ledger", SEIKI, "--out", str(tmp_path / "l.xlsx")) == 0
        book = openpyxl.load_workbook(tmp_path / "l.xlsx")
        assert book.sheetnames == ["概要", "支援", "融資"]
        (summary,) = book["概要"].iter_rows(min_row=2, values_only=True)
        assert summary[0] == SEIKI and summary[2:5] == (1_000_000, 300_000, 700_000)
        (support,) = book["支援"].iter_rows(min_row=2, values_only=True)
        assert support[2:5] == ("海外ミニ調査サービス", None, 300_000)  # an empty 概要: an empty cell


def test_the_console_exports_only_the_clerks_agency(world: World, admin: tuple[TestClient, str]) -> None:
    jetro = client_for(world)
    sign_in(jetro, "jetro-clerk")
    period = {"from": "2020-01-01", "to": "2030-12-31"}
    assert jetro.get("/exports/submissions", params={"agency": "scb", **period}).status_code == 403
    got = jetro.get("/exports/submissions", params={"agency": "jetro", "format": "csv", **period})
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    _, *rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"), newline="")))
    assert [r[2] for r in rows] and {r[2] for r in rows} == {"日本貿易振興機構（ジェトロ）"}
    page = jetro.get("/exports").text
    assert 'value="jetro"' in page and 'value="scb"' not in page
    client, _ = admin
    xlsx = client.get("/exports/submissions", params={"agency": "scb", "format": "xlsx", **period})
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    shoji = {"company": "1010001765432"}  # routed to scb only: not a jetro clerk's company
    assert jetro.get("/ledger.xlsx", params=shoji).status_code == 404
    whole = client.get("/ledger.xlsx", params=shoji)
    assert whole.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(whole.content)).sheetnames == ["概要", "支援", "融資"]
