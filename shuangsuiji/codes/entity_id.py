"""An entity ID: a USCC (18 characters) or, for old records, a 15-digit 工商注册号.

>>> validate('91110000802100433b')
'91110000802100433B'
>>> kind('110000000000009')
'regno'
>>> is_valid('1234')
False
"""
from __future__ import annotations

from .. import i18n
from ..errors import InvalidLength
from . import regno, uscc
from ._util import HYPHENS, SPACES, clean, deletion_table

_TABLE = deletion_table(SPACES + HYPHENS)

i18n.register({
    "entity_id.length": {
        "zh": "企业标识应为18位统一社会信用代码或15位工商注册号，实际为{length}位",
        "en": "an entity ID is an 18-character unified social credit code or a 15-digit "
              "registration number, got {length} characters"},
})


def compact(value: object) -> str:
    """Strip spaces and hyphens, fold full-width characters, upper-case."""
    return clean(value, _TABLE)


def kind(value: object) -> str:
    """``'uscc'`` or ``'regno'``, decided by length (the value is not validated)."""
    number = compact(value)
    if len(number) == uscc.LENGTH:
        return "uscc"
    if len(number) == regno.LENGTH:
        return "regno"
    raise InvalidLength("entity_id.length", length=len(number))


def validate(value: object) -> str:
    """The compact ID if it is a valid USCC or registration number."""
    number = compact(value)
    return uscc.validate(number) if kind(number) == "uscc" else regno.validate(number)


def is_valid(value: object) -> bool:
    """Whether ``value`` is a valid USCC or registration number."""
    try:
        validate(value)
    except ValueError:
        return False
    return True


def format(value: object) -> str:
    """The presentation form, which is the compact form."""
    return compact(value)
