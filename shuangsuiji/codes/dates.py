"""Dates as they appear in registries and spreadsheets.

Accepted: ``date`` and ``datetime`` objects (what spreadsheet readers return),
``YYYY-MM-DD``, ``YYYY/MM/DD`` (month and day may have one digit, and a trailing
time such as ``00:00:00`` from a datetime export is dropped), ``YYYYMMDD`` (also as an
integer) and ``YYYY年M月D日``.  Anything else is an error rather than a guess:
``01/02/2024`` could be either of two dates.

>>> parse_date('2024-3-5'), parse_date(20240305), parse_date('２０２４年3月5日')
(datetime.date(2024, 3, 5), datetime.date(2024, 3, 5), datetime.date(2024, 3, 5))
>>> try:
...     parse_date('2024-02-30')
... except InvalidComponent as error:
...     print(error.code)
date.invalid
"""
from __future__ import annotations

import datetime
import re
import unicodedata

from .. import i18n
from ..errors import InvalidComponent, InvalidFormat

_TIME = r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?"
_PATTERNS = (
    re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})" + _TIME),
    re.compile(r"([0-9]{4})/([0-9]{1,2})/([0-9]{1,2})" + _TIME),
    re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})"),
    re.compile(r"([0-9]{4})\s*年\s*([0-9]{1,2})\s*月\s*([0-9]{1,2})\s*日"),
)

i18n.register({
    "date.format": {
        "zh": "日期“{value}”格式无法识别，请使用 YYYY-MM-DD、YYYY/MM/DD、YYYYMMDD 或 YYYY年M月D日",
        "en": "cannot read date '{value}'; use YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD or YYYY年M月D日"},
    "date.invalid": {
        "zh": "“{value}”不是存在的日期",
        "en": "'{value}' is not a real date"},
})


def parse_date(value: object) -> datetime.date:
    """The calendar date ``value`` denotes, or a clear error."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise InvalidFormat("date.format", value=repr(value))
    text = unicodedata.normalize("NFKC", value).strip()
    for pattern in _PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            year, month, day = (int(part) for part in match.groups())
            try:
                return datetime.date(year, month, day)
            except ValueError:
                raise InvalidComponent("date.invalid", value=text) from None
    raise InvalidFormat("date.format", value=text)
