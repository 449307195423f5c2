"""The plain-Python verifier of docs/verify.md accepts a real bundle and rejects a changed one."""
from __future__ import annotations

import gzip
import re
import shutil
import subprocess
import sys
from pathlib import Path

from shuangsuiji import demo

DOC = Path(__file__).resolve().parent.parent / "docs" / "verify.md"


def _script(tmp: Path) -> Path:
    code = re.search(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S).group(1)
    assert "shuangsuiji" not in code.replace("shuangsuiji/seed/v1", "")   # independent of the library
    path = tmp / "verify.py"
    path.write_text(code, encoding="utf-8")
    return path


def test_outsider_script_verifies_and_catches_a_swapped_entity(tmp_path: Path) -> None:
    res = demo.run(tmp_path / "out", entities=600, seed="outsider", db_url=f"sqlite:///{tmp_path / 'd.db'}")
    script = _script(tmp_path)
    bundle = res.files["bundle.json"]
    ok = subprocess.run([sys.executable, str(script), str(bundle)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert f"verified: {res.drawn} entities" in ok.stdout
    # an insider who swaps one eligible entity for another in the population file is caught
    pop = res.files["population.csv.gz"]
    lines = gzip.decompress(pop.read_bytes()).decode().splitlines()
    lines[1] = lines[1][:-1] + ("0" if lines[1][-1] != "0" else "1")
    pop.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))
    bad = subprocess.run([sys.executable, str(script), str(bundle)], capture_output=True, text=True)
    assert bad.returncode != 0 and "population file" in bad.stderr


def test_outsider_script_verifies_a_bundle_of_ledger_format_1(tmp_path: Path) -> None:
    """Files published before ledger format 2 (tests/data/ledger-v1, made by 4256c20), whose
    ledger file holds the bundle itself as an entry."""
    data = tmp_path / "v1"
    shutil.copytree(Path(__file__).resolve().parent / "data" / "ledger-v1", data)
    script = _script(tmp_path)
    ok = subprocess.run([sys.executable, str(script), str(data / "T-TAMPER-bundle.json")], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    ledger_file = data / "T-TAMPER-ledger.jsonl"
    lines = ledger_file.read_text(encoding="utf-8").splitlines()
    ledger_file.write_text("\n".join(lines[:-1] + [lines[-1].replace('"seq":3', '"seq":4')]) + "\n", encoding="utf-8")
    bad = subprocess.run([sys.executable, str(script), str(data / "T-TAMPER-bundle.json")], capture_output=True, text=True)
    assert bad.returncode != 0 and "ledger" in bad.stderr
