"""Paper that came by post or by a fax machine: a clerk scans it and hands the file in (the console's
紙の申込み page, ``forms intake --channel``); it becomes an intake like any other.

The file goes into the mailroom's spool, as a received mail does, with its channel (``post`` or
``fax``) and who handed it in; the mailroom stores, reads and decides it, and answers the bank at the
金融機関E-mail written on the form (``intake.channels``). The file is recognised by its bytes: a PDF,
TIFF, JPEG or PNG scan (or a .docx/.xlsx, a .doc/.xls), nothing else.
"""

from __future__ import annotations

from forms.errors import ReviewError, SpoolError
from forms.extract.carrier import Carrier, sniff
from forms.intake.channels import PAPER
from forms.intake.spool import Spool
from forms.review.desk import Desk

#: What a clerk may hand in (a scan, or a form re-typed and printed to a file).
ACCEPTED = frozenset({Carrier.PDF, Carrier.TIFF, Carrier.JPEG, Carrier.PNG, Carrier.ZIP, Carrier.OLE})


class Paper:
    def __init__(self, desk: Desk) -> None:
        self._settings = desk.settings

    def receive(self, data: bytes, *, filename: str, channel: str, actor: str) -> str:
        """Hand a scanned paper form to the mailroom as an intake of ``channel``; its spool id.
        ReviewError (in Japanese) when it cannot be taken."""
        if channel not in PAPER:
            raise ReviewError("受付経路は「郵送」又は「FAX」を選んでください")
        if not data:
            raise ReviewError("ファイルを選んでください")
        if len(data) > self._settings.max_pdf_bytes:
            limit = self._settings.max_pdf_bytes // (1024 * 1024)
            raise ReviewError(f"ファイルが大きすぎます（{limit}MBまで）")
        if sniff(data) not in ACCEPTED:
            raise ReviewError("PDF又は画像（TIFF・JPEG・PNG）のファイルを選んでください")
        meta = {"source": filename or "upload", "uploaded_by": actor}
        try:
            return Spool(self._settings.home / "spool").put(data, channel=channel, meta=meta).spool_id
        except SpoolError as exc:
            raise ReviewError(f"受け付けられませんでした（{exc}）") from exc
