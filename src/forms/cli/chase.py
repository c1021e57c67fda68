"""``forms chase``: the scheduler of ``forms serve`` run once (DOMAIN rules 11 and 12).

    forms chase [--today DATE] [--json]

Queues the day's 様式3 reminders (before the 回答期日) and overdue notices (after it) to the bank
officers, and each agency's digest of the submissions whose contact deadline is today or past; only on
business days. Each notice is queued once however often this runs (``store.notices``); ``forms serve``
or ``forms process`` sends them. ``--today`` runs it as on another day (catching up, or a test).
"""

from __future__ import annotations

import argparse
import json

from forms.cli.review_session import add_actor_option
from forms.config import Settings
from forms.errors import UsageError
from forms.jp.wareki import today_in_japan
from forms.normalize import parse_date


def cmd_chase(args: argparse.Namespace, settings: Settings) -> int:
    from forms.chase.run import Chaser
    from forms.review import Review
    from forms.store import Store

    today = parse_date(args.today) if args.today else today_in_japan()
    if today is None:
        raise UsageError(
            f"「--today」: 日付（2027-01-05 又は 令和9年1月5日）として読めません（{args.today}）"
        )
    settings.home.mkdir(parents=True, exist_ok=True)
    with Store.open(settings.store_url) as store:
        review = Review(store, settings)
        try:
            desk = review.desk
            chaser = Chaser(
                store, settings, rulebooks=desk.rulebooks, texts=desk.templates, queue=review.queue
            )
            report = chaser.run(today, actor=args.actor)
        finally:
            review.close()
    if args.json:
        print(json.dumps({"today": today.isoformat(), **report.to_json()}, ensure_ascii=False))
        return 0
    queued, already = len(report.queued), len(report.already)
    print(f"{today.isoformat()}: {queued}件を送信キューに入れました（送信済み {already}件）。")
    for key in report.queued:
        print(f"  {key}")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "chase", help="queue the day's 様式3 reminders and the agencies' deadline digests"
    )
    p.add_argument("--today", help="the day to run as (default: today, JST)")
    p.add_argument("--json", action="store_true", help="print what was queued as JSON")
    add_actor_option(p)
    p.set_defaults(func=cmd_chase)
