"""Enforcement certificate numbers (执法证号).

Formats vary by province, so only the common ground is checked: 6–32 characters
over digits, capital letters and hyphens, starting with a letter or digit.

>>> validate(' zj-330100 01234 ')
'ZJ-33010001234'
>>> is_valid('-123456'), is_valid('12345')
(False, False)
"""
from __future__ import annotations

import string

from .. import i18n
from ..errors import InvalidFormat, InvalidLength
from ._util import SPACES, clean, deletion_table, first_bad

MIN_LENGTH = 6
MAX_LENGTH = 32
_ALNUM = frozenset(string.digits + string.ascii_uppercase)
_ALLOWED = _ALNUM | {"-"}
_TABLE = deletion_table(SPACES)

i18n.register({
    "cert.length": {
        "zh": "执法证号应为{min}至{max}位，实际为{length}位",
        "en": "an enforcement certificate number has {min} to {max} characters, got {length}"},
    "cert.charset": {
        "zh": "执法证号只能包含数字、大写字母和“-”，第{position}位是“{char}”",
        "en": "an enforcement certificate number has digits, capital letters and '-' only; "
              "character {position} is '{char}'"},
    "cert.start": {
        "zh": "执法证号应以字母或数字开头，实际以“{char}”开头",
        "en": "an enforcement certificate number starts with a letter or digit, not '{char}'"},
})


def compact(value: object) -> str:
    """Strip spaces, fold full-width characters, upper-case."""
    return clean(value, _TABLE)


def validate(value: object) -> str:
    """The compact number if it is an acceptable certificate number."""
    number = compact(value)
    if not MIN_LENGTH <= len(number) <= MAX_LENGTH:
        raise InvalidLength("cert.length", length=len(number), min=MIN_LENGTH, max=MAX_LENGTH)
    bad = first_bad(number, _ALLOWED)
    if bad is not None:
        raise InvalidFormat("cert.charset", position=bad + 1, char=number[bad])
    if number[0] not in _ALNUM:
        raise InvalidFormat("cert.start", char=number[0])
    return number


def is_valid(value: object) -> bool:
    """Whether ``value`` is an acceptable certificate number."""
    try:
        validate(value)
    except ValueError:
        return False
    return True


def format(value: object) -> str:
    """The presentation form, which is the compact form."""
    return compact(value)
