"""How a command, a console form or a spreadsheet row names a company: its 法人番号, else (個人事業者)
its name and postal code. Pure: text in, a CompanyKey or the Problems that say what is wrong.

Each Problem names the field (``corporate_number``, ``company_name``, ``postal_code``) and carries
its Japanese ``message`` param, which callers show beside the option or column it came from.
"""

from __future__ import annotations

from forms.errors import Code, InvalidChecksum, InvalidCorporateNumber
from forms.jp import corporate_number
from forms.ledger.company import CompanyKey
from forms.ledger.sheet import CellValue, shown
from forms.model import Problem, problem
from forms.normalize import nfkc_text, parse_postal_code

_CORPNUM = "corporate_number"


def finding(field: str, code: Code, message: str) -> Problem:
    """A problem of one field, before it knows the row or option it came from."""
    return problem(code, field, message=message)


def unreadable(field: str, what: str, value: CellValue) -> Problem:
    return finding(field, Code.FIELD_INVALID, f"{what}として読めません（{shown(value)}）")


def corporate_number_problem(text: str) -> str | Problem:
    """The compact 法人番号, or why ``text`` is not one."""
    try:
        return corporate_number.validate(text)
    except InvalidChecksum:
        return finding(
            _CORPNUM, Code.CORPORATE_NUMBER_INVALID, f"チェックデジットが一致しません（{shown(text)}）"
        )
    except InvalidCorporateNumber:
        return finding(_CORPNUM, Code.FIELD_INVALID, f"法人番号は13桁の数字です（{shown(text)}）")


def company_key(corporate_number: str, company_name: str, postal_code: str) -> CompanyKey | list[Problem]:
    """The company a row or a command names: its 法人番号, else (個人事業者) its name and postal code."""
    if corporate_number.strip():
        number = corporate_number_problem(corporate_number)
        return CompanyKey.for_corporation(number) if isinstance(number, str) else [number]
    if not company_name.strip() and not postal_code.strip():
        return [finding(_CORPNUM, Code.FIELD_MISSING, "法人番号、又は企業名と郵便番号を入力してください")]
    problems: list[Problem] = []
    if not company_name.strip():
        problems.append(
            finding("company_name", Code.FIELD_MISSING, "個人事業者は企業名（屋号）を入力してください")
        )
    postal = parse_postal_code(postal_code) if postal_code.strip() else None
    if not postal_code.strip():
        problems.append(finding("postal_code", Code.FIELD_MISSING, "個人事業者は郵便番号を入力してください"))
    elif postal is None:
        problems.append(unreadable("postal_code", "郵便番号", postal_code))
    if problems or postal is None:
        return problems
    return CompanyKey.for_sole_proprietor(nfkc_text(company_name), postal)
