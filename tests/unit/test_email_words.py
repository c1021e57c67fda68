"""An e-mail address spelled from the form (jp/email_words.py): each word a name read elsewhere on it, so
a misread letter of the address (e read c, a letter lost) or of the name (プ read ブ) spoils the match."""

from __future__ import annotations

import pytest

from forms.jp.email_words import (
    domain_from_name,
    local_from_names,
    marks_in_domain,
    misread_variants,
    nearly_from_form,
)

MAILBOX = frozenset({"kaigai"})


@pytest.mark.parametrize(
    ("email", "name"),
    [
        ("hanako.mihon@sample-seiki.example.co.jp", "株式会社サンプル精機"),  # a loanword, then kanji
        ("rokuko@reiji-foods.example.co.jp", "株式会社例示フーズ"),  # foods: フーズ
        ("saburo.shiken@mihon-shoji.example.co.jp", "見本商事株式会社"),  # shouji shortened
        ("hachiro@sample-kobo.example.co.jp", "有限会社サンプル工房"),
        ("kaigai@mihon-bank.example.jp", "みほん銀行"),  # the bank's kind in English
        ("shiro.mihon@sample-shinkin.example.jp", "サンプル信用金庫"),
        ("nanami@reiji-shinkumi.example.jp", "例示信用組合"),
        ("info@mihonshoji.co.jp", "見本商事株式会社"),  # words run together, a public suffix
    ],
)
def test_a_domain_spelled_from_the_name(email: str, name: str) -> None:
    assert domain_from_name(email, name)


@pytest.mark.parametrize(
    ("email", "name"),
    [
        ("hanako.mihon@sample-seiki.example.co.jp", "株式会社サンブル精機"),  # ゜ lost: b, not p
        ("hanako.mihon@sample-seiki.example.co.jp", "株式会社サンフル精機"),
        ("rokuko@reiji-foods.example.co.jp", "株式会社例示ブーズ"),
        ("hanako.mihon@sample-sciki.example.co.jp", "株式会社サンプル精機"),  # e read c
        ("hanako.mihon@somple-seiki.example.co.jp", "株式会社サンプル精機"),  # a read o
        ("hanako.mihon@sanple-seiki.example.co.jp", "株式会社サンプル精機"),
        ("hanako.mihon@sample-seiki.cxample.co.jp", "株式会社サンプル精機"),  # an ending nobody has
        ("kaigai@mion-bank.example.jp", "みほん銀行"),  # h lost
        ("kaigai@mihon-bank.examplejp", "みほん銀行"),  # the dot lost
        ("nanami@reiji-shinkui.example.jp", "例示信用組合"),
        ("hanako.mihon@sample.example.co.jp", "株式会社サンプル精機"),  # an abbreviation: no evidence
    ],
)
def test_a_domain_not_spelled_from_the_name(email: str, name: str) -> None:
    assert not domain_from_name(email, name)


def test_words_run_together_in_a_label_only_where_no_dash_may_have_been_lost() -> None:
    """A standard fax drops the dash of an address (13 of 397 readings): mihonshoji may be mihon-shoji."""
    assert domain_from_name("info@mihonshoji.co.jp", "見本商事株式会社")
    assert not domain_from_name("info@mihonshoji.co.jp", "見本商事株式会社", joined=False)
    assert not domain_from_name("kaigai@mihonbank.example.jp", "みほん銀行", joined=False)
    assert domain_from_name("kaigai@mihon-bank.example.jp", "みほん銀行", joined=False)


def test_a_local_part_from_the_persons_name_or_a_mailbox_word() -> None:
    assert local_from_names("hanako.mihon@x.example.jp", ["見本　花子"], MAILBOX)
    either = ["兄本　花子", "見本　花子"]  # two readings of the name: either may spell it
    assert local_from_names("mihon_hanako@x.example.jp", either, MAILBOX)
    assert local_from_names("kaigai@x.example.jp", ["例示　一郎"], MAILBOX)
    assert local_from_names("saburo.shiken@x.example.jp", ["試験　三郎"], MAILBOX)  # saburou shortened
    assert not local_from_names("kaiga@x.example.jp", ["例示　一郎"], MAILBOX)  # a letter lost
    assert not local_from_names("hanako.mihon2@x.example.jp", ["見本　花子"], MAILBOX)  # a digit: unvouched
    assert not local_from_names("hanako,mihon@x.example.jp", ["見本　花子"], MAILBOX)
    assert not local_from_names("hanako.mihon@x.example.jp", ["兄本　花子"], MAILBOX)  # the name misread
    assert local_from_names("hanako.mihon@x.example.jp", ["見本花子"], MAILBOX)  # space lost: its words


def test_a_given_name_is_read_any_way_the_dictionary_reads_it_that_an_address_tells_apart() -> None:
    """真理 is shinri by pykakasi's first reading, mari or masamichi by its others: the address says which.
    七海 is nanaumi or nanami, one letter apart: a fax that loses a letter of an address (10 of 345,
    bench/fax_evidence.py) reads one as the other, so neither is evidence."""
    assert local_from_names("mari.sasaki@x.example.jp", ["佐々木　真理"], MAILBOX)
    assert local_from_names("shinri@x.example.jp", ["佐々木　真理"], MAILBOX)
    assert not local_from_names("mar@x.example.jp", ["佐々木　真理"], MAILBOX)  # a letter lost
    assert not local_from_names("mari@x.example.jp", ["佐々木　真埋"], MAILBOX)  # the name misread
    assert not local_from_names("nanami@x.example.jp", ["見本　七海"], MAILBOX)
    assert not local_from_names("nanaumi@x.example.jp", ["見本　七海"], MAILBOX)
    assert local_from_names("hanako@x.example.jp", ["見本　花子"], MAILBOX)  # hanago: no misread away


def test_an_address_one_misread_from_the_form_s_spelling_is_told() -> None:
    """Two readings of a fine fax agree on these (bench/fax_evidence.py): each is a doubt."""
    bank, officer = ["みほん銀行"], ["例示　一郎"]
    misreads = [
        "kaiga@mihon-bank.example.jp",  # i lost
        "kaigai@miho-bank.example.jp",  # n lost
        "kaigai@mihon-bank.exampie.jp",  # l read i
    ]
    assert all(nearly_from_form(m, officer, bank, MAILBOX) for m in misreads)
    assert not nearly_from_form("kaigai@mihon-bank.example.jp", officer, bank, MAILBOX)  # as spelled
    assert not nearly_from_form("info@other.example.jp", officer, bank, MAILBOX)  # nothing of the form
    shoji = ["見本商事株式会社"]
    assert nearly_from_form("saburo.shiken@mion-shoji.example.co.jp", ["試験　三郎"], shoji, MAILBOX)


def test_the_misreads_a_fax_makes_of_an_address_are_undone_only_as_variants() -> None:
    variants = misread_variants("hanako,mihon@sample-sciki.example.co.jp.")
    assert variants[0] == "hanako,mihon@sample-sciki.example.co.jp."  # as read, first
    assert "hanako.mihon@sample-seiki.example.co.jp" in variants
    assert len(misread_variants("c" * 10 + "@x.example.jp")) == 2**4  # four c's at most, each c or e


def test_a_loanword_of_the_domain_one_misread_from_the_name_s_is_told() -> None:
    """Two readings of a fine fax agreed on saple-seiki (bench/fax_evidence.py, m lost): a doubt."""
    person, sole = ["見本　花子"], ["サンプル精工所"]  # サンプル: sample, its consonants s m p l
    assert nearly_from_form("hanako.mihon@saple-seiki.example.co.jp", person, sole, MAILBOX)  # m lost
    assert nearly_from_form("hanako.mihon@somple-seiki.example.co.jp", person, sole, MAILBOX)  # a read o
    assert not nearly_from_form("hanako.mihon@sample-seiki.example.co.jp", person, sole, MAILBOX)
    assert not nearly_from_form("rokuko@reiji-foods.example.co.jp", ["例示　六子"], ["例示フーズ"], MAILBOX)


def test_a_loanword_label_with_a_vowel_lost_or_changed_inside_is_no_word_and_told() -> None:
    """The consonants and the first vowel of sampl, fods, fouds are the loanword's: only their being no
    English word (Debian's wamerican) tells them from sample and foods."""
    person, sole, foods = ["見本　花子"], ["株式会社サンプル精機"], ["例示フーズ"]
    for label in ("sampl", "sampel"):
        email = f"hanako.mihon@{label}-seiki.example.co.jp"
        assert not domain_from_name(email, sole[0], joined=False)
        assert nearly_from_form(email, person, sole, MAILBOX)
    for label in ("fods", "fouds"):
        email = f"rokuko@reiji-{label}.example.co.jp"
        assert not domain_from_name(email, foods[0], joined=False)
        assert nearly_from_form(email, ["例示　六子"], foods, MAILBOX)
    assert domain_from_name("hanako.mihon@sample-seiki.example.co.jp", sole[0], joined=False)
    assert domain_from_name("rokuko@reiji-foods.example.co.jp", foods[0], joined=False)
    assert not marks_in_domain("h@sampl-kinzoku.example.or.jp", "サンプル金属工業協同組合")


def test_a_domain_may_leave_words_of_the_name_out_where_asked_but_spell_the_rest_in_order() -> None:
    coop = "サンプル金属工業協同組合"
    assert domain_from_name("h@sample-kinzoku.example.or.jp", coop, some_words=True)
    assert not domain_from_name("h@sample-kinzoku.example.or.jp", coop)
    assert domain_from_name("kaigai@mihon.example.jp", "みほん銀行", some_words=True)
    assert not domain_from_name("h@kinzoku-sample.example.or.jp", coop, some_words=True)  # out of order
    assert not domain_from_name("h@sample-kinzoku-x.example.or.jp", coop, some_words=True)  # a word not its
    assert not domain_from_name("h@samble-kinzoku.example.or.jp", coop, some_words=True)


@pytest.mark.parametrize(
    ("email", "name", "marked"),
    [
        ("h@sample-seiki.example.co.jp", "サンプル金属工業協同組合", True),  # p: プ
        ("h@sample-seiki.example.co.jp", "サンブル金属工業協同組合", False),
        ("h@sample-seiki.example.co.jp", "サンフル金属工業協同組合", False),
        ("h@kinzoku.example.or.jp", "サンプル金属工業協同組合", False),  # no label for サンプル
        ("h@mihon.example.jp", "みほん商事", True),
        ("h@mibon.example.jp", "みほん商事", False),
        ("h@reiji-foods.example.co.jp", "例示ブーズ", False),
        ("h@seiki.example.co.jp", "見本精機", False),  # no kana that takes a mark: nothing to vouch for
    ],
)
def test_the_marks_of_kana_words_as_the_domain_spells_them(email: str, name: str, marked: bool) -> None:
    assert marks_in_domain(email, name) is marked
