"""Every corpus case as data: what to build and the decision the pipeline must reach (see case.py)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from tests.corpus.carriers import carrier_cases
from tests.corpus.case import JETRO, KOSHA, SCB, SMRJ, Case, Expect, F, P, kept, rejected, review, routed
from tests.corpus.case import case as _c
from tests.corpus.case import ledger as _ledger
from tests.corpus.case import sup as _sup

REASON = "当初はタイ向け切削部品の販路開拓。今回は米国の医療機器向け新製品で、事業内容と目的が異なる。"
REAPP = {"reapplication": True, "reapplication_reason": REASON}
OSAKA = {"hq_postal_code": "530-0001", "hq_address": "大阪府大阪市北区梅田1丁目2番3号"}
KANAGAWA = {"hq_address": "神奈川県横浜市西区みなとみらい2丁目3番4号", "hq_postal_code": "220-0012",
            "tokyo_office_address": "東京都港区芝浦3丁目4番5号"}  # fmt: skip
HACHIOJI = {"hq_address": "八王子市明神町4丁目5番6号", "hq_postal_code": "192-0046"}
SAITAMA = {"hq_address": "埼玉県さいたま市浦和区高砂3丁目15番1号", "hq_postal_code": "330-0063"}
RETAIL = {"industry_category": "小売業", "industry_detail": "菓子小売業"}
SERVICE = {"industry_category": "サービス業", "industry_detail": "ソフトウェア業"}
COOP = {"entity_type": "組合", "company_name": "サンプル金属工業協同組合",
        "corporate_number": "7011005003344",
        "company_name_kana": "サンプルキンゾクコウギョウキョウドウクミアイ",
        "contact_email": "hanako.mihon@sample-kinzoku.example.or.jp"}  # fmt: skip
SOLE = {"entity_type": "個人事業者", "company_name": "サンプル精工所",
        "company_name_kana": "サンプルセイコウショ", "corporate_number": "", "capital_yen": ""}  # fmt: skip
AGRI_MACHINERY = "農業用機械器具製造業"
REQS = ("req_tokyo_office", "req_license", "req_tax", "req_antisocial")
FULL_CAP = [_sup("jetro", "2026-04-20", 600_000), _sup("scb", "2026-05-10", 400_000)]
NOT_SME = "NOT_SME:capital_yen"
SHORT = "タイの自動車部品メーカーへの販路開拓について相談したい。"
TALL_CONSULTATION = "東南アジアの自動車部品メーカー向けに精密切削部品の販路開拓を検討している。" * 8
LONG_CONSULTATION = TALL_CONSULTATION.replace("。", "。現地の商習慣と代理店の探し方について相談したい。")


def _basic_cases() -> list[Case]:
    return [
        _c("jetro-routed-fillable", F, JETRO, "jetro via a bank, every rule passes", routed()),
        _c("scb-routed-printed", P, SCB, "scb via a shinkin; full-width digits, 千円", routed()),
        _c("kosha-routed-fillable", F, KOSHA, "kosha via a shinkumi, loan 利用なし, reqs unticked", routed()),
        _c("smrj-direct-only-fillable", F, SMRJ, "smrj ticked", rejected("SMRJ_DIRECT_ONLY:agency")),
        _c("agency-none-fillable", F, JETRO, "no agency ticked", rejected("AGENCY_MISSING:agency"),
           changes={"agency": None}),
        _c("agency-multiple-fillable", F, JETRO, "jetro and kosha ticked", rejected("AGENCY_MULTIPLE:agency"),
           changes={"agency": ["jetro", "kosha"]}),
        _c("agency-multiple-printed", P, SCB, "jetro and scb ticked (both rule sets pass)",
           rejected("AGENCY_MULTIPLE:agency"), changes={"agency": ["jetro", "scb"]}),
        _c("missing-company-name-fillable", F, JETRO, "company_name blank",
           rejected("FIELD_MISSING:company_name"), changes={"company_name": ""}),
        _c("missing-capital-fillable", F, JETRO, "a 法人 without capital",
           rejected("FIELD_MISSING:capital_yen"), changes={"capital_yen": ""}),
        _c("missing-loan-amount-printed", P, JETRO, "jetro without loan amount",
           rejected("FIELD_MISSING:loan_amount_yen"), changes={"loan_amount_yen": ""}),
        _c("missing-loan-status-printed", P, SCB, "scb without loan status",
           rejected("FIELD_MISSING:loan_status"), changes={"loan_status": ""}),
        _c("kosha-missing-bank-email-fillable", F, KOSHA, "kosha without bank e-mail",
           rejected("FIELD_MISSING:bank_email"), changes={"bank_email": ""}),
        _c("sole-proprietor-no-corpnum-fillable", F, JETRO, "個人事業者 without 法人番号 and capital",
           routed(entity_type="sole_proprietor", company_name="サンプル精工所"), changes=SOLE),
        _c("corpnum-12-digits-fillable", F, JETRO, "a 12-digit 法人番号",
           rejected("FIELD_INVALID:corporate_number"), changes={"corporate_number": "010001234567"}),
        _c("corpnum-check-digit-fillable", F, JETRO, "法人番号 with check digit 5 instead of 4",
           rejected("CORPORATE_NUMBER_INVALID:corporate_number", corporate_number="5010001234567"),
           changes={"corporate_number": "5010001234567"}),
        _c("kosha-corpnum-check-digit-printed", P, KOSHA, "rule 9 applies to kosha too",
           rejected("CORPORATE_NUMBER_INVALID:corporate_number", corporate_number="2010401112233"),
           changes={"corporate_number": "2010401112233"}),
        _c("date-month-13-fillable", F, JETRO, "申込日 令和8年13月1日", rejected("FIELD_INVALID:applied_on"),
           changes={"applied_on": "令和8年13月1日"}),
        _c("contact-email-no-at-fillable", F, JETRO, "contact e-mail without @",
           rejected("FIELD_INVALID:contact_email"), changes={"contact_email": "hanako.sample.example.co.jp"}),
        _c("bank-email-no-at-printed", P, JETRO, "bank e-mail without @",
           rejected("FIELD_INVALID:bank_email"),
           changes={"bank_email": "kaigai.mihon-bank.example.jp"}),
        _c("literal-template-formula-fillable", F, JETRO, "values that look like a template / a formula",
           routed(company_name="{{ 7*7 }}", requested_services="=1+1"),
           changes={"company_name": "{{ 7*7 }}", "requested_services": "=1+1"}),
        _c("fullwidth-era-values-fillable", F, JETRO, "Ｒ８．５．１２, ３億円, ３００人",
           routed(applied_on="2026-05-12", capital_yen=300_000_000, employees=300),
           changes={"applied_on": "Ｒ８．５．１２", "capital_yen": "３億円", "employees": "３００人"}),
    ]


def _rule_cases() -> list[Case]:
    return [
        _c("scb-via-bank-printed", P, SCB, "scb through a 銀行",
           rejected("SCB_REQUIRES_SHINKIN:bank_type", bank_type="bank"),
           changes={"bank_type": "銀行", "bank_name": "みほん銀行",
                    "bank_email": "shiro.mihon@mihon-bank.example.jp"}),
        _c("scb-not-customer-fillable", F, SCB, "信用金庫取引先 unticked",
           rejected("SCB_NOT_CUSTOMER:scb_customer", scb_customer=False), changes={"scb_customer": False}),
        _c("jetro-loan-none-fillable", F, JETRO, "jetro with loan 利用なし",
           rejected("LOAN_STATUS_INELIGIBLE:loan_status", loan_status="none"),
           changes={"loan_status": "利用なし"}),
        _c("basic-req-tax-unticked-fillable", F, JETRO, "基本要件(3) unticked",
           rejected("BASIC_REQUIREMENT_UNCONFIRMED:req_tax", req_tax=False), changes={"req_tax": False}),
        _c("basic-reqs-unticked-printed", P, SCB, "all four 基本要件 unticked",
           rejected(*(f"BASIC_REQUIREMENT_UNCONFIRMED:{k}" for k in REQS)),
           changes=dict.fromkeys(REQS, False)),
        _c("consent-unticked-fillable", F, JETRO, "情報共有への同意 unticked",
           rejected("DECLARATION_MISSING:consent_sharing"), changes={"consent_sharing": False}),
        _c("kosha-declaration-unticked-printed", P, KOSHA, "kosha: 暴力団員等 declaration unticked",
           rejected("DECLARATION_MISSING:declaration_antisocial"), changes={"declaration_antisocial": False}),
        _c("hq-osaka-fillable", F, JETRO, "head office 大阪府大阪市北区…, no Tokyo office",
           rejected("NOT_IN_TOKYO:hq_address"), changes=OSAKA),
        _c("hq-hachioji-no-prefecture-fillable", F, JETRO, "八王子市… without 東京都",
           routed(hq_address=HACHIOJI["hq_address"]), changes=HACHIOJI),
        _c("hq-kanagawa-tokyo-office-printed", P, JETRO, "head office in 神奈川県, Tokyo office in 港区",
           routed(tokyo_office_address=KANAGAWA["tokyo_office_address"]), changes=KANAGAWA),
        _c("kosha-hq-saitama-fillable", F, KOSHA, "kosha: head office in 埼玉県",
           rejected("NOT_IN_TOKYO:hq_address"), changes=SAITAMA),
        _c("industry-dairy-fillable", F, JETRO, "酪農業 is agriculture",
           rejected("EXCLUDED_INDUSTRY:industry_detail"), changes={"industry_detail": "酪農業"}),
        _c("industry-agri-machinery-fillable", F, JETRO, "農業用機械器具製造業 is manufacturing",
           routed(industry_detail=AGRI_MACHINERY), changes={"industry_detail": AGRI_MACHINERY}),
        _c("scb-industry-fishery-printed", P, SCB, "沿岸漁業 is fishery",
           rejected("EXCLUDED_INDUSTRY:industry_detail"), changes={"industry_detail": "沿岸漁業"}),
        _c("loan-limit-exact-fillable", F, JETRO, "loan exactly 2億8,000万",
           routed(loan_amount_yen=280_000_000), changes={"loan_amount_yen": "2億8,000万円"}),
        _c("loan-limit-plus-1-fillable", F, JETRO, "loan 280,000,001",
           rejected("LOAN_AMOUNT_OVER_LIMIT:loan_amount_yen", loan_amount_yen=280_000_001),
           changes={"loan_amount_yen": "280,000,001円"}),
        _c("cooperative-loan-limit-exact-fillable", F, JETRO, "組合 loan exactly 4億8,000万",
           routed(loan_amount_yen=480_000_000), changes={**COOP, "loan_amount_yen": "4億8,000万円"}),
        _c("cooperative-loan-limit-plus-1-printed", P, JETRO, "組合 loan 480,000,001",
           rejected("LOAN_AMOUNT_OVER_LIMIT:loan_amount_yen", loan_amount_yen=480_000_001),
           changes={**COOP, "loan_amount_yen": "480,000,001円"}),
    ]


def _sme(name: str, shape: str, base: str, about: str, expect: Expect, capital: str, staff: str,
         **extra: str) -> Case:  # fmt: skip
    return _c(name, shape, base, about, expect, changes={**extra, "capital_yen": capital, "employees": staff})


def _size_cases() -> list[Case]:
    return [
        _sme("sme-mfg-capital-3oku-fillable", F, JETRO, "製造業 capital exactly 3億, 301 staff",
             routed(capital_yen=300_000_000, employees=301), "3億円", "301人"),
        _sme("not-sme-mfg-capital-plus-1-fillable", F, JETRO, "製造業 capital 300,000,001, 301 staff",
             rejected(NOT_SME, capital_yen=300_000_001), "300,000,001円", "301人"),
        _sme("sme-mfg-employees-300-printed", P, JETRO, "製造業 300 staff, capital 4億",
             routed(employees=300), "4億円", "300人"),
        _sme("not-sme-mfg-employees-301-printed", P, JETRO, "製造業 301 staff, capital 4億",
             rejected(NOT_SME, employees=301), "4億円", "301人"),
        _sme("sme-wholesale-capital-1oku-printed", P, SCB, "卸売業 capital exactly 1億, 101 staff",
             routed(capital_yen=100_000_000), "1億円", "101人"),
        _sme("not-sme-wholesale-capital-plus-1-printed", P, SCB, "卸売業 capital 100,000,001, 101 staff",
             rejected(NOT_SME, capital_yen=100_000_001), "100,000,001円", "101人"),
        _sme("sme-retail-capital-5000man-fillable", F, JETRO, "小売業 capital exactly 5,000万, 51 staff",
             routed(industry_category="retail", capital_yen=50_000_000), "5,000万円", "51人", **RETAIL),
        _sme("not-sme-retail-capital-plus-1-fillable", F, JETRO, "小売業 capital 50,000,001, 51 staff",
             rejected(NOT_SME, capital_yen=50_000_001), "50,000,001円", "51人", **RETAIL),
        _sme("sme-service-employees-100-fillable", F, JETRO, "サービス業 100 staff, capital 1億",
             routed(industry_category="service", employees=100), "1億円", "100人", **SERVICE),
        _sme("not-sme-service-employees-101-fillable", F, JETRO, "サービス業 101 staff, capital 1億",
             rejected(NOT_SME, employees=101), "1億円", "101人", **SERVICE),
        _sme("cooperative-large-fillable", F, JETRO, "組合, capital 5億, 400 staff: no NOT_SME check",
             routed(entity_type="cooperative", capital_yen=500_000_000), "5億円", "400人", **COOP),
        _sme("small-business-mfg-20-fillable", F, JETRO, "製造業 20 staff: SMALL_BUSINESS (info)",
             routed("SMALL_BUSINESS:employees", employees=20), "3,000万円", "20人"),
        _sme("mfg-21-employees-fillable", F, JETRO, "製造業 21 staff: not small",
             routed(employees=21), "3,000万円", "21人"),
        _sme("small-business-retail-5-printed", P, JETRO, "小売業 5 staff: SMALL_BUSINESS (info)",
             routed("SMALL_BUSINESS:employees", employees=5), "3,000万円", "5人", **RETAIL),
        _sme("retail-6-employees-printed", P, JETRO, "小売業 6 staff: not small",
             routed(employees=6), "3,000万円", "6人", **RETAIL),
    ]


def _ledger_cases() -> list[Case]:
    cap_left_1 = [FULL_CAP[0], {**FULL_CAP[1], "cost_excl_tax": 399_999}]
    used_1m = [_sup("jetro", "2026-04-20", 1_000_000)]
    used_300k = [_sup("jetro", "2026-04-20", 300_000)]
    return [
        _c("cap-remaining-1-fillable", F, JETRO, "jetro 600,000 + scb 399,999 used: 1 yen left", routed(),
           ledger=_ledger(cap_left_1)),
        _c("cap-used-up-fillable", F, JETRO, "jetro 600,000 + scb 400,000 used: 0 left",
           rejected("BUDGET_EXHAUSTED"), ledger=_ledger(FULL_CAP)),
        _c("scb-cap-used-up-printed", P, SCB, "scb: the cap is shared with jetro",
           rejected("BUDGET_EXHAUSTED"), ledger=_ledger(FULL_CAP)),
        _c("cap-kosha-not-counted-fillable", F, JETRO, "jetro 999,999 + kosha 500,000: kosha never counts",
           routed(),
           ledger=_ledger([_sup("jetro", "2026-04-20", 999_999), _sup("kosha", "2026-05-01", 500_000)])),
        _c("kosha-cap-used-up-fillable", F, KOSHA, "kosha is not bound by the jetro/scb cap", routed(),
           ledger=_ledger(FULL_CAP)),
        _c("cap-second-frame-fillable", F, JETRO, "2nd frame granted: 1,500,000 of 2,000,000 used", routed(),
           ledger=_ledger([*used_1m, _sup("jetro", "2026-05-25", 500_000)], ("2026-05-15",), ("2026-05-20",)),
           ),
        _c("reapplication-valid-fillable", F, JETRO, "cap used, loan after the first support, reason given",
           routed(reapplication=True, reapplication_reason=REASON), changes=REAPP,
           ledger=_ledger(used_1m, ("2026-05-15",))),
        _c("reapplication-loan-before-support-fillable", F, JETRO, "cap used; the only loan predates support",
           rejected("REAPPLICATION_INVALID:reapplication", "BUDGET_EXHAUSTED"), changes=REAPP,
           ledger=_ledger(used_1m, ("2026-04-01",))),
        _c("reapplication-no-loan-fillable", F, JETRO, "re-application ticked, no loan, cap not used up",
           rejected("REAPPLICATION_INVALID:reapplication"), changes=REAPP, ledger=_ledger(used_300k)),
        _c("reapplication-blank-reason-fillable", F, JETRO, "re-application ticked, reason blank",
           rejected("FIELD_MISSING:reapplication_reason"),
           changes={"reapplication": True, "reapplication_reason": ""},
           ledger=_ledger(used_300k, ("2026-05-15",))),
    ]


def _scan_and_retyped_cases() -> list[Case]:
    s, r = "scanned", "retyped"
    big = {"capital_yen": "4億円", "employees": "400人"}
    scan = {"slow": True, "accept_low_confidence": True, "compare": "required"}
    return [
        _c("scanned-jetro-routed", s, JETRO, "jetro scan", routed(), seed=11, **scan),
        _c("scanned-scb-routed", s, SCB, "scb scan, full-width digits", routed(), seed=12, **scan),
        _c("scanned-not-sme", s, JETRO, "scan: capital 4億, 400 staff",
           rejected(NOT_SME, capital_yen=400_000_000, employees=400), seed=13, changes=big, **scan),
        _c("scanned-kosha-declaration-unticked", s, KOSHA, "scan: a declaration box left empty",
           rejected("DECLARATION_MISSING:declaration_antisocial", declaration_antisocial=False), seed=14,
           changes={"declaration_antisocial": False}, **scan),
        _c("scanned-agency-none", s, JETRO, "scan: no agency ticked", rejected("AGENCY_MISSING:agency"),
           seed=15, changes={"agency": None}, **scan),
        _c("scanned-blot-capital", s, JETRO, "scan, an ink blot over the capital: LOW_CONFIDENCE",
           review("LOW_CONFIDENCE:capital_yen"), seed=16, builder="blot:capital_yen", **scan),
        _c("retyped-table-reordered", r, JETRO, "rows in another order, ■/□ ticks, agency as its name",
           routed(), builder="table_reordered"),
        _c("retyped-two-per-line", r, SCB, "two label/value pairs per line, レ ticks, agency as ■/□ list",
           routed(), builder="two_per_line"),
        _c("retyped-checkmarks-kosha", r, KOSHA, "bank section first, ✓ ticks, agency as its name",
           routed(), builder="sections_checkmarks"),
        _c("retyped-two-per-line-not-sme", r, JETRO, "two pairs per line; capital 4億, 400 staff",
           rejected(NOT_SME, capital_yen=400_000_000), builder="two_per_line", changes=big),
        _c("retyped-agency-unticked", r, JETRO, "agency as a □ list, nothing ticked",
           rejected("AGENCY_MISSING:agency"), builder="two_per_line", changes={"agency": None}),
        _c("retyped-no-tounicode", r, JETRO, "printed, /ToUnicode removed: undecodable, read as a scan",
           routed(), builder="no_tounicode", **scan),
    ]


def _mail_cases() -> list[Case]:
    e = "email"
    return [
        _c("mail-iso2022jp-nec", e, JETRO, "ISO-2022-JP with ① ㈱ in subject, body, RFC 2231 name",
           routed(), builder="iso2022jp_nec", attachment="様式1①_㈱サンプル精機.pdf"),
        _c("mail-sjis-base64", e, SCB, "Shift_JIS (cp932, ㈱) base64 body, printed form", routed(),
           builder="sjis_base64", pdf_shape=P, attachment="様式1_見本商事㈱.pdf"),
        _c("mail-utf8-qp", e, KOSHA, "UTF-8 quoted-printable body", routed(), builder="utf8_qp",
           attachment="海外展開支援申込書_例示フーズ.pdf"),
        _c("mail-forwarded", e, JETRO, "forwarded message/rfc822 carrying the PDF", routed(),
           builder="forwarded", attachment="様式1_サンプル精機.pdf"),
        _c("mail-two-pdfs-kessansho", e, SCB, "a 決算書 PDF first, then the 様式1", routed(),
           builder="two_pdfs", attachment="様式1_見本商事.pdf"),
        _c("mail-no-attachment", e, None, "no attachment", review("FORM_NOT_FOUND"), builder="none"),
        _c("mail-too-many-attachments", e, JETRO, "ten 決算書 PDFs, then the 様式1 (eleventh)",
           review("TOO_MANY_ATTACHMENTS", agency=None), builder="many_pdfs", compare="none"),
        _c("mail-only-kessansho", e, None, "only a 決算書 (a text PDF)", review("FORM_NOT_FOUND"),
           builder="only_kessansho"),
        _c("mail-octet-stream", e, JETRO, "PDF sent as application/octet-stream", routed(),
           builder="octet_stream", pdf_shape=P, attachment="youshiki1.pdf"),
        _c("mail-inline", e, KOSHA, "inline part", routed(), builder="inline", attachment="申込書.pdf"),
        _c("mail-hostile-filename", e, JETRO, "attachment named ../../x.pdf", routed(),
           builder="hostile_name", attachment="../../x.pdf"),
        _c("mail-broken-mime", e, SCB, "closing boundary missing", routed(), builder="broken_mime"),
        _c("mail-sender-unknown", e, JETRO, "allow-list set, sender's domain not on it",
           review("SENDER_UNKNOWN"), builder="utf8_qp",
           settings={"allowed_sender_domains": "trusted-bank.example.jp"}),
        _c("mail-sender-allowed", e, JETRO, "sender's domain on the allow-list", routed(), builder="utf8_qp",
           settings={"allowed_sender_domains": "trusted.example.jp,mihon-bank.example.jp"}),
        _c("mail-loan-over-limit", e, JETRO, "a mailed form that fails a rule",
           rejected("LOAN_AMOUNT_OVER_LIMIT:loan_amount_yen", loan_amount_yen=300_000_000),
           builder="iso2022jp_nec", changes={"loan_amount_yen": "3億円"}),
    ]


def _automatic_cases() -> list[Case]:
    e, automatic = "email", kept("AUTOMATIC_MAIL", agency=None)  # kept, never answered
    return [
        _c("mail-out-of-office", e, JETRO, "an out-of-office reply quoting a 様式1", automatic,
           builder="out_of_office", compare="none"),
        _c("mail-list-post", e, JETRO, "a 様式1 posted to a mailing list (Precedence, List-Id)", automatic,
           builder="list_post", compare="none"),
        _c("mail-bounce", e, JETRO, "a delivery report returning our receipt with its 様式1", automatic,
           builder="bounce", compare="none"),
    ]  # fmt: skip


def _hostile_cases() -> list[Case]:
    h = "hostile"
    bad = review("FORM_UNREADABLE", agency=None)
    return [
        _c("hostile-random-bytes", h, None, "%PDF- header, then random bytes", bad, builder="random_bytes"),
        _c("hostile-truncated-fillable", h, JETRO, "a filled fillable cut at half its length", bad,
           builder="truncated", compare="none"),
        _c("hostile-encrypted", h, JETRO, "a filled fillable with a user password", bad,
           builder="encrypted", compare="none"),
        _c("hostile-2000-pages", h, None, "2,000 pages (page limit)", bad, builder="many_pages"),
        _c("hostile-decompression-bomb", h, None, "inflates to 1.6 GB", bad, builder="bomb", slow=True),
        _c("hostile-million-operators", h, None, "10 million path operators on one page (time limit)", bad,
           builder="operators", slow=True, settings={"extract_timeout_s": "8"}),
    ]


def _producer_cases() -> list[Case]:
    """PDFs made by real tools (producers.py): a misread tick, label or choice would change each decision."""
    p = "producer"
    slow = chrome = {"slow": True}
    unticked = {"declaration_antisocial": False}
    cut = {"consultation": SHORT}  # a one-line 相談内容: the page break cuts the 同意 row
    return [
        _c("producer-gs-jetro-routed", p, JETRO, "Ghostscript print: ticks only as drawings",
           routed(), builder="ghostscript_legacy", **slow),
        _c("producer-gs-declaration-unticked", p, KOSHA, "Ghostscript print: a declaration box left empty",
           rejected("DECLARATION_MISSING:declaration_antisocial", declaration_antisocial=False),
           builder="ghostscript_legacy", changes=unticked, **slow),
        _c("producer-gs-newpdf-jetro-routed", p, JETRO, "Ghostscript 10: labels lose Unicode, OCR",
           routed(), builder="ghostscript", compare="required", **slow),
        _c("producer-cairo-scb-routed", p, SCB, "cairo print: ticks as ZapfDingbats, no Unicode",
           routed(), builder="cairo", **slow),
        _c("producer-cairo-agency-none", p, JETRO, "cairo print: no agency ticked",
           rejected("AGENCY_MISSING:agency"), builder="cairo", changes={"agency": None}, **slow),
        _c("producer-cairo-req-tax-unticked", p, SCB, "cairo print: 基本要件(3) left empty",
           rejected("BASIC_REQUIREMENT_UNCONFIRMED:req_tax", req_tax=False), builder="cairo",
           changes={"req_tax": False}, **slow),
        _c("producer-libreoffice-jetro-routed", p, JETRO, "Word .docx exported by LibreOffice: labels wrap",
           routed(), builder="libreoffice", **slow),
        _c("producer-libreoffice-consent-unticked", p, JETRO, "LibreOffice: the wrapped 同意 label, box ☐",
           rejected("DECLARATION_MISSING:consent_sharing", consent_sharing=False), builder="libreoffice",
           changes={"consent_sharing": False}, **slow),
        _c("producer-libreoffice-smrj", p, SMRJ, "LibreOffice: smrj ticked on the agency list's second line",
           rejected("SMRJ_DIRECT_ONLY:agency"), builder="libreoffice", **slow),
        _c("producer-chromium-jetro-routed", p, JETRO, "HTML printed by Chrome: drawn boxes",
           routed(), builder="chromium", **chrome),
        _c("producer-chromium-not-sme", p, JETRO, "Chrome: capital 4億, 400 staff beside a wrapped label",
           rejected(NOT_SME, capital_yen=400_000_000, employees=400), builder="chromium",
           changes={"capital_yen": "4億円", "employees": "400人"}, **chrome),
        _c("producer-chromium-scb-not-customer", p, SCB, "Chrome: 信用金庫取引先 box left empty",
           rejected("SCB_NOT_CUSTOMER:scb_customer", scb_customer=False), builder="chromium",
           changes={"scb_customer": False}, **chrome),
        _c("producer-chromium-consent-split", p, JETRO, "Chrome: the 同意 label cut by the page break",
           routed(consultation=SHORT), builder="chromium", changes=cut, **chrome),
        _c("producer-chromium-consent-split-unticked", p, JETRO, "Chrome: the cut 同意 label, its box empty",
           rejected("DECLARATION_MISSING:consent_sharing", consent_sharing=False, consultation=SHORT),
           builder="chromium", changes={**cut, "consent_sharing": False}, **chrome),
        _c("producer-chromium-consultation-tall", p, JETRO, "Chrome: 相談内容 of 8 lines, its label centred",
           routed(consultation=TALL_CONSULTATION), builder="chromium",
           changes={"consultation": TALL_CONSULTATION}, **chrome),
        _c("producer-chromium-consultation-over-break", p, JETRO, "Chrome: 相談内容 goes on on the next page",
           routed(consultation=LONG_CONSULTATION), builder="chromium",
           changes={"consultation": LONG_CONSULTATION}, **chrome),
    ]  # fmt: skip


CASES: tuple[Case, ...] = tuple(
    _basic_cases() + _rule_cases() + _size_cases() + _ledger_cases() + _scan_and_retyped_cases()
    + _producer_cases() + _mail_cases() + _automatic_cases() + _hostile_cases() + carrier_cases()
)  # fmt: skip
BY_NAME: Mapping[str, Case] = MappingProxyType({c.name: c for c in CASES})
