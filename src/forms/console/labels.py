"""What the console shows a clerk, in Japanese: statuses, reason codes, event kinds, outbox states.

Short names only; the full message of a reason is the one stored with its decision.
"""

from __future__ import annotations

from forms.errors import Code

STATUS = {
    "routed": "受付可（転送済み）",
    "rejected": "差戻し",
    "needs_review": "要確認",
    "duplicate": "重複",
    "automatic": "自動送信のメール（返信なし）",
    "handled": "対応済み",
    "failed": "処理失敗",
    "received": "受信（未処理）",
    "processing": "処理中",
    "all": "すべて",
}

#: The queue's status filter (blank: the open queue — needs_review, rejected, failed, not handled).
QUEUE_STATUSES = ("needs_review", "rejected", "failed", "handled", "routed", "duplicate", "automatic", "all")

REASON = {
    Code.FORM_NOT_FOUND: "様式1なし",
    Code.FORM_UNREADABLE: "PDF読取不可",
    Code.LOW_CONFIDENCE: "読取り不確実",
    Code.SENDER_UNKNOWN: "送信元不明",
    Code.AGENCY_MISSING: "申込先未選択",
    Code.AGENCY_MULTIPLE: "申込先複数",
    Code.SMRJ_DIRECT_ONLY: "中小機構は直接申込",
    Code.FIELD_MISSING: "未記入",
    Code.FIELD_INVALID: "形式誤り",
    Code.CORPORATE_NUMBER_INVALID: "法人番号誤り",
    Code.SCB_REQUIRES_SHINKIN: "信金経由でない",
    Code.SCB_NOT_CUSTOMER: "信金取引先でない",
    Code.LOAN_STATUS_INELIGIBLE: "制度融資の利用なし",
    Code.BASIC_REQUIREMENT_UNCONFIRMED: "基本要件未確認",
    Code.DECLARATION_MISSING: "表明・同意なし",
    Code.NOT_IN_TOKYO: "都内事業所なし",
    Code.EXCLUDED_INDUSTRY: "対象外業種",
    Code.NOT_SME: "中小企業者でない",
    Code.LOAN_AMOUNT_OVER_LIMIT: "融資限度額超過",
    Code.BUDGET_EXHAUSTED: "支援上限到達",
    Code.REAPPLICATION_INVALID: "再申請の要件不備",
    Code.SMALL_BUSINESS: "小規模企業者",
    Code.AUTOMATIC_MAIL: "自動送信のメール",
    Code.BOUNCE_RECORDED: "不達の通知（記録済み）",
    Code.REPORT_UNMATCHED: "配信状況の通知（対応なし）",
}

EVENT = {
    "received": "受信",
    "decided": "判定",
    "failed": "処理失敗",
    "retry": "再処理",
    "corrected": "修正",
    "routed_by_clerk": "担当者が転送",
    "rejected_by_clerk": "担当者が差戻し",
    "handled": "対応済み",
    "reprocessed": "一括再処理",
    "lease_expired": "処理の引継ぎ",
    "frame_granted": "支援枠の付与",
    "sent": "送信",
    "send_failed": "送信失敗（再試行）",
    "send_unconfirmed": "送信の応答なし（届いた可能性あり・再試行）",
    "dead_letter": "送信不能",
    "requeued": "再送",
    "send_lease_expired": "送信の引継ぎ",
    "user_added": "アカウント追加",
    "user_changed": "役割・担当の変更",
    "user_disabled": "アカウント無効化",
    "user_enabled": "アカウント有効化",
    "password_changed": "パスワード変更",
    "signed_in": "サインイン",
    "signed_out": "サインアウト",
    "sign_in_failed": "サインイン失敗",
    "bounced": "不達の通知",
}

OUTBOX_STATE = {
    "pending": "送信待ち",
    "sending": "送信中",
    "sent": "送信済み",
    "dead": "送信不能",
    "bounced": "不達（配信エラーの通知あり）",
}

MESSAGE_KIND = {
    "agency_forward": "支援機関への転送",
    "bank_receipt": "受付通知（金融機関）",
    "bank_rejection": "差戻し通知（金融機関）",
    "bank_review": "確認中の通知（金融機関）",
}

ROLE = {"clerk": "担当者", "admin": "管理者"}


def status_ja(status: str | None) -> str:
    return STATUS.get(status or "", status or "未判定")


def reason_ja(code: str) -> str:
    try:
        return REASON[Code(code)]
    except ValueError:
        return code


def event_ja(kind: str) -> str:
    return EVENT.get(kind, kind)
