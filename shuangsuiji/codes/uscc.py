"""统一社会信用代码 (Unified Social Credit Code, GB 32100-2015).

18 characters over ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (I, O, S, V, Z are never used):

====== ==============================================================
1      registering department (9 market regulation, 1, 5, A, N, Y …)
2      entity kind within that department (91 enterprise, 92 个体工商户 …)
3–8    GB/T 2260 region code of the registering authority (6 digits)
9–17   organisation code (GB 11714): 8 characters and its own check
18     check character over the first 17
====== ==============================================================

Unlike ``stdnum.cn.uscc`` this module accepts letter department codes (A…, N…, Y…),
which GB 32100 allows.  The region is checked as 6 digits only: national-level
registrations use ``100000``, which is not a GB/T 2260 code.

>>> validate('9111 0000 8021 0043 3b')
'91110000802100433B'
>>> is_valid('91110000802100433C')
False
>>> make('9', '1', '110000', '80210043')
'91110000802100433B'
>>> try:
...     validate('91110000802100433C')
... except InvalidChecksum as error:
...     print(error.code, error.params)
uscc.checksum {'expected': 'B', 'found': 'C'}
"""
from __future__ import annotations

from .. import i18n
from ..errors import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from ._util import HYPHENS, SPACES, clean, deletion_table, first_bad

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
LENGTH = 18
DEPARTMENTS = ALPHABET[1:]
_VALUE = {char: index for index, char in enumerate(ALPHABET)}
_ALLOWED = frozenset(ALPHABET)
_DIGITS = frozenset("0123456789")
_WEIGHTS = tuple(pow(3, i, 31) for i in range(LENGTH - 1))
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_VALUE = {char: int(char, 36) for char in ALPHABET}
_ORG_CHECKS = tuple({10: "X", 11: "0"}.get(11 - r, str(11 - r)) for r in range(11))
_TABLE = deletion_table(SPACES + HYPHENS)

i18n.register({
    "uscc.length": {
        "zh": "统一社会信用代码应为18位，实际为{length}位",
        "en": "a unified social credit code has 18 characters, got {length}"},
    "uscc.charset": {
        "zh": "统一社会信用代码第{position}位“{char}”不是允许的字符（只用数字和除 I、O、S、V、Z 以外的大写字母）",
        "en": "character {position} '{char}' is not allowed in a unified social credit code "
              "(digits and capital letters except I, O, S, V, Z)"},
    "uscc.department": {
        "zh": "统一社会信用代码第1位（登记管理部门代码）不能是“{char}”",
        "en": "the first character (registering department) of a unified social credit code cannot be '{char}'"},
    "uscc.region": {
        "zh": "统一社会信用代码第3–8位（行政区划码）应为6位数字，实际为“{region}”",
        "en": "characters 3-8 (region code) of a unified social credit code must be 6 digits, got '{region}'"},
    "uscc.body_length": {
        "zh": "计算校验码需要统一社会信用代码的前17位，实际为{length}位",
        "en": "the check character is computed over the first 17 characters, got {length}"},
    "uscc.kind": {
        "zh": "统一社会信用代码第2位（机构类别代码）不能是“{char}”",
        "en": "the second character (entity kind) of a unified social credit code cannot be '{char}'"},
    "uscc.org_length": {
        "zh": "组织机构代码本体应为8位，实际为{length}位",
        "en": "the organisation code body has 8 characters, got {length}"},
    "uscc.checksum": {
        "zh": "统一社会信用代码校验码不符：按前17位应为“{expected}”，实际为“{found}”，请核对代码是否录入有误",
        "en": "unified social credit code check character mismatch: the first 17 characters give "
              "'{expected}', found '{found}'; please check the code for typing errors"},
    "uscc.org_checksum": {
        "zh": "统一社会信用代码第9–17位（组织机构代码）校验码不符：应为“{expected}”，实际为“{found}”",
        "en": "the organisation code (characters 9-17) has a wrong check character: "
              "expected '{expected}', found '{found}'"},
})


def compact(value: object) -> str:
    """Strip spaces and hyphens, fold full-width characters, upper-case.

    >>> compact('９１１１0000-802100433b')
    '91110000802100433B'
    """
    return clean(value, _TABLE)


def calc_check_digit(first17: str) -> str:
    """The 18th character: (31 − Σ vᵢ·3^(i−1) mod 31) mod 31, as an alphabet character.

    >>> calc_check_digit('91110000802100433')
    'B'
    """
    body = compact(first17)
    if len(body) not in (LENGTH - 1, LENGTH):
        raise InvalidLength("uscc.body_length", length=len(body))
    body = body[: LENGTH - 1]
    _check_alphabet(body)
    return _check17(body)


def _check17(body: str) -> str:
    total = sum(w * _VALUE[c] for w, c in zip(_WEIGHTS, body))
    return ALPHABET[-total % 31]


def calc_org_check_digit(org8: str) -> str:
    """GB 11714 check of an organisation-code body: 11 − (Σ vᵢ·wᵢ mod 11), 10 → X, 11 → 0.

    Letters count A=10 … Z=35 as in GB 11714.

    >>> calc_org_check_digit('80210043')
    '3'
    >>> calc_org_check_digit('MA27Y0Q0')
    '8'
    """
    body = compact(org8)
    if len(body) != 8:
        raise InvalidLength("uscc.org_length", length=len(body))
    _check_alphabet(body, offset=8)
    return _org_check(body)


def _org_check(body: str) -> str:
    return _ORG_CHECKS[sum(w * _ORG_VALUE[c] for w, c in zip(_ORG_WEIGHTS, body)) % 11]


def _check_alphabet(value: str, offset: int = 0) -> None:
    if _ALLOWED.issuperset(value):
        return
    bad = first_bad(value, _ALLOWED)
    if bad is not None:
        raise InvalidFormat("uscc.charset", position=offset + bad + 1, char=value[bad])


def _check_parts(number: str) -> None:
    """Length, alphabet, department and region: everything but the two checks."""
    if len(number) != LENGTH:
        raise InvalidLength("uscc.length", length=len(number))
    _check_alphabet(number)
    if number[0] == "0":
        raise InvalidComponent("uscc.department", char=number[0])
    region_part = number[2:8]
    if not _DIGITS.issuperset(region_part):
        raise InvalidComponent("uscc.region", region=region_part)


def validate(value: object) -> str:
    """The compact code if it is a valid USCC, else a specific validation error.

    The final check is tested before the organisation-code check so that a typo
    anywhere is reported as the general mismatch; the organisation-code error then
    only appears for codes that are self-consistent but built on a bad organisation code.
    """
    number = compact(value)
    _check_parts(number)
    expected = _check17(number)
    if number[-1] != expected:
        raise InvalidChecksum("uscc.checksum", expected=expected, found=number[-1])
    expected = _org_check(number[8:16])
    if number[16] != expected:
        raise InvalidChecksum("uscc.org_checksum", expected=expected, found=number[16])
    return number


def is_valid(value: object) -> bool:
    """Whether ``value`` is a valid USCC.

    >>> is_valid('A1110000600037341L'), is_valid('12345')
    (False, False)
    """
    try:
        validate(value)
    except ValueError:
        return False
    return True


def format(value: object) -> str:
    """The presentation form, which for a USCC is the compact form."""
    return compact(value)


def department(value: object) -> str:
    """Character 1: the registering department (``'9'`` for market regulation)."""
    return validate(value)[0]


def entity_kind(value: object) -> str:
    """Character 2: the entity kind within its department (``'2'`` after ``'9'`` is 个体工商户)."""
    return validate(value)[1]


def entity_type(value: object) -> str:
    """The :mod:`.enums` entity type implied by characters 1–2.

    >>> entity_type('91110000802100433B')
    'enterprise'
    """
    number = validate(value)
    if number[0] == "9":
        return {"1": "enterprise", "2": "individual", "3": "cooperative"}.get(number[1], "other")
    return "other"


def region(value: object) -> str:
    """Characters 3–8: the region code of the registering authority.

    >>> region('91110000802100433B')
    '110000'
    """
    return validate(value)[2:8]


def organisation_code(value: object) -> str:
    """Characters 9–17: the GB 11714 organisation code, check included."""
    return validate(value)[8:17]


def make(department: str, kind: str, region: str, org9_without_check: str) -> str:
    """Assemble a valid USCC from its parts, computing both check characters.

    ``org9_without_check`` is the 8-character organisation-code body (the 9th, its
    check, is computed).  Deterministic: meant for tests and synthetic data.

    >>> make('N', '2', '330106', 'MA27Y0Q0')
    'N2330106MA27Y0Q08A'
    """
    dep, knd, reg, org = (compact(part) for part in (department, kind, region, org9_without_check))
    if len(dep) != 1 or dep not in DEPARTMENTS:
        raise InvalidComponent("uscc.department", char=dep)
    if len(knd) != 1 or knd not in _ALLOWED:
        raise InvalidComponent("uscc.kind", char=knd)
    if len(reg) != 6 or first_bad(reg, _DIGITS) is not None:
        raise InvalidComponent("uscc.region", region=reg)
    first17 = dep + knd + reg + org + calc_org_check_digit(org)
    return first17 + calc_check_digit(first17)
