"""Decoding real GBK/GB18030/Big5 bytes: header → BOM → meta/XML declaration → detection."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawlers.encoding import decode_body, detect_encoding, header_charset

PAGES = Path(__file__).parent / "pages"


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def test_saved_pages_really_are_gbk_with_characters_outside_gb2312() -> None:
    body = page("article_gov_gbk.html")
    assert b"charset=gb2312" in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("gb2312")  # 镕 and 堃 are GBK-only: a strict GB2312 decoder fails on this page
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")


@pytest.mark.parametrize("header", [None, "gb2312", "GBK", "GB_2312-80"])
def test_gb2312_label_on_gbk_bytes_decodes_as_gb18030(header: str | None) -> None:
    text, encoding = decode_body(page("article_gov_gbk.html"), header)
    assert encoding == "gb18030"
    assert "朱镕军" in text and "张堃" in text and "\ufffd" not in text


def test_wrong_utf8_header_yields_to_the_meta_declaration() -> None:
    text, encoding = decode_body(page("article_gov_gbk.html"), "utf-8")
    assert encoding == "gb18030"
    assert "滨江路地下通道" in text


def test_tomcat_default_latin1_header_yields_to_meta() -> None:
    text, encoding = decode_body(page("article_gov_gbk.html"), "ISO-8859-1")
    assert encoding == "gb18030" and "情况通报" in text


def test_xml_declaration_gb2312_on_gbk_bytes() -> None:
    text, encoding = decode_body(page("feed_rss2_gb2312_label.xml"), None)
    assert encoding == "gb18030"
    assert "朱镕基" in text and "王喆" in text


def test_undeclared_gbk_is_detected() -> None:
    body = page("feed_rss2_undeclared_gbk.xml")
    assert b"encoding=" not in body and b"charset" not in body
    text, encoding = decode_body(body, None)
    assert encoding == "gb18030"
    assert "滨江路地下通道暴雨后积水严重" in text


def test_gb18030_four_byte_characters() -> None:
    body = page("feed_rdf_gb18030.xml")
    assert "𠮷".encode("gb18030") in body and len("𠮷".encode("gb18030")) == 4
    text, encoding = decode_body(body, None)
    assert encoding == "gb18030" and "𠮷山路" in text


def test_bom_wins_over_a_wrong_header() -> None:
    body = "\ufeff<p>朱镕基</p>".encode()
    assert decode_body(body, "gbk") == ("<p>朱镕基</p>", "utf-8")


def test_short_undeclared_gbk_snippet_is_not_taken_for_big5() -> None:
    # charset-normalizer alone reads these 8 bytes as Big5 ("紾噷價").
    assert decode_body("<p>朱镕基</p>".encode("gbk"), None) == ("<p>朱镕基</p>", "gb18030")


def test_undeclared_big5_stays_big5() -> None:
    body = "<p>朱鎔基在人民大會堂會見中外記者，回答經濟問題。</p>".encode("big5")
    text, encoding = decode_body(body, None)
    assert encoding == "big5hkscs" and "人民大會堂" in text


def test_latin1_header_on_latin1_bytes_is_kept() -> None:
    assert decode_body("<p>café</p>".encode("cp1252"), "iso-8859-1") == ("<p>café</p>", "cp1252")


def test_utf8_page_and_empty_body() -> None:
    text, encoding = decode_body(page("feed_atom_utf8.xml"), "utf-8")
    assert encoding == "utf-8" and "江城发布" in text
    assert decode_body(b"", None) == ("", "utf-8")
    assert detect_encoding(b"plain ascii") == "utf-8"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"text/html; charset=GB2312", "GB2312"),
        ("application/rss+xml;charset='utf-8'", "utf-8"),
        ("text/html", None),
        (None, None),
    ],
)
def test_header_charset(value: bytes | str | None, expected: str | None) -> None:
    assert header_charset(value) == expected
