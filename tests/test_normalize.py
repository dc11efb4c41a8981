"""Tests for analysis.normalize: Meta's normalization rules, hashing, patterns and mistake diagnosis."""

from __future__ import annotations

import hashlib
import ipaddress
import re

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.normalize import (
    FB_COOKIE_RE,
    HASH_KEYS,
    HASH_RE,
    HASHLIKE_RE,
    IPV4_RE,
    IPV6_RE,
    PLAIN_KEYS,
    USER_DATA_KEYS,
    hash_value,
    is_hash,
    is_valid_fb_cookie,
    is_valid_ip,
    is_well_formed,
    looks_hashed,
    mistake_variants,
    normalize,
    normalize_country,
    sha256_hex,
)


def _sha(text: str) -> str:
    # Independent of the module's helper, so a broken sha256_hex cannot hide itself.
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


H64 = "a" * 64
FBCLID = "IwAR2F4-dbP0l7Mn1IawQQGCINEz7PYXQvwjNwB_qa2ofrHyiLjcbCRxTDMgk"


def test_key_tuples():
    assert HASH_KEYS == ("em", "ph", "fn", "ln", "ge", "db", "ct", "st", "zp", "country")
    assert PLAIN_KEYS == ("external_id", "client_ip_address", "client_user_agent", "fbc", "fbp")
    assert USER_DATA_KEYS == HASH_KEYS + PLAIN_KEYS


# --- Meta's published test vectors -------------------------------------------------------------

@pytest.mark.parametrize(
    ("key", "value", "country", "normalized", "digest"),
    [
        ("em", "John_Smith@gmail.com", None, "john_smith@gmail.com",
         "62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f"),
        ("ph", "(650)555-1212", "US", "16505551212",
         "e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176"),
        ("fn", "Mary", None, "mary", "6915771be1c5aa0c886870b6951b03d7eafc121fea0e80a5ea83beb7c449f4ec"),
        ("db", "2/16/1997", None, "19970216",
         "01acdbf6ec7b4f478a225f1a246e5d6767eeab1a7ffa17f025265b5b94f40f0c"),
        ("country", "United States", None, "us",
         "79adb2a2fce5c6ba215fe5f27f532d4e7edbac4b6a5e09e1ef3a08084a904621"),
    ],
)
def test_meta_vectors(key, value, country, normalized, digest):
    assert normalize(key, value, country) == normalized
    assert hash_value(key, value, country) == digest
    assert sha256_hex(normalized) == digest


def test_sha256_hex_is_utf8():
    assert sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert sha256_hex("élodie") == _sha("élodie")


# --- normalization, key by key -----------------------------------------------------------------

@pytest.mark.parametrize(
    ("key", "value", "country", "expected"),
    [
        ("em", "  Jane.Doe@Example.COM ", None, "jane.doe@example.com"),
        ("em", "a@b.com", None, "a@b.com"),
        ("em", "   ", None, None),
        ("ph", "(650)555-1212", "US", "16505551212"),
        ("ph", "(650)555-1212", "United States", "16505551212"),
        ("ph", "07700 900123", "GB", "447700900123"),
        ("ph", "07700 900123", "United Kingdom", "447700900123"),
        ("ph", "+44 7700 900123", None, "447700900123"),
        ("ph", "0044 7700 900123", "US", "447700900123"),  # "00" is international whatever the record says
        ("ph", "+44 (0) 7700 900123", None, "447700900123"),
        ("ph", "+39 06 1234 5678", None, "390612345678"),  # Italy's leading zero is part of the number
        ("ph", "447700900123", "US", "447700900123"),  # impossible as a US number: digits as written
        ("ph", "07700 900123", None, "7700900123"),  # no country known: digits, leading zeros stripped
        ("ph", "16505551212", None, "16505551212"),
        ("ph", "n/a", "US", None),
        ("fn", "Mary", None, "mary"),
        ("fn", "  Mary Ann ", None, "maryann"),
        ("fn", "Élodie", None, "élodie"),
        ("fn", "E\u0301lodie", None, "élodie"),  # decomposed é is NFC-composed first
        ("ln", "O'Brien-Smith", None, "obriensmith"),
        ("ln", "Müller (Jr.)", None, "müllerjr"),
        ("ln", "Zhang\u200b", None, "zhang"),  # zero-width space is invisible garbage
        ("ln", "...", None, None),
        ("ge", "Female", None, "f"),
        ("ge", " F ", None, "f"),
        ("ge", "w", None, "f"),
        ("ge", "MALE", None, "m"),
        ("ge", "m", None, "m"),
        ("ge", "x", None, None),
        ("db", "2/16/1997", None, "19970216"),
        ("db", "1997-02-16", None, "19970216"),
        ("db", "1997-02-16T00:00:00Z", None, "19970216"),
        ("db", "1997-02-16 08:30:00+02:00", None, "19970216"),
        ("db", "1997-02-16 and more", None, None),
        ("db", "19970216", None, "19970216"),
        ("db", "1997/2/6", None, "19970206"),
        ("db", "16.02.1997", None, "19970216"),
        ("db", "2/30/1997", None, None),
        ("db", "1997-13-01", None, None),
        ("db", "16/2/1997", None, None),  # month 16: US order is month first
        ("db", "sometime in 1997", None, None),
        ("ct", "New York", None, "newyork"),
        ("ct", "São Paulo", None, "sãopaulo"),
        ("ct", "St. John's", None, "stjohns"),
        ("st", "California", "US", "ca"),
        ("st", "CA", "United States", "ca"),
        ("st", "new york", None, "ny"),  # country unknown but a US state name
        ("st", "District of Columbia", "US", "dc"),
        ("st", "British Columbia", "CA", "britishcolumbia"),
        ("st", "Île-de-France", "FR", "îledefrance"),
        ("st", "California", "DE", "california"),  # not a US record: no mapping
        ("zp", "94025-1234", "US", "94025"),
        ("zp", "94025", "US", "94025"),
        ("zp", "94025-1234", None, "94025"),  # unknown country, looks like ZIP+4
        ("zp", "SW1A 1AA", "GB", "sw1a1aa"),
        ("zp", "K1A 0B1", None, "k1a0b1"),
        ("zp", "1234-567", "PT", "1234567"),
        ("country", "United States", None, "us"),
        ("country", "Deutschland", None, "de"),
        ("country", "UK", None, "gb"),
        ("external_id", "  User-42 ", None, "User-42"),
        ("fbc", f" fb.1.1759310000000.{FBCLID} ", None, f"fb.1.1759310000000.{FBCLID}"),
    ],
)
def test_normalize(key, value, country, expected):
    assert normalize(key, value, country) == expected


@pytest.mark.parametrize("key", USER_DATA_KEYS)
def test_normalize_empty(key):
    assert normalize(key, None) is None
    assert normalize(key, "") is None
    assert normalize(key, " \t") is None
    assert hash_value(key, None) is None


def test_normalize_accepts_numbers_from_json():
    assert normalize("ph", 16505551212) == "16505551212"
    assert normalize("zp", 94025, "US") == "94025"


def test_unknown_key_is_an_error():
    with pytest.raises(ValueError):
        normalize("email", "a@b.com")
    with pytest.raises(ValueError):
        is_well_formed("email", "a@b.com")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("United States", "us"), ("USA", "us"), ("U.S.", "us"), ("u.s.a.", "us"), ("us", "us"),
        ("United States of America", "us"), ("Deutschland", "de"), ("Germany", "de"), ("DEU", "de"),
        ("United Kingdom", "gb"), ("UK", "gb"), ("U.K.", "gb"), ("Great Britain", "gb"), ("GB", "gb"),
        ("The Netherlands", "nl"), ("Holland", "nl"), ("Côte d'Ivoire", "ci"), ("Cote dIvoire", "ci"),
        ("Trinidad & Tobago", "tt"), ("St. Lucia", "lc"), ("ST", "st"), ("Korea, Republic of", "kr"),
        ("South Korea", "kr"), ("Türkiye", "tr"), ("Turkey", "tr"), ("Österreich", "at"),
        ("Kosovo", "xk"), ("  fr  ", "fr"), ("España", "es"),
        ("zz", "zz"), ("Z.Z.", "zz"),  # unknown two letters are kept
        ("Narnia", None), ("", None), ("   ", None), ("840", None), (None, None),
    ],
)
def test_normalize_country(value, expected):
    assert normalize_country(value) == expected


def test_every_phonenumbers_region_is_a_known_code():
    for region in phonenumbers.SUPPORTED_REGIONS:
        assert normalize_country(region) == region.lower()
        assert normalize_country(region.lower()) == region.lower()


# --- hashing -----------------------------------------------------------------------------------

def test_hash_value():
    assert hash_value("em", " A@B.com ") == _sha("a@b.com")
    assert hash_value("ph", "07700 900123", "GB") == _sha("447700900123")
    assert hash_value("st", "California", "US") == _sha("ca")
    assert hash_value("external_id", "  User-42 ") == _sha("User-42")  # case kept: it is an id
    assert hash_value("ge", "unknown") is None
    assert hash_value("db", "2/30/1997") is None
    for key in ("client_ip_address", "client_user_agent", "fbc", "fbp"):  # never hashed
        assert hash_value(key, "203.0.113.7") is None


# --- mistake variants --------------------------------------------------------------------------

def test_missing_country_code_uk():
    variants = mistake_variants("ph", "+44 7700 900123")
    assert ("missing_country_code", _sha("7700900123")) in variants
    assert ("missing_country_code", _sha("07700900123")) in variants
    assert mistake_variants("ph", "07700 900123", "United Kingdom") == variants


def test_missing_country_code_us():
    variants = mistake_variants("ph", "(650)555-1212", "US")
    assert variants == [
        ("missing_country_code", _sha("6505551212")),
        ("missing_country_code", _sha("06505551212")),
        ("double_hashed", _sha("e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176")),
    ]


def test_missing_country_code_needs_a_parsable_number():
    # Without a country the number cannot be parsed, so no national form is known.
    assert [d for d, _ in mistake_variants("ph", "07700 900123")] == ["double_hashed"]


def test_not_lowercased_email():
    variants = mistake_variants("em", "John_Smith@gmail.com")
    assert variants == [
        ("not_lowercased", _sha("John_Smith@gmail.com")),
        ("double_hashed", _sha("62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f")),
    ]


def test_not_trimmed_email():
    variants = mistake_variants("em", " a@b.com ")
    assert variants == [("not_trimmed", _sha(" a@b.com ")), ("double_hashed", _sha(_sha("a@b.com")))]


def test_not_lowercased_and_not_trimmed_together():
    variants = dict((d, h) for d, h in mistake_variants("em", " A@B.com "))
    assert variants == {
        "not_lowercased": _sha("A@B.com"),
        "not_trimmed": _sha(" a@b.com "),
        "double_hashed": _sha(_sha("a@b.com")),
    }


def test_double_hashed():
    assert mistake_variants("fn", "mary") == [("double_hashed", _sha(_sha("mary")))]
    assert ("double_hashed", _sha(_sha("User-42"))) in mistake_variants("external_id", "User-42")


def test_other_keys_case_and_trim():
    assert ("not_lowercased", _sha("US")) in mistake_variants("country", "US")
    assert ("not_lowercased", _sha("F")) in mistake_variants("ge", "F")
    assert ("not_trimmed", _sha(" User-42")) in mistake_variants("external_id", " User-42")
    # Case is part of an external id and of a phone: no "not_lowercased" for them.
    assert "not_lowercased" not in dict(mistake_variants("external_id", "User-42"))
    assert "not_lowercased" not in dict(mistake_variants("ph", "+1 650 555 1212 EXT 2"))


@pytest.mark.parametrize(
    ("key", "value", "country"),
    [("em", " John@X.com ", None), ("ph", "+44 7700 900123", None), ("ph", "(650)555-1212", "US"),
     ("ct", "New York", None), ("zp", " 94025 ", "US"), ("st", "CA", "US"), ("country", "USA", None),
     ("fn", " Mary ", None)],
)
def test_variants_differ_from_correct_and_each_other(key, value, country):
    correct = hash_value(key, value, country)
    hashes = [h for _, h in mistake_variants(key, value, country)]
    assert correct not in hashes
    assert len(hashes) == len(set(hashes))
    assert all(re.fullmatch(HASH_RE, h) for h in hashes)


def test_no_variants_without_a_correct_hash():
    assert mistake_variants("em", None) == []
    assert mistake_variants("ge", "unknown") == []
    assert mistake_variants("fbc", f"fb.1.1759310000000.{FBCLID}") == []


# --- patterns ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "hash_ok", "hashlike_ok"),
    [
        (H64, True, True),
        (H64 + ".Ag", True, True),
        (H64 + ".AbCd12_-", True, True),  # 8-char appendix
        (H64 + ".AbCd12_-x", False, False),  # 9 chars
        (H64 + ".A", False, False),
        (H64 + ".", False, False),
        ("a" * 63, False, False),
        ("a" * 65, False, False),
        ("A" * 64, False, True),
        ("A" * 64 + ".BA", False, True),
        ("g" * 64, False, False),
        (" " + H64, False, False),
        ("john@example.com", False, False),
    ],
)
def test_hash_patterns(value, hash_ok, hashlike_ok):
    assert is_hash(value) is hash_ok
    assert looks_hashed(value) is hashlike_ok
    assert bool(re.fullmatch(HASH_RE, value)) is hash_ok
    assert bool(re.fullmatch(HASHLIKE_RE, value)) is hashlike_ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (f"fb.1.1759310000000.{FBCLID}", True),
        (f"fb.1.1759310000000.{FBCLID}.Ag", True),  # parameter-builder appendix
        ("fb.1.1759310000000.1234567890", True),  # fbp
        ("fb.0.1759310000000.1234567890.AbCdEfGh", True),
        ("fb.1.1759310000000", False),  # no fbclid
        ("fb.1.1759310000000.", False),
        ("fb.1.1759310000000..x", False),
        (f"fb.1.1759310000.{FBCLID}", False),  # seconds, not ms
        (f"fb.12.1759310000000.{FBCLID}", False),
        (f"FB.1.1759310000000.{FBCLID}", False),
        (f"fb.1.1759310000000.{FBCLID} ", False),
        ("fb.1.1759310000000.ab cd", False),
        ("fb.1.1759310000000.ab\u00a0cd", False),
        (FBCLID, False),
    ],
)
def test_fb_cookie(value, ok):
    assert is_valid_fb_cookie(value) is ok
    assert bool(re.fullmatch(FB_COOKIE_RE, value)) is ok


def test_fb_cookie_rejects_exactly_python_whitespace():
    for code in range(0x3100):
        ch = chr(code)
        accepted = is_valid_fb_cookie(f"fb.1.1759310000000.a{ch}b")
        assert accepted is not ch.isspace(), hex(code)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("203.0.113.7", True), ("0.0.0.0", True), ("255.255.255.255", True),
        ("2001:db8::7", True), ("::1", True), ("::", True), ("::ffff:203.0.113.7", True),
        ("2001:0DB8:0000:0000:0000:0000:0000:0007", True), ("1:2:3:4:5:6:7::", True),
        ("64:ff9b::192.0.2.33", True),
        ("999.1.1.1", False), ("256.1.1.1", False), ("01.2.3.4", False), ("1.2.3", False),
        ("1.2.3.4.5", False), (" 1.2.3.4", False), ("2001:db8::7::1", False), ("12345::1", False),
        ("1:2:3:4:5:6:7:8:9", False), ("fe80::1%eth0", False), ("::ffff:999.0.0.1", False), ("", False),
    ],
)
def test_ip(value, ok):
    assert is_valid_ip(value) is ok
    assert bool(re.fullmatch(IPV4_RE, value) or re.fullmatch(IPV6_RE, value)) is ok


def _ip_regex(value: str) -> bool:
    return bool(re.fullmatch(IPV4_RE, value) or re.fullmatch(IPV6_RE, value))


@settings(max_examples=500)
@given(st.one_of(
    st.integers(0, 2**32 - 1).map(lambda n: str(ipaddress.IPv4Address(n))),
    st.integers(0, 2**128 - 1).map(lambda n: str(ipaddress.IPv6Address(n))),
    st.integers(0, 2**32 - 1).map(lambda n: str(ipaddress.IPv6Address(n)).replace("::", "::ffff:", 1)),
    st.integers(0, 2**128 - 1).map(lambda n: ipaddress.IPv6Address(n).exploded),
))
def test_ip_regex_agrees_on_real_addresses(value):
    assert _ip_regex(value) == is_valid_ip(value)


@settings(max_examples=1000)
@given(st.text(alphabet="0123456789abcdefABCDEF:.", max_size=45))
def test_ip_regex_agrees_on_noise(value):
    assert _ip_regex(value) == is_valid_ip(value)


# --- well-formedness (the report's coverage rule) ----------------------------------------------

@pytest.mark.parametrize(
    ("key", "value", "ok"),
    [
        ("em", H64, True), ("em", H64 + ".Ag", True), ("em", "john@example.com", False),
        ("em", "A" * 64, False), ("ph", "16505551212", False), ("country", "us", False),
        ("external_id", "42", True), ("external_id", "  ", False),
        ("fbc", f"fb.1.1759310000000.{FBCLID}", True), ("fbc", "fb.1.1759310000000", False),
        ("fbp", "fb.1.1759310000000.1234567890", True), ("fbp", H64, False),
        ("client_ip_address", "2001:db8::7", True), ("client_ip_address", "999.1.1.1", False),
        ("client_user_agent", "Mozilla/5.0", True), ("client_user_agent", "", False),
    ],
)
def test_is_well_formed(key, value, ok):
    assert is_well_formed(key, value) is ok


@pytest.mark.parametrize("key", USER_DATA_KEYS)
def test_is_well_formed_rejects_non_strings(key):
    assert is_well_formed(key, None) is False  # type: ignore[arg-type]


# --- the same patterns in DuckDB's RE2 ---------------------------------------------------------

DUCKDB_SAMPLES = [
    H64, H64 + ".Ag", H64 + ".AbCd12_-", H64 + ".AbCd12_-x", "a" * 63, "A" * 64, "A" * 64 + ".BA",
    H64 + "\n", "fb.1.1759310000000." + FBCLID, "fb.1.1759310000000." + FBCLID + ".Ag",
    "fb.1.1759310000000", "fb.1.1759310000." + FBCLID, "fb.1.1759310000000..x",
    "fb.1.1759310000000.ab\u00a0cd", "fb.1.1759310000000.ab\u2028cd", "fb.1.1759310000000.ab\vcd",
    "fb.1.1759310000000.ab\x1ccd", "fb.1.1759310000000.é", "203.0.113.7", "999.1.1.1", "01.2.3.4",
    "255.255.255.255", "2001:db8::7", "::1", "::", "::ffff:203.0.113.7", "1:2:3:4:5:6:7::",
    "1:2:3:4:5:6:7:8:9", "2001:db8::7::1", "fe80::1%eth0", "1:2:3:4:5:6:1.2.3.4", "",
]


@pytest.mark.parametrize("pattern", [HASH_RE, HASHLIKE_RE, FB_COOKIE_RE, IPV4_RE, IPV6_RE],
                         ids=["HASH_RE", "HASHLIKE_RE", "FB_COOKIE_RE", "IPV4_RE", "IPV6_RE"])
def test_patterns_agree_with_duckdb(pattern):
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    rows = con.execute(
        "SELECT s, regexp_full_match(s, $1) FROM unnest($2::VARCHAR[]) WITH ORDINALITY AS t(s, i) ORDER BY i",
        [pattern, DUCKDB_SAMPLES],
    ).fetchall()
    assert [s for s, _ in rows] == DUCKDB_SAMPLES
    assert [m for _, m in rows] == [re.fullmatch(pattern, s) is not None for s in DUCKDB_SAMPLES]
    assert any(m for _, m in rows) and not all(m for _, m in rows)  # the samples discriminate
