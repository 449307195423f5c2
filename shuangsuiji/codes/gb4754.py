"""GB/T 4754-2017 industry codes: section letter, division, group, class.

A code is a section letter A–T optionally followed by a 2-digit division, 3-digit
group or 4-digit class (``C``, ``C13``, ``C131``, ``C1311``).  The numeric form without
the letter is accepted too; the letter is then derived from the division, so that
codes compare equal however they were typed.  Groups and classes are checked for
form only.

>>> validate('1311'), validate('c13'), validate('C')
('C1311', 'C13', 'C')
>>> section('2710'), division('C2710'), division('C')
('C', '27', None)
>>> try:
...     validate('A13')
... except InvalidComponent as error:
...     print(error.code, error.params)
gb4754.mismatch {'section': 'A', 'division': '13', 'expected': 'C'}
"""
from __future__ import annotations

import re

from .. import i18n
from ..errors import InvalidComponent, InvalidFormat
from ._util import SPACES, clean, deletion_table

SECTION_DIVISIONS: dict[str, tuple[int, int]] = {
    "A": (1, 5), "B": (6, 12), "C": (13, 43), "D": (44, 46), "E": (47, 50),
    "F": (51, 52), "G": (53, 60), "H": (61, 62), "I": (63, 65), "J": (66, 69),
    "K": (70, 70), "L": (71, 72), "M": (73, 75), "N": (76, 79), "O": (80, 82),
    "P": (83, 83), "Q": (84, 85), "R": (86, 90), "S": (91, 97), "T": (98, 98),
}
DIVISION_SECTION: dict[str, str] = {
    f"{d:02d}": letter for letter, (low, high) in SECTION_DIVISIONS.items()
    for d in range(low, high + 1)}
LEVELS = {0: "section", 2: "division", 3: "group", 4: "class"}
_PATTERN = re.compile(r"([A-Z]?)([0-9]{2,4})?")
_TABLE = deletion_table(SPACES)

i18n.register({
    "gb4754.format": {
        "zh": "行业代码“{value}”格式不正确：应为门类字母（A–T）加2至4位数字，如 C、C13、C1311 或 1311",
        "en": "industry code '{value}' is malformed: a section letter (A-T) and/or 2 to 4 digits, "
              "e.g. C, C13, C1311 or 1311"},
    "gb4754.section": {
        "zh": "“{section}”不是国民经济行业门类（A–T）",
        "en": "'{section}' is not an industry section (A-T)"},
    "gb4754.division": {
        "zh": "“{division}”不是国民经济行业大类（01–98）",
        "en": "'{division}' is not an industry division (01-98)"},
    "gb4754.mismatch": {
        "zh": "行业大类{division}属于门类{expected}，不属于门类{section}",
        "en": "industry division {division} belongs to section {expected}, not {section}"},
})


def compact(value: object) -> str:
    """Strip spaces, fold full-width characters, upper-case."""
    return clean(value, _TABLE)


def validate(value: object) -> str:
    """The code with its section letter if it is a well-formed industry code."""
    code = compact(value)
    match = _PATTERN.fullmatch(code)
    if match is None or not code:
        raise InvalidFormat("gb4754.format", value=code)
    letter, digits = match.group(1), match.group(2) or ""
    if letter and letter not in SECTION_DIVISIONS:
        raise InvalidComponent("gb4754.section", section=letter)
    if not digits:
        return letter
    expected = DIVISION_SECTION.get(digits[:2])
    if expected is None:
        raise InvalidComponent("gb4754.division", division=digits[:2])
    if letter and letter != expected:
        raise InvalidComponent("gb4754.mismatch", section=letter, division=digits[:2],
                               expected=expected)
    return expected + digits


def is_valid(value: object) -> bool:
    """Whether ``value`` is a well-formed industry code."""
    try:
        validate(value)
    except ValueError:
        return False
    return True


def format(value: object) -> str:
    """The letter-prefixed form of a valid code; other input only compacted."""
    try:
        return validate(value)
    except ValueError:
        return compact(value)


def section(value: object) -> str:
    """The section letter."""
    return validate(value)[0]


def division(value: object) -> str | None:
    """The 2-digit division, or None for a bare section."""
    return validate(value)[1:3] or None


def level(value: object) -> str:
    """``'section'``, ``'division'``, ``'group'`` or ``'class'``.

    >>> level('C'), level('131'), level('C1311')
    ('section', 'group', 'class')
    """
    return LEVELS[len(validate(value)) - 1]
