"""Long operations as console jobs: the 様式2 and 様式3 batches, and the import of support records.

様式2を一括発行 (``POST /youshiki2/batch``, from the ledger page) issues one 様式2 per company the agency
supported in a period and has not reported for it, as ``forms youshiki2 --batch`` does;
様式3を一括発行 (``POST /youshiki3/batch``, from the deadlines page) one 様式3 per routed jetro/scb
様式1 that has none yet, as ``forms youshiki3 --batch``. Both call ``DocumentPost``'s batch: each
document is written to ``$FORMS_HOME/documents`` and recorded with its reference number, and with
メールで送付 its mail is queued in the outbox in the same transaction (the sender sends it); run
again, or twice at once, a batch issues each document once. An agency clerk issues only their
agency's; an admin chooses the agency (for 様式3: or all). 支援記録の取込 (``/supports/import``,
admins only) reads an uploaded CSV or .xlsx: every row good imports all of them in one transaction,
any bad row imports nothing and the job page lists every bad row and column. All run through
:class:`forms.console.jobs.Jobs` and show their progress on the job page; what they did is an event
with the clerk's name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from forms.console.context import Console, console_of, page, posted, signed_in
from forms.console.ledger import issuers_for, posted_day
from forms.documents.batch import FORMATS
from forms.documents.sending import Batch
from forms.jp.wareki import today_in_japan
from forms.ledger.sheet import Sheet, problem_text, read_sheet
from forms.ledger.supports_import import SupportImport, parse_supports

Progress = Callable[[int, int], None]
#: The formats a clerk may choose for a batch (the value posted → the formats written).
BATCH_FORMATS: dict[str, tuple[str, ...]] = {"docx,pdf": FORMATS, "pdf": ("pdf",), "docx": ("docx",)}


# -- 様式2 and 様式3 batches ------------------------------------------------------------------------


def _batch_agencies(chosen: str, allowed: list[str]) -> tuple[str, ...]:
    """The agencies to issue for: the one chosen, or (nothing chosen) every one the clerk may."""
    if not chosen:
        return tuple(allowed)
    if chosen not in allowed:
        raise HTTPException(403, "この支援機関の様式は発行できません。")
    return (chosen,)


def _start(
    request: Request, actor: str, title: str, operation: Callable[[Progress], Batch], params: dict
) -> Response:
    job = console_of(request).jobs.start(actor, title, operation, params)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


async def youshiki3_batch(request: Request) -> Response:
    _, clerk, form = await posted(request)
    post = console_of(request).post
    agencies = _batch_agencies(str(form.get("agency", "")), issuers_for(clerk))
    if not agencies:
        raise HTTPException(403, "様式3を発行できる支援機関がありません。")
    formats = BATCH_FORMATS.get(str(form.get("format", "")), FORMATS)
    send = form.get("send") == "1"

    def operation(progress: Progress) -> Batch:
        return post.youshiki3_batch(
            agencies=agencies,
            issued_on=today_in_japan(),
            send=send,
            formats=formats,
            actor=clerk.name,
            on_progress=progress,
        )

    params = {"kind": "youshiki3_batch", "agencies": list(agencies), "formats": list(formats), "send": send}
    title = "様式3の一括発行と送付" if send else "様式3の一括発行"
    return _start(request, clerk.name, title, operation, params)


async def youshiki2_batch(request: Request) -> Response:
    _, clerk, form = await posted(request)
    post = console_of(request).post
    agency = str(form.get("agency", ""))
    if agency not in issuers_for(clerk):
        raise HTTPException(403, "この支援機関の様式2は発行できません。")
    period = (
        posted_day(form.get("period_from"), "支援期間の開始"),
        posted_day(form.get("period_to"), "支援期間の終了"),
    )
    if period[1] < period[0]:
        raise HTTPException(400, "支援期間の終わりが始まりより前です。")
    formats = BATCH_FORMATS.get(str(form.get("format", "")), FORMATS)
    send = form.get("send") == "1"

    def operation(progress: Progress) -> Batch:
        return post.youshiki2_batch(
            agency=agency,
            period=period,
            issued_on=today_in_japan(),
            send=send,
            formats=formats,
            actor=clerk.name,
            on_progress=progress,
        )

    params = {
        "kind": "youshiki2_batch",
        "agency": agency,
        "period": [d.isoformat() for d in period],
        "formats": list(formats),
        "send": send,
    }
    title = "様式2の一括発行と送付" if send else "様式2の一括発行"
    return _start(request, clerk.name, title, operation, params)


# -- support import -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    """What an import did: rows imported (and of how many companies), or the problems (then none)."""

    file_name: str
    imported: int
    companies: int
    problems: tuple[str, ...]


def _parse(console: Console, data: bytes, progress: Progress) -> SupportImport:
    sheet = read_sheet(data)
    if not isinstance(sheet, Sheet):
        return SupportImport((), (sheet,))
    total = len(sheet.rows)
    done = [0]

    def on_row() -> None:
        done[0] += 1
        progress(done[0], total)

    progress(0, total)
    return parse_supports(sheet, console.agency_names(), on_row=on_row)


def _import_supports(
    console: Console, name: str, data: bytes, actor: str, progress: Progress
) -> ImportResult:
    found = _parse(console, data, progress)
    if found.problems:
        detail = {"file": name, "problems": len(found.problems)}
        console.ledger.note_refused_import(detail, actor=actor)
        return ImportResult(name, 0, 0, tuple(problem_text(p) for p in found.problems))
    count = console.ledger.add_supports(list(found.supports), actor=actor)
    return ImportResult(name, count, len({key for key, _ in found.supports}), ())


async def import_form(request: Request) -> Response:
    session, clerk = await signed_in(request, admin=True)
    return page(request, "import.html", {"error": None}, session=session, clerk=clerk)


async def import_supports(request: Request) -> Response:
    session, clerk, form = await posted(request, admin=True)
    console = console_of(request)
    upload = form.get("file")
    data = await upload.read() if isinstance(upload, UploadFile) else b""
    if not data:
        context = {"error": "取り込むファイル（CSV 又は .xlsx）を選んでください。"}
        return page(request, "import.html", context, session=session, clerk=clerk, status_code=400)
    name = (upload.filename if isinstance(upload, UploadFile) else None) or "upload"

    def operation(progress: Progress) -> ImportResult:
        return _import_supports(console, name, data, clerk.name, progress)

    job = console.jobs.start(
        clerk.name, "支援記録の取込", operation, {"kind": "support_import", "file": name}
    )
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)
