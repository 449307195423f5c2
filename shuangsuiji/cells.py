"""Spreadsheet-safe text cells (CSV / XLSX formula injection).

Excel, WPS and LibreOffice treat a cell whose text starts with ``=``, ``+``, ``-``
or ``@`` (also after leading blanks, tabs or carriage returns) as a formula, so a
market entity named ``=HYPERLINK(...)`` could run code on an official's machine.
Every exported cell goes through :func:`safe_cell`, which applies the OWASP rule:
prefix such text with a single quote so it is shown, never evaluated.
"""
from __future__ import annotations

TRIGGERS = frozenset("=+-@\t\r")
"""Characters that start a formula (or hide one) in common spreadsheet programs."""

QUOTE = "'"


def is_formula_like(value: str) -> bool:
    """True if a spreadsheet could read ``value`` as a formula.

    >>> is_formula_like("=1+1"), is_formula_like("  @SUM(A1)"), is_formula_like("\\t1")
    (True, True, True)
    >>> is_formula_like("北京某某有限公司"), is_formula_like(""), is_formula_like("a=b")
    (False, False, False)
    """
    for ch in value:
        if ch in TRIGGERS:
            return True
        if not ch.isspace():
            return False
    return False


def safe_cell(value: str) -> str:
    """``value`` with a leading ``'`` if it is formula-like, otherwise unchanged.

    >>> safe_cell("=cmd|' /C calc'!A0")
    "'=cmd|' /C calc'!A0"
    >>> safe_cell("-5"), safe_cell("91350100M000100Y43")
    ("'-5", '91350100M000100Y43')
    """
    return QUOTE + value if is_formula_like(value) else value
