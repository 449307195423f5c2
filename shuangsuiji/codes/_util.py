"""Input cleaning shared by the code modules.

Codes arrive from spreadsheets typed by hand: full-width characters (９１，Ａ，－),
ideographic spaces and digit-only codes stored as numbers are all common, so cleaning
folds them to plain ASCII before any rule is checked.
"""
from __future__ import annotations

import unicodedata

from ..errors import InvalidFormat
from .. import i18n

SPACES = " \t\r\n\f\v\u200b\ufeff"
HYPHENS = "-"

i18n.register({
    "code.not_text": {"zh": "代码应为文本，实际为 {type}", "en": "a code must be text, got {type}"},
})


def deletion_table(chars: str) -> dict[int, None]:
    """A ``str.translate`` table that deletes ``chars``."""
    return dict.fromkeys(map(ord, chars), None)


def text_of(value: object) -> str:
    """``value`` as text; integers are allowed because spreadsheets store digit codes as numbers."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise InvalidFormat("code.not_text", type=type(value).__name__)


def clean(value: object, table: dict[int, None]) -> str:
    """NFKC-fold (full-width to ASCII), delete the ``table`` characters, upper-case.

    >>> clean("９１ １１０－０", deletion_table(SPACES + HYPHENS))
    '911100'
    >>> clean(123, deletion_table(SPACES))
    '123'
    """
    text = text_of(value)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return text.translate(table).upper()


def first_bad(value: str, allowed: str | frozenset[str]) -> int | None:
    """Index of the first character of ``value`` not in ``allowed``, or None."""
    for index, char in enumerate(value):
        if char not in allowed:
            return index
    return None
