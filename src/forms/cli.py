"""The ``forms`` command: builds Settings, wires the objects, prints results. Nothing else."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from forms.config import Settings, load_settings
from forms.errors import FormsError
from forms.model import Decision, Status
from forms.pipeline import JST, Pipeline
from forms.spec import load_spec

STATUS_JA = {
    Status.ROUTED: "受付可（支援機関へ転送）",
    Status.REJECTED: "差戻し（金融機関へ修正依頼）",
    Status.NEEDS_REVIEW: "要確認（担当者が確認）",
    Status.DUPLICATE: "重複（送信済み）",
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


def cmd_intake(args: argparse.Namespace, settings: Settings) -> int:
    paths = [Path(p) for p in args.paths]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        print(f"forms: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    with Pipeline(settings) as pipeline:
        for decision in pipeline.decide_many(paths, received_at=_parse_received(args.received)):
            if args.json:
                print(json.dumps(decision.to_json(), ensure_ascii=False), flush=True)
            else:
                print(summary_ja(decision) + "\n", flush=True)
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Decide the sample intakes and show the decisions."""
    folder = Path(args.samples)
    inputs = sorted([*folder.glob("*.pdf"), *folder.glob("*.eml")])
    if not inputs:
        print(f"forms demo: no samples in {folder}", file=sys.stderr)
        return 2
    print(f"デモ: {folder} の {len(inputs)} 件を判定します（ドライラン：記録・送信なし）\n")
    with Pipeline(settings) as pipeline:
        for decision in pipeline.decide_many(inputs):
            print(summary_ja(decision) + "\n", flush=True)
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="forms", description="海外展開支援 様式1 メールルーム")
    ap.add_argument("--config", type=Path, help="settings file (TOML)")
    ap.add_argument("-v", "--verbose", action="store_true", help="log what happens to each input")
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("intake", help="decide 様式1 PDFs or e-mails")
    p.add_argument("paths", nargs="+", help=".pdf or .eml files")
    p.add_argument("--json", action="store_true", help="one JSON decision per input (DOMAIN.md format)")
    p.add_argument("--dry-run", action="store_true", help="record and send nothing")
    p.add_argument("--received", help="received date (ISO) to judge by; default: the mail's, else now")
    p.set_defaults(func=cmd_intake)
    d = sub.add_parser("demo", help="decide the sample intakes and show the decisions")
    d.add_argument("--samples", default="../shared/samples", help="folder of sample .pdf/.eml")
    d.set_defaults(func=cmd_demo)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = load_settings(args.config)
        return int(args.func(args, settings))
    except FormsError as exc:
        print(f"forms: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
