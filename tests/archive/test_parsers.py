from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from archive.ingest import IngestRefused, parse
from archive.ingest.parsers import parse_outlet_line
from tests.factories import DEFAULT_BODY, reprint_bytes, reprint_text
from tests.work import counted

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"


def test_reads_an_avim_reprint() -> None:
    parsed = parse(reprint_bytes())
    assert parsed.layout == "avim_reprint"
    assert parsed.title == "BRIDGE OVER THE DERVENT RIVER TO OPEN IN SPRING"
    assert parsed.reprinted_on == date(2017, 9, 6)
    assert parsed.original_outlet.name == "Northern Ledger"
    assert parsed.original_published_on == date(2017, 9, 4)
    assert parsed.reprinter.kind == "think_tank"
    assert "AVİM" in parsed.reprinter.aliases
    assert parsed.text == DEFAULT_BODY
    assert parsed.language == "en"
    assert parsed.warnings == ()


@pytest.mark.parametrize(
    "banner",
    [
        "AVRASYA INCELEMELERI MERKEZI CENTER FOR EURASIAN STUDIES",
        "Avrasya İncelemeleri Merkezi Center for Eurasian Studies",
        "  AVRASYA  İNCELEMELERİ MERKEZİ   CENTER FOR EURASIAN STUDIES  ",
    ],
)
def test_tolerates_banner_variants(banner: str) -> None:
    assert parse(reprint_bytes(banner=banner)).layout == "avim_reprint"


@pytest.mark.parametrize("leading", ["", "\n", "\n\n\n", "  \n\t\n"])
def test_tolerates_leading_blank_lines(leading: str) -> None:
    assert parse(reprint_bytes(leading=leading)).layout == "avim_reprint"


def test_joins_a_title_wrapped_over_two_lines() -> None:
    parsed = parse(reprint_bytes(title="ARMED GROUP CLAIMS A PAUSE,\nGOVERNMENT DENIES ANY TALKS"))
    assert parsed.title == "ARMED GROUP CLAIMS A PAUSE, GOVERNMENT DENIES ANY TALKS"


def test_keeps_headline_punctuation_and_stray_lower_case() -> None:
    parsed = parse(reprint_bytes(title="U.S. ENVOY MEETS McKENZIE, IRAQS PM"))
    assert parsed.title == "U.S. ENVOY MEETS McKENZIE, IRAQS PM"


@pytest.mark.parametrize(
    ("line", "outlet", "place", "published"),
    [
        ("Washington Post, September 4 2017", "Washington Post", "", date(2017, 9, 4)),
        ("Hürriyet Daily News, 8 February 2017", "Hürriyet Daily News", "", date(2017, 2, 8)),
        ("Daily Sabah (4 Nisan 2018)", "Daily Sabah", "", date(2018, 4, 4)),
        ("Daily Sabah (4 Agustos 2018)", "Daily Sabah", "", date(2018, 8, 4)),
        ("Günlük Ayna (29 Ağustos 2016)", "Günlük Ayna", "", date(2016, 8, 29)),
        ("Al-Monitor, Turkey April 17 2015", "Al-Monitor", "Turkey", date(2015, 4, 17)),
        ("Trend, Azerbaijan April 8 2010", "Trend", "Azerbaijan", date(2010, 4, 8)),
        ("Northern Ledger, Sept. 4, 2017", "Northern Ledger", "", date(2017, 9, 4)),
        ("Caspian Review (29 November 2019)", "Caspian Review", "", date(2019, 11, 29)),
    ],
)
def test_reads_outlet_line_forms(line: str, outlet: str, place: str, published: date) -> None:
    assert parse_outlet_line(line) == (outlet, place, published)
    parsed = parse(reprint_bytes(outlet_line=line, reprint_date="01.01.2019"))
    assert (parsed.original_outlet.name, parsed.original_place) == (outlet, place)
    assert parsed.original_published_on == published


@pytest.mark.parametrize(
    "line", ["Just a sentence, with a comma.", "Reuters", "Outlet, Somewhere 12 Smarch 2017"]
)
def test_outlet_line_without_a_date_is_not_an_outlet_line(line: str) -> None:
    assert parse_outlet_line(line) is None


def test_missing_outlet_line_is_a_warning_and_the_text_stays_in_the_body() -> None:
    parsed = parse(reprint_bytes(outlet_line=None))
    assert parsed.original_outlet is None
    assert parsed.text == DEFAULT_BODY
    assert parsed.warnings == ("no outlet line (outlet and original date) after the reprint date",)


@pytest.mark.parametrize(
    ("byline", "name"),
    [("Author: Leyla Mammadova", "Leyla Mammadova"), ("By Deniz Aksoy", "Deniz Aksoy")],
)
def test_reads_a_byline_after_the_outlet_line(byline: str, name: str) -> None:
    parsed = parse(reprint_bytes(byline=byline))
    assert parsed.byline == name
    assert parsed.text == DEFAULT_BODY


def test_empty_closing_line_without_final_newline() -> None:
    data = reprint_text(closing="Kaynak/Source:").rstrip("\n").encode()
    parsed = parse(data)
    assert (parsed.source_line, parsed.original_url, parsed.text) == ("", "", DEFAULT_BODY)


def test_closing_line_with_url_sets_the_original_url() -> None:
    parsed = parse(reprint_bytes(closing="Kaynak/Source: https://ledger.example/bridge"))
    assert parsed.original_url == "https://ledger.example/bridge"
    assert parsed.source_line == "https://ledger.example/bridge"


def test_closing_line_with_an_outlet_name() -> None:
    parsed = parse(reprint_bytes(closing="KAYNAK / SOURCE: Northern Ledger"))
    assert (parsed.source_line, parsed.original_url) == ("Northern Ledger", "")


def test_missing_closing_line_is_a_warning() -> None:
    parsed = parse(reprint_bytes(closing=None))
    assert parsed.text == DEFAULT_BODY
    assert "no closing Kaynak/Source line" in parsed.warnings


def test_body_is_kept_exactly_as_received() -> None:
    body = (
        "the U.S. militarys determination, Iraqs government and -militant-controlled areas.  \n"
        "A second line of the same paragraph.\n\n\n"
        "Türkçe ve English karışık bir paragraf 🚢 with an emoji."
    )
    assert parse(reprint_bytes(body=body)).text == body.rstrip()


def test_recognises_turkish_reprints() -> None:
    body = "Üreticiler bu yıl rekoltenin düşeceğinden endişe ediyor ve destek istiyor."
    parsed = parse(reprint_bytes(title="KURAKLIK ÜRETİCİLERİ ZORLADI", body=body))
    assert parsed.language == "tr"


def test_refuses_banner_without_title() -> None:
    data = reprint_text().replace("BRIDGE OVER THE DERVENT RIVER TO OPEN IN SPRING\n\n", "")
    with pytest.raises(IngestRefused, match="not followed by a title") as refusal:
        parse(data.encode())
    assert refusal.value.code == "no_title"


def test_refuses_banner_followed_by_body_text() -> None:
    data = "\n\n".join(["AVRASYA INCELEMELERI MERKEZI CENTER FOR EURASIAN STUDIES", DEFAULT_BODY])
    with pytest.raises(IngestRefused, match="not followed by a title"):
        parse(data.encode())


def test_refuses_reprint_without_reprint_date() -> None:
    with pytest.raises(IngestRefused, match=r"expected the reprint date \(DD.MM.YYYY\)"):
        parse(reprint_bytes(reprint_date="sometime in 2017"))


@pytest.mark.parametrize("bad", ["31.02.2017", "00.01.2017", "12.13.2017"])
def test_refuses_impossible_reprint_date(bad: str) -> None:
    with pytest.raises(
        IngestRefused, match=f"reprint date '{bad}' is not a calendar date"
    ) as refusal:
        parse(reprint_bytes(reprint_date=bad))
    assert refusal.value.code == "impossible_date"


def test_refuses_impossible_original_date() -> None:
    with pytest.raises(IngestRefused, match="original publication date 'February 30 2017'"):
        parse(reprint_bytes(outlet_line="Northern Ledger, February 30 2017"))


def test_refuses_reprint_without_body() -> None:
    with pytest.raises(IngestRefused, match="no body text"):
        parse(reprint_bytes(body=""))


def test_plain_text_first_line_is_the_title() -> None:
    parsed = parse(b"\n\n  A note on ferries  \n\nThe note's body.\n")
    assert parsed.layout == "plain_text"
    assert parsed.title == "A note on ferries"
    assert parsed.text == "  A note on ferries  \n\nThe note's body."


def test_plain_text_without_letters_is_refused() -> None:
    with pytest.raises(IngestRefused, match="no text"):
        parse(b"  \n\t\n ... \n")


def test_reads_a_json_record_and_keeps_unknown_fields() -> None:
    record = {
        "title": "Invented headline",
        "body": "Invented body.\r\nSecond line.",
        "outlet": "Northern Ledger",
        "published": "2017-09-04",
        "reprinted": "2017-09-06",
        "reprinter": "AVİM",
        "id": "x-1",
    }
    parsed = parse(json.dumps(record, ensure_ascii=False).encode())
    assert parsed.layout == "json_record"
    assert parsed.text == "Invented body.\nSecond line."
    assert parsed.original_published_on == date(2017, 9, 4)
    assert parsed.reprinter.name == "AVİM"
    assert parsed.extra == {"id": "x-1"}


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"body": "text"}, "no 'title'"),
        ({"title": "t", "body": ""}, "no 'body'"),
        ({"title": 5, "body": "b"}, "'title' must be a string"),
        ({"title": "t", "body": "b", "published": "04.09.2017"}, "YYYY-MM-DD"),
        ({"title": "t", "body": "b", "published": "2017-02-31"}, "not a calendar date"),
        ({"title": "t", "body": "b", "url": "ftp:/x"}, "not an http"),
    ],
)
def test_refuses_bad_json_records(record: dict, message: str) -> None:
    with pytest.raises(IngestRefused, match=message):
        parse(json.dumps(record).encode())


def test_a_json_line_that_is_not_json_is_refused_when_only_json_is_accepted() -> None:
    with pytest.raises(IngestRefused, match="not a valid json_record: not JSON"):
        parse(b'{"title": "x", "body": ', layouts=("json_record",))


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.txt")), ids=lambda path: path.name)
def test_every_sample_document_parses(path: Path) -> None:
    parsed = parse(path.read_bytes())
    expected = "plain_text" if path.name.startswith(("09", "10")) else "avim_reprint"
    assert parsed.layout == expected
    assert parsed.warnings == ()


# Files at the upload limit built to be slow: each is read (or refused) with work that does
# not grow line by line (see tests/work.py: at most about 800,000 calls today, for the file
# of a million closing lines; a check per line of the 7 million would pass the bound).
# Before: 25 s for a title of millions of capitalised lines, 8 s for a file without letters.
UPLOAD_LIMIT = 20 * 1024 * 1024
PARSE_CALL_BOUND = 3_000_000


@pytest.mark.parametrize(
    ("content", "outcome"),
    [
        (lambda size: reprint_text(title="\n".join(["AB"] * (size // 3))), "too_long"),
        (lambda size: reprint_text(title="A" * size), "too_long"),
        (lambda size: "{" * size, "no_text"),
        (lambda size: "İ" * (size // 2), "plain_text"),
        (lambda size: reprint_text(body="Kaynak/Source:\n" * (size // 16)), "avim_reprint"),
    ],
    ids=["capitalised-lines", "endless-title", "no-letters", "endless-first-line", "closings"],
)
def test_adversarial_files_at_the_upload_limit_are_read_with_bounded_work(
    content, outcome: str
) -> None:
    data = content(UPLOAD_LIMIT - 400).encode()[:UPLOAD_LIMIT]

    def layout_or_refusal() -> str:
        try:
            return parse(data).layout
        except IngestRefused as refusal:
            return refusal.code

    result, calls = counted(layout_or_refusal)
    assert result == outcome
    assert calls <= PARSE_CALL_BOUND, f"{calls} calls"


def test_a_title_over_the_limit_is_refused_as_too_long() -> None:
    title = "\n".join(["A TITLE LINE IN CAPITALS"] * 50)
    with pytest.raises(IngestRefused, match="title is over 1,000 characters") as refusal:
        parse(reprint_bytes(title=title))
    assert refusal.value.code == "too_long"
    assert parse(reprint_bytes(title="\n".join(["A TITLE LINE IN CAPITALS"] * 40))).title
