"""GB/T 2260 administrative region codes (6 digits: province, prefecture, county).

Only the structure is checked (no table of existing codes, which changes yearly):
the province part must be a real province, and a county part needs a prefecture
part (directly administered counties use prefecture 90, never 00).

>>> validate('330106')
'330106'
>>> level('330100'), province('330106'), prefecture('330106')
('prefecture', '330000', '330100')
>>> is_valid('990000'), is_valid('330006')
(False, False)
"""
from __future__ import annotations

from .. import i18n
from ..errors import InvalidComponent, InvalidFormat, InvalidLength
from ._util import SPACES, clean, deletion_table, first_bad

LENGTH = 6
PROVINCE_RANGES = ((11, 15), (21, 23), (31, 37), (41, 46), (50, 54), (61, 65), (71, 71), (81, 82))
PROVINCES = frozenset(str(n) for low, high in PROVINCE_RANGES for n in range(low, high + 1))
_DIGITS = frozenset("0123456789")
_TABLE = deletion_table(SPACES)

i18n.register({
    "gb2260.length": {
        "zh": "行政区划代码应为6位，实际为{length}位",
        "en": "a region code has 6 digits, got {length}"},
    "gb2260.digits": {
        "zh": "行政区划代码只能由数字组成，第{position}位是“{char}”",
        "en": "a region code has digits only; character {position} is '{char}'"},
    "gb2260.province": {
        "zh": "行政区划代码的省级部分“{province}”不是有效的省级代码",
        "en": "'{province}' is not a province code"},
    "gb2260.county_without_prefecture": {
        "zh": "行政区划代码“{value}”的县级部分不为00而地市级部分为00",
        "en": "region code '{value}' has a county part under prefecture part 00"},
    "gb2260.no_prefecture": {
        "zh": "“{value}”是省级代码，没有所属地市",
        "en": "'{value}' is a province code and has no prefecture"},
})


def compact(value: object) -> str:
    """Strip spaces and fold full-width digits."""
    return clean(value, _TABLE)


def validate(value: object) -> str:
    """The compact code if it is a well-formed region code."""
    code = compact(value)
    if len(code) != LENGTH:
        raise InvalidLength("gb2260.length", length=len(code))
    bad = first_bad(code, _DIGITS)
    if bad is not None:
        raise InvalidFormat("gb2260.digits", position=bad + 1, char=code[bad])
    if code[:2] not in PROVINCES:
        raise InvalidComponent("gb2260.province", province=code[:2])
    if code[2:4] == "00" and code[4:] != "00":
        raise InvalidComponent("gb2260.county_without_prefecture", value=code)
    return code


def is_valid(value: object) -> bool:
    """Whether ``value`` is a well-formed region code."""
    try:
        validate(value)
    except ValueError:
        return False
    return True


def format(value: object) -> str:
    """The presentation form, which is the compact form."""
    return compact(value)


def level(value: object) -> str:
    """``'province'``, ``'prefecture'`` or ``'county'``.

    >>> level('110000'), level('110101')
    ('province', 'county')
    """
    code = validate(value)
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "prefecture"
    return "county"


def province(value: object) -> str:
    """The 6-digit code of the province containing ``value`` (itself for a province)."""
    return validate(value)[:2] + "0000"


def prefecture(value: object) -> str:
    """The 6-digit code of the prefecture containing ``value`` (itself for a prefecture)."""
    code = validate(value)
    if code[2:] == "0000":
        raise InvalidComponent("gb2260.no_prefecture", value=code)
    return code[:4] + "00"
