"""What a jetro 様式3's mail encloses besides the 様式3 (DOMAIN "What goes out, to whom"): the 様式1 as
the bank sent it, and the agency's 様式2 as the ledger stands on the 様式3's issue day."""

from __future__ import annotations

from pathlib import Path

from forms.documents.batch import file_name, render
from forms.documents.mail import Enclosure, enclosure
from forms.documents.youshiki2 import Youshiki2, supports_for_report, youshiki2_data
from forms.documents.youshiki3 import Youshiki3
from forms.intake.mime import safe_filename
from forms.ledger import CompanyKey, LedgerView
from forms.review.original import original
from forms.rules.loader import Rulebooks
from forms.store import Store
from forms.store.youshiki3 import RoutedForm


def youshiki1_enclosure(store: Store, form: RoutedForm, max_pdf_bytes: int) -> list[Enclosure]:
    """The 様式1 as the bank sent it (the original PDF kept with the intake)."""
    row = store.intakes.get(form.intake_id)
    if row is None:
        return []
    found = original(
        store.intakes.blob(row.sha256),
        form_sha256=row.form_sha256,
        decision=row.decision,
        max_part_bytes=max_pdf_bytes,
    )
    if found.form_bytes is None:
        return []
    name = safe_filename(f"youshiki1-{row.reference or row.id}.pdf")
    return [enclosure(name, found.form_bytes)]


def youshiki2_enclosure(
    data: Youshiki3, key: CompanyKey, *, ledger: LedgerView, rulebooks: Rulebooks, font_dir: Path
) -> Enclosure:
    """様式2 of the issuing agency as the ledger stands on the 様式3's issue day (all support so far)."""
    company = ledger.company(key)
    first = min((s.date for s in company.supports if s.agency == data.issuer.key), default=data.issued_on)
    period = (min(first, data.issued_on), data.issued_on)
    report: Youshiki2 = youshiki2_data(
        company=data.company,
        bank=data.bank,
        agency=data.issuer.key,
        rulebook=rulebooks.for_date(data.issued_on),
        ledger=company,
        supports=supports_for_report(company, data.issuer.key, period),
        period=period,
        issued_on=data.issued_on,
        navigator="",
    )
    return enclosure(file_name(report, "pdf"), render(report, "pdf", font_dir=font_dir))
