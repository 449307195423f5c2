"""Tests for shuangsuiji.codes.

Check characters are recomputed here by independent reference implementations
(written from the standards, not from the module), and cross-checked against
python-stdnum where it is correct.
"""
from __future__ import annotations

import datetime
import re
import string

import pytest
import stdnum.cn.uscc as std_uscc
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric as std_ric
from stdnum.iso7064 import mod_11_10

from shuangsuiji.codes import cert, dates, entity_id, enums, gb2260, gb4754, regno, ric, uscc
from shuangsuiji.errors import (InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength,
                                ShuangsuijiError, ValidationError)

FAST = settings(max_examples=150, deadline=None)

# --- independent references -------------------------------------------------------------

# GB 32100-2015 character set, typed out again rather than imported.
REF_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def ref_uscc_check(first17: str) -> str:
    """GB 32100: C18 = 31 − (Σ Ci·Wi mod 31), Wi = 3^(i−1) mod 31, with 31 → 0."""
    total, weight = 0, 1
    for char in first17:
        total += REF_ALPHABET.index(char) * weight
        weight = weight * 3 % 31
    check = 31 - total % 31
    return REF_ALPHABET[0 if check == 31 else check]


def ref_org_check(org8: str) -> str:
    """GB 11714: digits are their value, A..Z are 10..35; weights 3,7,9,10,5,8,4,2."""
    values = [ord(c) - 48 if c.isdigit() else ord(c) - 55 for c in org8]
    total = sum(v * w for v, w in zip(values, [3, 7, 9, 10, 5, 8, 4, 2]))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def ref_ric_check(first17: str) -> str:
    """GB 11643: ISO 7064 MOD 11-2 with weights 2^(17-i) mod 11."""
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(first17))
    return "10X98765432"[total % 11]


def ref_uscc(department: str, kind: str, region: str, org8: str) -> str:
    first17 = department + kind + region + org8 + ref_org_check(org8)
    return first17 + ref_uscc_check(first17)


def messages_ok(error: ShuangsuijiError) -> bool:
    """Both languages have a registered text with every placeholder filled.

    i18n falls back to ``"<code> <params>"`` for an unknown code and to
    ``"<template> <params>"`` for a missing placeholder; neither may happen.
    """
    for lang in ("zh", "en"):
        text = error.message(lang)
        if text.startswith(error.code) or (error.params and text.endswith(f" {error.params}")):
            return False
    return error.message("zh") != error.message("en")


# --- strategies ----------------------------------------------------------------------------

digits = st.text(string.digits, min_size=1, max_size=1)
departments = st.one_of(st.sampled_from("159ANY"), st.sampled_from(REF_ALPHABET[1:]))
kinds = st.one_of(st.sampled_from("123"), st.sampled_from(REF_ALPHABET))
regions6 = st.text(string.digits, min_size=6, max_size=6)
org8s = st.text(REF_ALPHABET, min_size=8, max_size=8)


@st.composite
def usccs(draw: st.DrawFn) -> str:
    return ref_uscc(draw(departments), draw(kinds), draw(regions6), draw(org8s))


@st.composite
def regnos(draw: st.DrawFn) -> str:
    body = draw(st.text(string.digits, min_size=14, max_size=14))
    return body + mod_11_10.calc_check_digit(body)


REF_PROVINCES = ["11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35",
                 "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54",
                 "61", "62", "63", "64", "65", "71", "81", "82"]


@st.composite
def region_codes(draw: st.DrawFn) -> str:
    prov = draw(st.sampled_from(REF_PROVINCES))
    level = draw(st.sampled_from(["province", "prefecture", "county"]))
    if level == "province":
        return prov + "0000"
    pref = draw(st.integers(1, 99))
    county = 0 if level == "prefecture" else draw(st.integers(1, 99))
    return f"{prov}{pref:02d}{county:02d}"


# GB/T 4754-2017 sections as (letter, first division, last division), from the standard.
REF_SECTIONS = [("A", 1, 5), ("B", 6, 12), ("C", 13, 43), ("D", 44, 46), ("E", 47, 50),
                ("F", 51, 52), ("G", 53, 60), ("H", 61, 62), ("I", 63, 65), ("J", 66, 69),
                ("K", 70, 70), ("L", 71, 72), ("M", 73, 75), ("N", 76, 79), ("O", 80, 82),
                ("P", 83, 83), ("Q", 84, 85), ("R", 86, 90), ("S", 91, 97), ("T", 98, 98)]


def ref_section(division: int) -> str | None:
    for letter, low, high in REF_SECTIONS:
        if low <= division <= high:
            return letter
    return None


@st.composite
def industry_codes(draw: st.DrawFn) -> tuple[str, str]:
    """(numeric digits, expected section letter)."""
    division = draw(st.integers(1, 98))
    extra = draw(st.text(string.digits, min_size=0, max_size=2))
    letter = ref_section(division)
    assert letter is not None
    return f"{division:02d}{extra}", letter


# --- USCC --------------------------------------------------------------------------------


# Real codes of well-known organisations; each is re-verified below by the reference
# functions (both check characters), not trusted from memory.
REAL_USCCS = [
    "91110000802100433B",
    "91110000600037341L",
    "91330100799655058B",
    "9144030071526726XG",
    "914403001922038216",
    "91110000710925462X",
    "12100000400002259P",
    "12100000400000624D",
]


@pytest.mark.parametrize("code", REAL_USCCS)
def test_real_usccs(code: str) -> None:
    assert ref_org_check(code[8:16]) == code[16]
    assert ref_uscc_check(code[:17]) == code[17]
    assert uscc.validate(code) == code
    assert uscc.calc_check_digit(code[:17]) == code[17]
    assert uscc.region(code) == code[2:8]


def test_example_with_question_mark_is_not_valid() -> None:
    # The brief's "91330106MA27Y0Q00C?" fails both reference checks, so it is not a real code.
    code = "91330106MA27Y0Q00C"
    assert ref_uscc_check(code[:17]) != code[17]
    assert ref_org_check(code[8:16]) != code[16]
    with pytest.raises(InvalidChecksum) as info:
        uscc.validate(code)
    assert info.value.params == {"expected": ref_uscc_check(code[:17]), "found": "C"}


@FAST
@given(department=departments, kind=kinds, region=regions6, org8=org8s)
def test_generated_usccs_pass(department: str, kind: str, region: str, org8: str) -> None:
    code = ref_uscc(department, kind, region, org8)
    assert uscc.validate(code) == code
    assert uscc.is_valid(code)
    assert uscc.make(department, kind, region, org8) == code
    assert uscc.department(code) == department
    assert uscc.entity_kind(code) == kind
    assert uscc.region(code) == region
    assert uscc.organisation_code(code) == org8 + ref_org_check(org8)
    messy = " " + "-".join([code[:2].lower(), code[2:8], code[8:]]) + "\u3000"
    assert uscc.validate(messy) == code
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code)
    assert uscc.validate(full_width) == code


def test_uscc_weights_detect_every_substitution() -> None:
    # Proof for the final check: 31 is prime and every weight 3^(i-1) mod 31 is nonzero, so
    # changing character i by a nonzero difference d (|d| <= 30) changes the sum by w*d, which is
    # never 0 mod 31; changing the check character itself changes the expected side.  Hence every
    # single substitution within the alphabet is detected, whatever the other rules say.
    for i in range(17):
        weight = pow(3, i, 31)
        assert all(weight * d % 31 for d in range(1, 31))


@FAST
@given(code=usccs())
def test_uscc_every_single_substitution_fails(code: str) -> None:
    for position in range(18):
        for char in REF_ALPHABET:
            if char != code[position]:
                corrupted = code[:position] + char + code[position + 1:]
                assert not uscc.is_valid(corrupted), (code, corrupted)
                with pytest.raises(ValidationError):
                    uscc.validate(corrupted)


@FAST
@given(code=usccs(), position=st.integers(0, 15))
def test_uscc_adjacent_transpositions_in_first_17_fail(code: str, position: int) -> None:
    # w_i - w_{i+1} = w_i * (1 - 3) = -2 w_i, nonzero mod 31: swapping two different
    # characters among the first 17 always changes the sum.
    a, b = code[position], code[position + 1]
    if a != b:
        swapped = code[:position] + b + a + code[position + 2:]
        assert not uscc.is_valid(swapped)


@FAST
@given(code=usccs(), bad=st.sampled_from("IOSVZ*"), position=st.integers(0, 17))
def test_uscc_excluded_letters_fail(code: str, bad: str, position: int) -> None:
    corrupted = code[:position] + bad + code[position + 1:]
    with pytest.raises(InvalidFormat) as info:
        uscc.validate(corrupted)
    assert info.value.code == "uscc.charset"
    assert info.value.params == {"position": position + 1, "char": bad}


@FAST
@given(department=st.sampled_from("123456789"), kind=digits, region=regions6, org8=org8s)
def test_uscc_agrees_with_stdnum_for_digit_led_codes(department: str, kind: str, region: str,
                                                     org8: str) -> None:
    code = ref_uscc(department, kind, region, org8)
    assert std_uscc.is_valid(code)
    assert uscc.is_valid(code)
    assert std_uscc.calc_check_digit(code[:17]) == uscc.calc_check_digit(code[:17])


@FAST
@given(head=st.text("123456789", min_size=1, max_size=1), rest=st.text(string.digits, min_size=7,
       max_size=7), tail=st.text(REF_ALPHABET, min_size=10, max_size=10))
def test_uscc_random_strings_never_valid_where_stdnum_rejects(head: str, rest: str,
                                                             tail: str) -> None:
    code = head + rest + tail
    if uscc.is_valid(code):
        assert std_uscc.is_valid(code)
    assert (uscc.calc_check_digit(code[:17]) == code[17]) == std_uscc.is_valid(code)


@pytest.mark.parametrize("department", ["A", "N", "Y"])
def test_letter_departments_are_valid_though_stdnum_rejects_them(department: str) -> None:
    code = ref_uscc(department, "1", "330106", "MA27Y0Q0")
    assert uscc.validate(code) == code
    assert not std_uscc.is_valid(code)


@pytest.mark.parametrize("kind,expected", [("1", "enterprise"), ("2", "individual"),
                                           ("3", "cooperative"), ("9", "other")])
def test_uscc_entity_type(kind: str, expected: str) -> None:
    code = ref_uscc("9", kind, "330106", "MA27Y0Q0")
    assert uscc.entity_type(code) == expected
    assert expected in enums.ENTITY_TYPES
    assert uscc.entity_type(ref_uscc("5", kind, "330106", "MA27Y0Q0")) == "other"


def _self_consistent_with_bad_org_check() -> str:
    org8 = "80210043"
    wrong = "4" if ref_org_check(org8) != "4" else "5"
    first17 = "91110000" + org8 + wrong
    return first17 + ref_uscc_check(first17)


@pytest.mark.parametrize("value,error,code", [
    ("9111000080210043", InvalidLength, "uscc.length"),
    ("9111000080210043IB", InvalidFormat, "uscc.charset"),
    ("01110000802100433B", InvalidComponent, "uscc.department"),
    ("9111A000802100433B", InvalidComponent, "uscc.region"),
    ("91110000802100433C", InvalidChecksum, "uscc.checksum"),
    (_self_consistent_with_bad_org_check(), InvalidChecksum, "uscc.org_checksum"),
    (None, InvalidFormat, "code.not_text"),
])
def test_uscc_specific_errors(value: object, error: type[Exception], code: str) -> None:
    with pytest.raises(error) as info:
        uscc.validate(value)
    assert info.value.code == code
    assert isinstance(info.value, ValueError)
    assert messages_ok(info.value)


@pytest.mark.parametrize("args,code", [
    (("0", "1", "110000", "80210043"), "uscc.department"),
    (("91", "1", "110000", "80210043"), "uscc.department"),
    (("9", "I", "110000", "80210043"), "uscc.kind"),
    (("9", "1", "11000", "80210043"), "uscc.region"),
    (("9", "1", "110000", "8021004"), "uscc.org_length"),
    (("9", "1", "110000", "8021004O"), "uscc.charset"),
])
def test_uscc_make_rejects_bad_parts(args: tuple[str, str, str, str], code: str) -> None:
    with pytest.raises(ValidationError) as info:
        uscc.make(*args)
    assert info.value.code == code
    assert messages_ok(info.value)


# --- regno -------------------------------------------------------------------------------


def test_mod_11_10_steps_are_bijections() -> None:
    # Proof that MOD 11,10 detects every single-digit substitution: one step maps
    # (state, digit) -> ((state + digit) mod 10 or 10) * 2 mod 11.  For a fixed state it is
    # injective in the digit, and for a fixed digit injective in the state, so a changed digit
    # yields a changed state and every later step keeps the states apart: the final state
    # differs from 1 (and a changed check digit alone breaks the final condition).
    def step(state: int, digit: int) -> int:
        return ((state + digit) % 10 or 10) * 2 % 11

    states = range(1, 11)
    for state in states:
        assert len({step(state, d) for d in range(10)}) == 10
    for d in range(10):
        assert len({step(state, d) for state in states}) == 10


@FAST
@given(number=regnos())
def test_generated_regnos_pass_and_every_substitution_fails(number: str) -> None:
    assert regno.validate(number) == number
    assert regno.validate(f"{number[:6]} {number[6:]}") == number
    assert regno.calc_check_digit(number[:14]) == number[14]
    assert entity_id.validate(number) == number
    assert entity_id.kind(number) == "regno"
    for position in range(15):
        for digit in string.digits:
            if digit != number[position]:
                corrupted = number[:position] + digit + number[position + 1:]
                assert not regno.is_valid(corrupted)
                assert not entity_id.is_valid(corrupted)


@FAST
@given(body=st.text(string.digits, min_size=1, max_size=20))
def test_regno_check_agrees_with_stdnum(body: str) -> None:
    assert regno.calc_check_digit(body) == mod_11_10.calc_check_digit(body)


def test_regno_integer_input_and_errors() -> None:
    assert regno.validate(110000000000009) == "110000000000009"
    for value, code in [("11000000000000", "regno.length"), ("11000000000000A", "regno.digits"),
                        ("110000000000000", "regno.checksum")]:
        with pytest.raises(ValidationError) as info:
            regno.validate(value)
        assert info.value.code == code
        assert messages_ok(info.value)


# --- entity ID ------------------------------------------------------------------------------


@FAST
@given(code=usccs())
def test_entity_id_dispatches_uscc(code: str) -> None:
    assert entity_id.kind(code) == "uscc"
    assert entity_id.validate(code.lower()) == code


@pytest.mark.parametrize("value", ["", "1234567890123456", "91110000802100433B0"])
def test_entity_id_length(value: str) -> None:
    with pytest.raises(InvalidLength) as info:
        entity_id.validate(value)
    assert info.value.code == "entity_id.length"
    assert messages_ok(info.value)


# --- GB/T 2260 ------------------------------------------------------------------------------


@FAST
@given(code=region_codes())
def test_region_codes(code: str) -> None:
    assert gb2260.validate(code) == code
    assert gb2260.province(code) == code[:2] + "0000"
    expected_level = ("province" if code.endswith("0000") else
                      "prefecture" if code.endswith("00") else "county")
    assert gb2260.level(code) == expected_level
    if expected_level == "province":
        with pytest.raises(InvalidComponent):
            gb2260.prefecture(code)
    else:
        assert gb2260.prefecture(code) == code[:4] + "00"
        assert gb2260.level(gb2260.prefecture(code)) == "prefecture"


def test_region_provinces_exhaustive() -> None:
    for n in range(100):
        code = f"{n:02d}0000"
        assert gb2260.is_valid(code) == (f"{n:02d}" in REF_PROVINCES)


@pytest.mark.parametrize("value,code", [("33010", "gb2260.length"), ("3301O6", "gb2260.digits"),
                                        ("990000", "gb2260.province"),
                                        ("330006", "gb2260.county_without_prefecture")])
def test_region_errors(value: str, code: str) -> None:
    with pytest.raises(ValidationError) as info:
        gb2260.validate(value)
    assert info.value.code == code
    assert messages_ok(info.value)


# --- GB/T 4754 ------------------------------------------------------------------------------


@FAST
@given(item=industry_codes(), lower=st.booleans())
def test_industry_codes(item: tuple[str, str], lower: bool) -> None:
    digits_part, letter = item
    expected = letter + digits_part
    assert gb4754.validate(digits_part) == expected
    assert gb4754.validate((letter.lower() if lower else letter) + digits_part) == expected
    assert gb4754.section(digits_part) == letter
    assert gb4754.division(digits_part) == digits_part[:2]
    assert gb4754.level(digits_part) == {2: "division", 3: "group", 4: "class"}[len(digits_part)]
    for other, _, _ in REF_SECTIONS:
        if other != letter:
            with pytest.raises(InvalidComponent) as info:
                gb4754.validate(other + digits_part)
            assert info.value.params["expected"] == letter


def test_industry_sections_and_divisions_exhaustive() -> None:
    for letter in string.ascii_uppercase:
        assert gb4754.is_valid(letter) == any(letter == s for s, _, _ in REF_SECTIONS)
        assert gb4754.division(letter) is None if gb4754.is_valid(letter) else True
    for division in range(100):
        assert gb4754.is_valid(f"{division:02d}") == (ref_section(division) is not None)


@pytest.mark.parametrize("value,code", [("", "gb4754.format"), ("1", "gb4754.format"),
                                        ("C1", "gb4754.format"), ("C13111", "gb4754.format"),
                                        ("CC13", "gb4754.format"), ("U", "gb4754.section"),
                                        ("99", "gb4754.division"), ("C00", "gb4754.division"),
                                        ("A13", "gb4754.mismatch")])
def test_industry_errors(value: str, code: str) -> None:
    with pytest.raises(ValidationError) as info:
        gb4754.validate(value)
    assert info.value.code == code
    assert messages_ok(info.value)


# --- certificate numbers -------------------------------------------------------------------

REF_CERT = re.compile(r"[0-9A-Z][0-9A-Z-]{5,31}")


@FAST
@given(value=st.text(string.ascii_letters + string.digits + "- _/#", max_size=40))
def test_cert_matches_reference_rule(value: str) -> None:
    compacted = value.replace(" ", "").upper()
    assert cert.is_valid(value) == bool(REF_CERT.fullmatch(compacted))
    if cert.is_valid(value):
        assert cert.validate(value) == compacted


@pytest.mark.parametrize("value,code", [("12345", "cert.length"), ("A" * 33, "cert.length"),
                                        ("ZJ-33/0100", "cert.charset"),
                                        ("-ZJ330100", "cert.start")])
def test_cert_errors(value: str, code: str) -> None:
    with pytest.raises(ValidationError) as info:
        cert.validate(value)
    assert info.value.code == code
    assert messages_ok(info.value)


# --- resident ID ----------------------------------------------------------------------------


def _ric(place: str, birth: str = "19900101", seq: str = "123") -> str:
    body = place + birth + seq
    return body + ref_ric_check(body)


def test_ric_valid_and_checks_match_reference() -> None:
    number = _ric("110101")
    assert ric.validate(number) == number
    assert std_ric.calc_check_digit(number) == number[-1]
    assert ric.calc_check_digit(number[:17]) == number[-1]
    assert ric.birth_date(number) == datetime.date(1990, 1, 1)


@pytest.mark.parametrize("value,code", [
    (_ric("119999"), "ric.birth_place"),   # stdnum raises KeyError('county') here
    (_ric("990000"), "ric.birth_place"),
    (_ric("110101", "19900230"), "ric.birth_date"),
    (_ric("110101")[:-1] + ("0" if _ric("110101")[-1] != "0" else "1"), "ric.checksum"),
    ("11010119900101A23X", "ric.format"),
    ("1101011990010112", "ric.length"),
])
def test_ric_errors_are_ours_and_do_not_leak_the_number(value: str, code: str) -> None:
    with pytest.raises(ValidationError) as info:
        ric.validate(value)
    assert info.value.code == code
    assert messages_ok(info.value)
    assert value not in repr(info.value.to_dict())


@FAST
@given(value=st.text(string.digits + "Xx -", max_size=20))
def test_ric_never_raises_foreign_exceptions(value: str) -> None:
    try:
        ric.validate(value)
    except ShuangsuijiError:
        pass


# --- any module, any input -------------------------------------------------------------------


MODULES = [uscc, regno, entity_id, gb2260, gb4754, cert, ric]


@FAST
@given(value=st.one_of(st.text(max_size=24), st.integers(), st.none(), st.floats()))
def test_only_our_validation_errors_escape(value: object) -> None:
    for module in MODULES:
        try:
            module.validate(value)
        except ValidationError as error:
            assert messages_ok(error)
        assert isinstance(module.is_valid(value), bool)


# --- dates ------------------------------------------------------------------------------------


@FAST
@given(day=st.dates(min_value=datetime.date(1000, 1, 1)))
def test_dates_round_trip(day: datetime.date) -> None:
    y, m, d = day.year, day.month, day.day
    for text in (f"{y}-{m:02d}-{d:02d}", f"{y}/{m}/{d}", f"{y}{m:02d}{d:02d}", f"{y}年{m}月{d}日",
                 f" {y}-{m}-{d} 00:00:00 ", f"{y}-{m:02d}-{d:02d}T12:30"):
        assert dates.parse_date(text) == day
    assert dates.parse_date(datetime.datetime(y, m, d, 15, 1)) == day
    assert dates.parse_date(day) == day
    assert dates.parse_date(int(f"{y}{m:02d}{d:02d}")) == day


@pytest.mark.parametrize("value,error", [
    ("01/02/2024", InvalidFormat), ("2024.01.02", InvalidFormat), ("", InvalidFormat),
    ("2024-1", InvalidFormat), (None, InvalidFormat), (45296.0, InvalidFormat), (True, InvalidFormat),
    ("2024-02-30", InvalidComponent), ("20230229", InvalidComponent), ("2024年13月1日", InvalidComponent),
])
def test_date_errors(value: object, error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        dates.parse_date(value)
    assert messages_ok(info.value)


# --- enumerations -------------------------------------------------------------------------------

PARSERS = {
    "entity_status": enums.parse_entity_status,
    "entity_type": enums.parse_entity_type,
    "risk_class": enums.parse_risk_class,
    "inspector_status": enums.parse_inspector_status,
    "item_category": enums.parse_item_category,
    "inspection_method": enums.parse_inspection_method,
}


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_enum_round_trips(name: str) -> None:
    parse = PARSERS[name]
    for code in enums.enumeration(name).codes:
        assert parse(code) == code
        assert parse(code.upper().replace("_", " ")) == code
        for lang in ("zh", "en"):
            text = enums.label(name, code, lang)
            assert parse(text) == code
            assert parse(f"  {text.upper()} ") == code
            assert enums.parse(name, text) == code
    with pytest.raises(InvalidComponent) as info:
        parse("no such value")
    assert info.value.params["choices"] == list(enums.enumeration(name).codes)
    assert messages_ok(info.value)


@pytest.mark.parametrize("name,spellings,code", [
    ("entity_status", ["存续", "在业", "开业", "正常", "存续（在营、开业、在册）", "Active"], "active"),
    ("entity_status", ["停业", "歇业"], "suspended"),
    ("entity_status", ["注销", "已注销", "吊销，已注销"], "cancelled"),
    ("entity_status", ["吊销", "吊销，未注销"], "revoked"),
    ("entity_status", ["撤销"], "withdrawn"),
    ("entity_status", ["迁出", "moved-out", "moved_out"], "moved_out"),
    ("entity_type", ["企业"], "enterprise"),
    ("entity_type", ["个体工商户", "个体户"], "individual"),
    ("entity_type", ["农民专业合作社", "合作社"], "cooperative"),
    ("entity_type", ["其他"], "other"),
    ("risk_class", ["A", "a", "A类", "ａ类", "A级"], "A"),
    ("risk_class", ["d", "D类"], "D"),
    ("inspector_status", ["在岗"], "on_duty"),
    ("inspector_status", ["休假", "请假"], "leave"),
    ("inspector_status", ["调离"], "transferred"),
    ("inspector_status", ["退休"], "retired"),
    ("item_category", ["一般"], "general"),
    ("item_category", ["重点"], "key"),
    ("inspection_method", ["现场检查"], "onsite"),
    ("inspection_method", ["书面检查"], "documents"),
    ("inspection_method", ["网络监测"], "online"),
    ("inspection_method", ["其他"], "other"),
])
def test_enum_spellings(name: str, spellings: list[str], code: str) -> None:
    for spelling in spellings:
        assert PARSERS[name](spelling) == code, spelling


def test_enum_aliases_do_not_collide() -> None:
    for enum in enums.ENUMERATIONS.values():
        for spelling, code in enum.aliases.items():
            assert enum.parse(spelling) == code
        for code, (zh, en) in enum.labels.items():
            assert enum.parse(zh) == code and enum.parse(en) == code


def test_risk_class_empty_is_unclassified() -> None:
    for value in (None, "", "  ", "未分类"):
        assert enums.parse_risk_class(value) is None
    assert enums.label("risk_class", None) == "未分类"
    with pytest.raises(InvalidComponent):
        enums.parse_risk_class("E")


def test_entity_status_in_operation() -> None:
    assert enums.IN_OPERATION == {"active"}
    assert enums.IN_OPERATION <= set(enums.ENTITY_STATUSES)


@pytest.mark.parametrize("yes,no", [("是", "否"), ("Y", "N"), ("y", "n"), ("yes", "no"),
                                    ("YES", "No"), ("true", "false"), ("True", "FALSE"),
                                    ("1", "0"), (1, 0), (True, False)])
def test_yes_no(yes: object, no: object) -> None:
    assert enums.parse_yes_no(yes) is True
    assert enums.parse_yes_no(no) is False
    assert enums.label("yes_no", enums.parse_yes_no(yes)) == "是"
    assert enums.label("yes_no", enums.parse_yes_no(no), "en") == "no"


def test_yes_no_empty_and_invalid() -> None:
    assert enums.parse_yes_no("", default=False) is False
    assert enums.parse_yes_no(None, default=True) is True
    for value in ("", None, "maybe", 2):
        with pytest.raises(InvalidComponent) as info:
            enums.parse_yes_no(value)
        assert messages_ok(info.value)


def test_label_errors() -> None:
    for args in (("nope", "x"), ("entity_status", "alive"), ("entity_status", "active", "fr")):
        with pytest.raises(InvalidComponent) as info:
            enums.label(*args)
        assert messages_ok(info.value)


def test_messages_ok_detects_fallbacks() -> None:
    from shuangsuiji import i18n
    i18n.register({"test_codes.partial": {"zh": "缺{missing}", "en": "missing {missing}"}})
    assert not messages_ok(InvalidFormat("test_codes.unregistered", value="x"))
    assert not messages_ok(InvalidFormat("test_codes.partial", value="x"))
    assert messages_ok(InvalidFormat("test_codes.partial", missing="x"))
