"""`forms support|loan|ledger` as an operator runs them: real executable, real store under FORMS_HOME,
real CSV (UTF-8 with BOM, CP932) and .xlsx files made by openpyxl."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from forms.ledger import CompanyKey, CompanyLedger
from forms.store import Store
from forms.store.ledger import StoreLedger

FORMS = Path(sys.executable).with_name("forms")
ACME = "4010001234567"
OTHER = "1010001765432"
CAP = 1_000_000
#: Each test runs the real `forms` a few times (about 2-3 s per start-up).
pytestmark = pytest.mark.slow


def run_forms(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FORMS_HOME": str(home)}
    return subprocess.run([str(FORMS), *args], capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture(scope="module", autouse=True)
def ledger_commands_are_wired() -> None:
    r = subprocess.run([str(FORMS), "ledger", "--help"], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        pytest.fail("`forms ledger` is missing: cli.build_parser must call cli_ledger.register(sub)")


def stored(home: Path, key: CompanyKey) -> CompanyLedger:
    """What the store under ``home`` holds for ``key`` (read in-process, as a second witness)."""
    with Store.open(f"sqlite:///{home / 'forms.db'}") as store:
        return StoreLedger(store, CAP).company(key)


def empty_store(home: Path) -> None:
    """A store exists under ``home`` (so "nothing written" is about rows, not about the file)."""
    home.mkdir(parents=True)
    Store.open(f"sqlite:///{home / 'forms.db'}").close()


def write_csv(path: Path, rows: Sequence[Sequence[str]], encoding: str) -> Path:
    path.write_bytes("\r\n".join(",".join(r) for r in rows).encode(encoding))
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[Any]]) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for r in rows:
        ws.append(list(r))
    wb.save(path)
    return path


def ledger_json(home: Path, *company: str) -> dict[str, Any]:
    r = run_forms(home, "ledger", *company, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


LEDGER_LABELS = [
    "支援日",
    "支援機関",
    "支援内容",
    "経費（税抜）",
    "消費税",
    "上限額",
    "利用済額",
    "利用可能残額",
]
LEDGER_FIGURES = [
    "枠数",
    "融資実行日",
    "融資額",
    "2,000,000円",
    "1,200,000円",
    "50,000,000円",
    "日本貿易振興機構",
]


def import_three_files(home: Path, folder: Path) -> None:
    """jetro rows in a UTF-8 CSV with English headers, an scb row in Shift_JIS with Japanese ones,
    and an .xlsx with typed cells, imported by `forms support import`."""
    en = ["agency", "corporate_number", "date", "service", "cost_excl_tax", "tax"]
    jetro_rows = [
        en,
        ["jetro", ACME, "2026-06-10", "海外ミニ調査サービス", "300000", "30000"],
        ["jetro", OTHER, "2026-06-11", "海外ミニ調査サービス", "100000", "10000"],
    ]
    utf8 = write_csv(folder / "jetro.csv", jetro_rows, "utf-8-sig")
    ja = ["支援機関", "法人番号", "企業名", "支援日", "支援内容", "概要", "経費（税抜）", "消費税"]
    scb_row = [
        "信金中央金庫",
        ACME,
        "株式会社見本",
        "令和8年6月12日",
        "商談会",
        "ベトナム",
        "20万円",
        "2万円",
    ]
    sjis = write_csv(folder / "scb.csv", [ja, scb_row], "cp932")
    xlsx_rows = [
        ja,
        ["jetro", int(ACME), None, dt.datetime(2026, 6, 20), "調査", None, 300000.0, 30000],
        ["kosha", ACME, None, dt.date(2026, 6, 21), "展示会", None, 1000000, None],
    ]
    book = write_xlsx(folder / "mixed.xlsx", xlsx_rows)
    for path in (utf8, sjis):
        r = run_forms(home, "support", "import", str(path))
        assert r.returncode == 0, r.stderr
        assert r.stderr == ""  # no progress bar when stderr is not a terminal
    r = run_forms(home, "support", "import", str(book), "--progress")
    assert r.returncode == 0, r.stderr
    assert "2件" in r.stdout and "取込" in r.stderr and "100%" in r.stderr


def test_supports_loans_and_frames_add_up_in_the_ledger(tmp_path: Path) -> None:
    home = tmp_path / "home"
    r = run_forms(home, "support", "add", "--agency", "kosha", "--company", ACME, "--date", "2026-06-01",
                  "--service", "専門家派遣", "--cost", "500000", "--tax", "50000")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "利用済額 0円" in r.stdout  # kosha never counts toward the cap
    import_three_files(home, tmp_path)
    before_loan = ledger_json(home, "--company", ACME)
    assert (before_loan["used"], before_loan["remaining"], before_loan["frames"]) == (800000, 200000, 1)
    assert not before_loan["disbursed_since_last_frame"]
    r = run_forms(home, "loan", "add", "--company", ACME, "--date", "2026-07-01", "--amount", "50000000",
                  "--menu", "海外展開支援")  # fmt: skip
    assert r.returncode == 0, r.stderr
    with Store.open(f"sqlite:///{home / 'forms.db'}") as store:  # a routed re-application grants a frame
        assert StoreLedger(store, CAP).add_frame(CompanyKey.for_corporation(ACME), dt.date(2026, 7, 15))
    acme = ledger_json(home, ACME)  # the positional form
    assert (acme["cap"], acme["used"], acme["remaining"], acme["frames"]) == (2 * CAP, 800000, 1_200_000, 2)
    assert [s["agency"] for s in acme["supports"]] == ["kosha", "jetro", "scb", "jetro", "kosha"]
    assert sum(s["tax"] for s in acme["supports"]) == 50000 + 30000 + 20000 + 30000
    assert acme["loans"] == [{"date": "2026-07-01", "amount": 50000000, "menu": "海外展開支援"}]
    assert ledger_json(home, "--company", OTHER)["used"] == 100000
    r = run_forms(home, "ledger", "--company", ACME)
    assert r.returncode == 0, r.stderr
    for text in LEDGER_LABELS + LEDGER_FIGURES:
        assert text in r.stdout, text


def test_a_bad_file_imports_nothing_and_names_every_bad_row_and_column(tmp_path: Path) -> None:
    home = tmp_path / "home"
    ja = ["支援機関", "法人番号", "企業名", "郵便番号", "支援日", "支援内容", "経費（税抜）", "消費税"]
    rows = [
        ja,
        ["jetro", ACME, "", "", "2026-06-10", "調査", "300000", "30000"],  # good
        ["jetro", "4010001234568", "", "", "2026-06-31", "調査", "300000", ""],  # 3: check digit, no 6/31
        ["ジェトロ", ACME, "", "", "2026-06-10", "", "300000.5", ""],  # 4: no service, ½ yen
        ["公社", "", "見本商店", "", "R8.6.1", "派遣", "1000", "abc"],  # 5: no postal code, tax unreadable
        ["nasa", ACME, "", "", "2026-06-10", "調査", "1000", ""],  # 6: unknown agency
    ]
    path = write_csv(tmp_path / "bad.csv", rows, "cp932")
    empty_store(home)
    r = run_forms(home, "support", "import", str(path))
    assert r.returncode == 1
    assert r.stdout == ""
    named = set(re.findall(r"\d+行目「[^」]+」", r.stderr))
    assert named == {
        "3行目「法人番号」", "3行目「支援日」", "4行目「支援内容」", "4行目「経費（税抜）」",
        "5行目「郵便番号」", "5行目「消費税」", "6行目「支援機関」",
    }  # fmt: skip
    assert "何も記録しませんでした" in r.stderr
    assert stored(home, CompanyKey.for_corporation(ACME)).supports == ()


def test_bad_options_are_refused_in_japanese_and_nothing_is_written(tmp_path: Path) -> None:
    home = tmp_path / "home"
    empty_store(home)
    bad = ["--agency", "nasa", "--company", "4010001234568", "--date", "令和8年13月1日", "--service", "調査"]
    r = run_forms(home, "support", "add", *bad, "--cost", "300,000", "--tax", "1.5")
    assert r.returncode == 1
    for option in ("--agency", "--company", "--date", "--cost", "--tax"):
        assert f"「{option}」" in r.stderr, option
    assert "チェックデジット" in r.stderr
    r = run_forms(home, "loan", "add", "--name", "見本商店", "--postal-code", "144", "--date", "2026-07-01",
                  "--amount", "5千万")  # fmt: skip
    assert r.returncode == 1
    assert "「--postal-code」" in r.stderr and "「--amount」" in r.stderr
    assert stored(home, CompanyKey.for_corporation("4010001234568")).supports == ()
    assert stored(home, CompanyKey.for_corporation(ACME)).supports == ()
    assert stored(home, CompanyKey.for_sole_proprietor("見本商店", "144")).loans == ()


def test_a_sole_proprietor_is_named_by_name_and_postal_code(tmp_path: Path) -> None:
    home = tmp_path / "home"
    header = ["agency", "company_name", "postal_code", "date", "service", "cost_excl_tax"]
    row = ["jetro", "見本 商店", "〒1440052", "2026-06-10", "調査", "250000"]
    path = write_csv(tmp_path / "s.csv", [header, row], "utf-8-sig")
    assert run_forms(home, "support", "import", str(path)).returncode == 0
    r = run_forms(home, "ledger", "--name", "見本商店", "--postal-code", "144-0052", "--json")
    assert r.returncode == 0, r.stderr
    assert (json.loads(r.stdout)["used"], json.loads(r.stdout)["remaining"]) == (250000, 750000)
