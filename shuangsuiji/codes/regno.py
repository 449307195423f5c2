"""Legacy 15-digit 工商注册号 (registration number, before the USCC).

Digits 1–6 are the region code of the registering authority, 7–14 a sequence, and
digit 15 an ISO 7064 MOD 11,10 check digit.  Such numbers still appear in old records.

>>> calc_check_digit('11000000000000')
'9'
>>> validate('110000 000000009')
'110000000000009'
>>> is_valid('110000000000000')
False
"""
from __future__ import annotations

from .. import i18n
from ..errors import InvalidChecksum, InvalidFormat, InvalidLength
from ._util import HYPHENS, SPACES, clean, deletion_table, first_bad

LENGTH = 15
_DIGITS = frozenset("0123456789")
_TABLE = deletion_table(SPACES + HYPHENS)

i18n.register({
    "regno.length": {
        "zh": "工商注册号应为15位，实际为{length}位",
        "en": "a registration number has 15 digits, got {length}"},
    "regno.digits": {
        "zh": "工商注册号只能由数字组成，第{position}位是“{char}”",
        "en": "a registration number has digits only; character {position} is '{char}'"},
    "regno.checksum": {
        "zh": "工商注册号校验位不符：按前14位应为“{expected}”，实际为“{found}”，请核对是否录入有误",
        "en": "registration number check digit mismatch: the first 14 digits give '{expected}', "
              "found '{found}'; please check for typing errors"},
})


def compact(value: object) -> str:
    """Strip spaces and hyphens and fold full-width digits."""
    return clean(value, _TABLE)


def _digits(number: str) -> None:
    bad = first_bad(number, _DIGITS)
    if bad is not None:
        raise InvalidFormat("regno.digits", position=bad + 1, char=number[bad])


def _state(digits: str) -> int:
    """ISO 7064 MOD 11,10 running state; a complete valid number ends in state 1."""
    state = 10
    for digit in digits:
        state = (state + int(digit)) % 10 or 10
        state = state * 2 % 11
    return state


def calc_check_digit(first14: str) -> str:
    """The digit that makes the ISO 7064 MOD 11,10 state end at 1.

    >>> calc_check_digit('79462')
    '3'
    """
    body = compact(first14)
    _digits(body)
    return str((11 - _state(body)) % 10)


def validate(value: object) -> str:
    """The compact number if it is a valid 15-digit registration number."""
    number = compact(value)
    if len(number) != LENGTH:
        raise InvalidLength("regno.length", length=len(number))
    _digits(number)
    expected = calc_check_digit(number[:-1])
    if number[-1] != expected:
        raise InvalidChecksum("regno.checksum", expected=expected, found=number[-1])
    return number


def is_valid(value: object) -> bool:
    """Whether ``value`` is a valid 15-digit registration number."""
    try:
        validate(value)
    except ValueError:
        return False
    return True


def format(value: object) -> str:
    """The presentation form, which is the compact form."""
    return compact(value)


def region(value: object) -> str:
    """Digits 1–6: the region code of the registering authority.

    >>> region('110000000000009')
    '110000'
    """
    return validate(value)[:6]
