"""The embedding example in docs/api.md runs as printed."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "api.md"


def first_python_block(markdown: str) -> str:
    match = re.search(r"^```python\n(.*?)^```", markdown, flags=re.S | re.M)
    assert match is not None, "docs/api.md has no ```python block"
    return match.group(1)


def test_first_python_block_is_found() -> None:
    sample = "text\n```text\nno\n```\n```python\nx = 1\n```\n```python\ny = 2\n```\n"
    assert first_python_block(sample) == "x = 1\n"


def test_api_example_runs(tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(first_python_block(DOC.read_text(encoding="utf-8")), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("SHUANGSUIJI_DB", "SHUANGSUIJI_LANG")}
    env["TMPDIR"] = str(tmp_path)  # the example's temporary directory lands in pytest's
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, encoding="utf-8",
                         cwd=tmp_path, env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Traceback" not in out.stderr
    paths = [Path(p) for p in re.findall(r"^published \S+: (.+)$", out.stdout, flags=re.M)]
    assert {"API-2026-001-bundle.json", "API-2026-001-bulletin.html", "API-2026-001-population.csv.gz"} <= {
        p.name for p in paths}
    assert all(p.is_file() and p.resolve().is_relative_to(tmp_path.resolve()) for p in paths)
    assert "refused:" in out.stdout                     # the re-draw without a reason was refused
    assert out.stdout.count("✓") >= 5                   # seal, commitment, population, draw, chain
    assert re.search(r"^audit: [1-9]\d* checks passed$", out.stdout, flags=re.M)


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_relative_links_in_the_docs_resolve() -> None:
    pages = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
    anchors = {p.resolve(): {_anchor(h) for h in re.findall(r"^#+ (.+)$", p.read_text(encoding="utf-8"), flags=re.M)}
               for p in pages}
    broken = []
    for page in pages:
        text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.S | re.M)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            dest = (page.parent / path).resolve() if path else page.resolve()
            if not dest.exists() or (anchor and dest in anchors and anchor not in anchors[dest]):
                broken.append(f"{page.name}: {target}")
    assert not broken, broken


def test_every_public_name_is_documented() -> None:
    import shuangsuiji

    text = DOC.read_text(encoding="utf-8")
    assert [n for n in shuangsuiji.__all__ if f"`{n}`" not in text] == []
