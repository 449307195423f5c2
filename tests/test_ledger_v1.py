"""Ledger format 1 stays verifiable: files and a database made before format 2 (by 4256c20,
in tests/data/ledger-v1: a SQLite database at migration 0009 with one published task, and
the files it published) verify, audit and republish as they did, and after the upgrade new
publications chain on in format 2."""
from __future__ import annotations

import gzip
import json
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from shuangsuiji import ledger, publication, results, tasks
from shuangsuiji.errors import VerificationError
from shuangsuiji.store import Store
from tests.helpers import write_csv
from tests.test_tamper import DEPT, TASK, drop_sealed_triggers

DATA = Path(__file__).resolve().parent / "data" / "ledger-v1"
FILES = ("bundle.json", "ledger.jsonl", "population.csv.gz", "bulletin.csv")


@pytest.fixture
def v1(tmp_path: Path) -> Path:
    out = tmp_path / "v1"
    shutil.copytree(DATA, out)
    (out / "v1.db").write_bytes(gzip.decompress((out / "v1.db.gz").read_bytes()))
    return out


def _store(v1: Path) -> Store:
    return Store(f"sqlite:///{v1 / 'v1.db'}")


def test_files_of_format_1_verify_and_a_changed_line_fails(v1: Path) -> None:
    bundle = v1 / f"{TASK}-bundle.json"
    assert json.loads(bundle.read_text(encoding="utf-8"))["format"] == ledger.FORMAT_1
    checks = publication.verify_file(bundle).checks
    assert any("3" in c and "台账" in c for c in checks), checks
    chain = v1 / f"{TASK}-ledger.jsonl"
    lines = chain.read_text(encoding="utf-8").splitlines()
    chain.write_text("\n".join([lines[0].replace('"round":1', '"round":2'), *lines[1:]]) + "\n", encoding="utf-8")
    with pytest.raises(VerificationError, match="1"):
        publication.verify_file(bundle)


def test_a_database_of_format_1_upgrades_audits_and_republishes_the_same_bytes(v1: Path) -> None:
    store = _store(v1)
    try:
        assert store.revision() == "0009"
        assert store.init() == "0011"
        assert publication.audit(store)
        assert publication.verify_file(v1 / f"{TASK}-bundle.json", store=store).checks
        again = publication.republish(store, TASK, v1 / "again")
        for name in FILES:
            assert again.files[name].read_bytes() == (v1 / f"{TASK}-{name}").read_bytes(), name
    finally:
        store.close()


def test_a_result_changed_in_a_format_1_bundle_is_caught(v1: Path) -> None:
    store = _store(v1)
    try:
        store.init()
        with store.atomic() as conn:
            drop_sealed_triggers(conn)
            assert conn.execute(text("UPDATE bundle SET content = replace(content, '\"codes\":[\"1\"]', "
                                     "'\"codes\":[\"2\"]') WHERE seq = 3")).rowcount == 1
            assert '"codes":["2"]' in conn.execute(text("SELECT content FROM bundle WHERE seq = 3")).scalar_one()
        with pytest.raises(VerificationError, match="3"):
            publication.audit(store)
    finally:
        store.close()


def test_after_the_upgrade_a_publication_chains_on_in_format_2(v1: Path, tmp_path: Path) -> None:
    """The department's chain holds the format-1 bundle as entry 3 and the new task's draw and
    publication after it; both bundles verify with their own ledger files."""
    store = _store(v1)
    try:
        store.init()
        tasks.create_task(store, {"task_no": "T-NEXT", "name": "第二次抽查", "plan": "P2026", "department": DEPT,
                                  "as_of": "2026-11-01", "strata": {"by": ["risk"]},
                                  "sizes": {"risk": {"A": "5%", "B": "10%", "C": "20%", "D": "50%"}},
                                  "teams": {"seats": [{"department": DEPT, "k": 2}]}})
        tasks.freeze(store, "T-NEXT")
        tasks.draw(store, "T-NEXT", "11 22 33 44")
        conn = store.read()
        drawn = [u for (u,) in conn.execute(text(
            "SELECT e.uscc FROM draw_entity de JOIN draw d ON d.id = de.draw_id JOIN task t ON t.id = d.task_id "
            "JOIN entity e ON e.id = de.entity_id WHERE t.task_no = 'T-NEXT' ORDER BY de.rank"))]
        conn.rollback()
        day = datetime.now(ZoneInfo("Asia/Shanghai")).date()
        path = write_csv(tmp_path / "r.csv", ["统一社会信用代码", "检查结果", "后续处置", "检查完成日期", "备注", "整改期限"],
                         [[u, "1", "无需后续处置", day.isoformat(), "", ""] for u in drawn])
        results.import_results(store, "T-NEXT", path, actor="检查员", today=day)
        results.review(store, "T-NEXT", None, approve=True, actor="审核员")
        pub = publication.publish(store, "T-NEXT", tmp_path / "next", actor="公示员")
        assert pub.seq == 5
        lines = pub.files["ledger.jsonl"].read_text(encoding="utf-8").splitlines()
        formats = [(json.loads(x)["format"], json.loads(x)["kind"]) for x in lines]
        assert formats == [(ledger.FORMAT_1, "draw"), (ledger.FORMAT_1, "draw"), (ledger.FORMAT_1, "publication"),
                           (ledger.FORMAT, "draw"), (ledger.FORMAT, "publication")]
        assert lines[2] == (v1 / f"{TASK}-bundle.json").read_text(encoding="utf-8").rstrip("\n")
        assert len(lines[4]) < 1000
        assert publication.verify_file(pub.files["bundle.json"], store=store).checks
        assert publication.verify_file(v1 / f"{TASK}-bundle.json", store=store).checks
        assert publication.audit(store)
    finally:
        store.close()
