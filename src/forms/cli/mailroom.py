"""The mailroom's commands of ``forms``: decide files, drain once, serve all day, decide as a worker,
run the demo.

    forms intake FILE... [--json] [--dry-run] [--received DATE] [--channel post|fax]
    forms process | serve | work
    forms demo [--samples DIR]

Each command imports what it runs (the pipeline, the mailroom, the store) inside its function: the
parser of ``forms`` stays light for every other command (tests/integration/test_cli.py checks it).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import shutil
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from forms.config import Settings
from forms.files import private_dir
from forms.intake.channels import PAPER
from forms.jp.wareki import JST
from forms.model import Decision, Status, decision_from_json
from forms.spec import load_spec

if TYPE_CHECKING:
    from forms.ledger import LedgerView

STATUS_JA = {
    Status.ROUTED: "受付可（支援機関へ転送）",
    Status.REJECTED: "差戻し（金融機関へ修正依頼）",
    Status.NEEDS_REVIEW: "要確認（担当者が確認）",
    Status.DUPLICATE: "重複（送信済み）",
    Status.AUTOMATIC: "自動送信のメール（返信せず保管）",
}
SUMMARY_FIELDS = ("applied_on", "company_name", "corporate_number", "bank_name", "bank_branch")


def summary_ja(d: Decision) -> str:
    """A readable Japanese summary of one decision."""
    spec = load_spec()
    agencies = spec["agency"].choices
    lines = [f"■ {d.source}", f"  判定: {STATUS_JA[d.status]}"]
    if d.agency:
        lines.append(f"  申込先: {agencies.get(d.agency, d.agency)}")
    if d.attachment:
        lines.append(f"  添付: {d.attachment}")
    for key in SUMMARY_FIELDS:
        if key in d.fields:
            value = d.fields[key]
            lines.append(f"  {spec[key].label}: {value.isoformat() if isinstance(value, dt.date) else value}")
    if d.reasons:
        lines.append("  理由:")
        lines.extend(f"   - [{r.code}] {r.message}" for r in d.reasons)
    return "\n".join(lines)


def _parse_received(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise SystemExit(f"forms: --received: not an ISO date or datetime: {text!r}") from exc
    return when if when.tzinfo else when.replace(tzinfo=JST)


def _dry_run_ledger(settings: Settings) -> LedgerView:
    """The ledger under FORMS_HOME when a store exists there (read, never changed); without a store
    nothing is recorded, so the ledger is empty (a ticked 再申請 has nothing to re-apply for)."""
    # start-up: the store and the rulebooks are loaded only by the commands that need them
    from forms.ledger import MemoryLedger
    from forms.rules.loader import load_rulebooks
    from forms.store import Store
    from forms.store.ledger import StoreLedger

    rulebooks = load_rulebooks(settings.rulebook_dir)
    if not settings.database_url and not (settings.home / "forms.db").exists():
        book = rulebooks.newest
        return MemoryLedger(book.shared_cap.cap_per_frame_yen, capped_agencies=book.capped_agencies)
    return StoreLedger.newest(Store.open(settings.store_url), rulebooks)


def _print(decision: Decision, as_json: bool) -> None:
    if as_json:
        print(json.dumps(decision.to_json(), ensure_ascii=False), flush=True)
    else:
        print(summary_ja(decision) + "\n", flush=True)


def cmd_intake(args: argparse.Namespace, settings: Settings) -> int:
    from forms.pipeline import Pipeline

    paths = [Path(p) for p in args.paths]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        print(f"forms: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    received = _parse_received(args.received)
    if not args.dry_run:
        return _intake_recorded(paths, settings, received, args.json, args.channel or "cli")
    with Pipeline(settings, ledger=_dry_run_ledger(settings)) as pipeline:
        for decision in pipeline.decide_many(paths, received_at=received):
            _print(decision, args.json)
    return 0


def _intake_recorded(
    paths: list[Path], settings: Settings, received: dt.datetime | None, as_json: bool, channel: str
) -> int:
    """Spool the files (as ``channel``: ``cli``, or ``post``/``fax`` for scanned paper), decide them
    through the mailroom (store, outbox), print their decisions."""
    from forms.mailroom.worker import Mailroom

    room = Mailroom.open(settings)
    try:
        meta = {} if received is None else {"received_at": received.isoformat()}
        spool_ids = [
            room.spool.put(p.read_bytes(), channel=channel, meta={"source": str(p), **meta}).spool_id
            for p in paths
        ]
        room.drain()
        for spool_id in spool_ids:
            row = room.store.intakes.by_spool_id(spool_id)
            if row is not None and row.decision is not None:
                _print(decision_from_json(row.decision), as_json)
    finally:
        room.close()
    return 0


def cmd_process(args: argparse.Namespace, settings: Settings) -> int:
    """Drain once: sweep the Maildir, poll IMAP if configured, decide and send everything."""
    from forms.intake.imap import FileSeenKeys, ImapPoller
    from forms.intake.maildir import ensure_maildir, sweep_maildir
    from forms.mailroom.serve import imap_config
    from forms.mailroom.worker import Mailroom

    room = Mailroom.open(settings)
    try:
        maildir = settings.maildir or Path("mailroom")
        ensure_maildir(maildir)
        swept = sweep_maildir(maildir, room.spool, max_bytes=settings.max_mail_bytes)
        if settings.imap_host:
            poller = ImapPoller(
                imap_config(settings), room.spool, seen=FileSeenKeys(settings.home / "imap-seen")
            )
            swept += poller.poll_once()
        counts = room.drain()
        print(json.dumps({"swept": swept, **counts, **room.store.counts()}, ensure_ascii=False))
    finally:
        room.close()
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from forms.mailroom.serve import serve

    return serve(settings, args.config)


def cmd_work(args: argparse.Namespace, settings: Settings) -> int:
    """Decide intakes from the store until stopped (SIGTERM/SIGINT)."""
    from forms.mailroom.serve import decide_until_stopped

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    decide_until_stopped(settings, stop, wake_fd=args.wake_fd, done_fd=args.done_fd)
    return 0


#: The file ``forms demo`` leaves in the home it made: only such a home is emptied by the next run.
DEMO_MARKER = ".forms-demo"


def _demo_may_empty(home: Path) -> bool:
    """Whether the demo may empty ``home``: missing, an empty folder, or one a demo made."""
    if not home.exists():
        return True
    if home.is_symlink() or not home.is_dir():
        return False
    return (home / DEMO_MARKER).is_file() or not any(home.iterdir())


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """The whole mailroom on the embedded default: the sample mails and PDFs in, decisions and mail out."""
    from forms.intake.maildir import ensure_maildir, sweep_maildir
    from forms.mailroom.worker import Mailroom

    folder = Path(args.samples)
    inputs = sorted([*folder.glob("*.eml"), *folder.glob("*.pdf")])
    if not inputs:
        print(f"forms demo: no samples in {folder}", file=sys.stderr)
        return 2
    home = settings.home
    if not _demo_may_empty(home):
        print(
            f"forms demo: {home} はデモが作ったフォルダではないため、空にしません。"
            "空のフォルダか存在しないフォルダを FORMS_HOME に指定してください。",
            file=sys.stderr,
        )
        return 2
    shutil.rmtree(home, ignore_errors=True)  # the demo's own folder: every run starts afresh
    private_dir(home)
    (home / DEMO_MARKER).write_text("forms demo\n", encoding="utf-8")
    settings = dataclasses.replace(settings, maildir=home / "mailroom", outbox_dir=home / "outbox")
    ensure_maildir(home / "mailroom")
    for i, path in enumerate(inputs):
        shutil.copy(path, home / "mailroom" / "new" / f"{i:03d}-{path.name}")
    print(f"デモ: {folder} の {len(inputs)} 件を {home}/mailroom/new に投函し、メールルームで処理します。\n")
    args.paths = [str(p) for p in inputs]
    room = Mailroom.open(settings)
    try:
        sweep_maildir(home / "mailroom", room.spool)
        counts = room.drain()
        for row in sorted(room.store.intakes.latest(limit=1000), key=lambda r: r.id):
            if row.decision is not None:
                print(f"[{row.reference}] " + summary_ja(decision_from_json(row.decision)) + "\n")
        sent = sorted((home / "outbox").glob("*.eml"))
        print(f"処理件数: {counts}")
        print(f"送信メール（{home}/outbox。ファイル送信のため外部には送られません）: {len(sent)} 通")
        for eml in sent:
            print(f"  {eml.name}")
    finally:
        room.close()
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``intake``, ``process``, ``serve``, ``work`` and ``demo`` to the ``forms`` command."""
    p = sub.add_parser("intake", help="decide 様式1 files (PDF, TIFF, JPEG, PNG, .docx, .xlsx) or e-mails")
    p.add_argument("paths", nargs="+", help="documents or .eml files (told apart by their bytes)")
    p.add_argument("--json", action="store_true", help="one JSON decision per input (DOMAIN.md format)")
    p.add_argument("--dry-run", action="store_true", help="record and send nothing")
    p.add_argument("--received", help="received date (ISO) to judge by; default: the mail's, else now")
    p.add_argument(
        "--channel",
        choices=PAPER,
        help="paper that came by post or by a fax machine, scanned: the bank is answered at the e-mail "
        "address on the form (default: a file, no bank message)",
    )
    p.set_defaults(func=cmd_intake)
    sub.add_parser("process", help="drain once: Maildir, IMAP, spool → decide → send").set_defaults(
        func=cmd_process
    )
    sub.add_parser("serve", help="run the mailroom: SMTP listener, Maildir, IMAP, workers").set_defaults(
        func=cmd_serve
    )
    w = sub.add_parser("work", help="decide intakes from the store until stopped (two per core)")
    w.add_argument("--wake-fd", type=int, help="(forms serve) a pipe that says an intake is new")
    w.add_argument("--done-fd", type=int, help="(forms serve) a pipe told of each decision")
    w.set_defaults(func=cmd_work)
    d = sub.add_parser("demo", help="run the whole mailroom on the sample intakes and show the outcome")
    d.add_argument("--samples", default="../shared/samples", help="folder of sample .pdf/.eml")
    d.set_defaults(func=cmd_demo)
