"""The documentation covers what the code does."""
from __future__ import annotations

from pathlib import Path

from shuangsuiji.formats import COLUMNS

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_every_import_column_is_documented() -> None:
    text = (DOCS / "formats.md").read_text(encoding="utf-8")
    for kind, cols in COLUMNS.items():
        for c in cols:
            assert f"| {c.zh} | {c.en} |" in text, (kind, c.key)
