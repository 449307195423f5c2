"""Resident ID card numbers (居民身份证号码), for inspectors' private data only.

Validation is delegated to ``stdnum.cn.ric`` (check digit, birth date, birth place);
its exceptions, including the ``KeyError`` it can raise for some unknown places, are
turned into :mod:`shuangsuiji.errors` ones.  The number itself is never put into an
error's parameters, so messages and logs do not leak it.

>>> try:
...     validate('36042619910101007x')
... except InvalidChecksum as error:
...     print(error.code, error.params)
ric.checksum {}
>>> validate('360426199101010071')
'360426199101010071'
>>> birth_date('360426199101010071')
datetime.date(1991, 1, 1)
"""
from __future__ import annotations

import datetime

import stdnum.exceptions
from stdnum.cn import ric as _ric

from .. import i18n
from ..errors import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from ._util import HYPHENS, SPACES, clean, deletion_table, first_bad

LENGTH = 18
_DIGITS = frozenset("0123456789")
_TABLE = deletion_table(SPACES + HYPHENS)

i18n.register({
    "ric.length": {
        "zh": "身份证号应为18位，实际为{length}位",
        "en": "a resident ID number has 18 characters, got {length}"},
    "ric.format": {
        "zh": "身份证号前17位应为数字、最后一位为数字或X，第{position}位不符",
        "en": "a resident ID number has 17 digits and a digit or X; character {position} is not"},
    "ric.checksum": {
        "zh": "身份证号校验位不符，请核对是否录入有误",
        "en": "resident ID number check digit mismatch; please check for typing errors"},
    "ric.birth_date": {
        "zh": "身份证号中的出生日期（第7–14位）不是有效日期",
        "en": "the birth date in the resident ID number (digits 7-14) is not a valid date"},
    "ric.birth_place": {
        "zh": "身份证号中的地址码（第1–6位）不是已知的行政区划",
        "en": "the address code in the resident ID number (digits 1-6) is not a known region"},
})


def compact(value: object) -> str:
    """Strip spaces and hyphens, fold full-width characters, upper-case the final x."""
    return clean(value, _TABLE)


def validate(value: object) -> str:
    """The compact number if it is a valid resident ID number."""
    number = compact(value)
    if len(number) != LENGTH:
        raise InvalidLength("ric.length", length=len(number))
    bad = first_bad(number[:-1], _DIGITS)
    if bad is not None or number[-1] not in "0123456789X":
        raise InvalidFormat("ric.format", position=LENGTH if bad is None else bad + 1)
    try:
        return _ric.validate(number)
    except stdnum.exceptions.InvalidChecksum as error:
        raise InvalidChecksum("ric.checksum") from error
    except (stdnum.exceptions.ValidationError, LookupError, ValueError) as error:
        code = "ric.birth_place" if _birth_date_ok(number) else "ric.birth_date"
        raise InvalidComponent(code) from error


def _birth_date_ok(number: str) -> bool:
    try:
        _ric.get_birth_date(number)
    except (stdnum.exceptions.ValidationError, ValueError):
        return False
    return True


def is_valid(value: object) -> bool:
    """Whether ``value`` is a valid resident ID number."""
    try:
        validate(value)
    except ValueError:
        return False
    return True


def format(value: object) -> str:
    """The presentation form, which is the compact form."""
    return compact(value)


def calc_check_digit(first17: str) -> str:
    """The 18th character (ISO 7064 MOD 11-2).

    >>> calc_check_digit('36042619910101007')
    '1'
    """
    body = compact(first17)[:LENGTH - 1]
    if len(body) != LENGTH - 1:
        raise InvalidLength("ric.length", length=len(body))
    bad = first_bad(body, _DIGITS)
    if bad is not None:
        raise InvalidFormat("ric.format", position=bad + 1)
    return _ric.calc_check_digit(body + "0")


def birth_date(value: object) -> datetime.date:
    """The birth date recorded in a valid number."""
    return _ric.get_birth_date(validate(value))
