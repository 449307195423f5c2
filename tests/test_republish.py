"""``republish``: a published task's files written again from the database, identical to
what was published, or a clear refusal with nothing written."""
from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from sqlalchemy import text

from shuangsuiji import publication, tasks
from shuangsuiji.errors import StateError, VerificationError
from shuangsuiji.store import Store
from shuangsuiji_cli.main import cli
from tests.test_tamper import DEPT, TASK, run_cycle

SAME_BYTES = ("bundle.json", "ledger.jsonl", "population.csv.gz", "bulletin.csv", "bulletin.html")


def _second_task(store: Store) -> None:
    """Another task of the same department drawn after the publication: the ledger grows."""
    tasks.create_task(store, {"task_no": "T-LATER", "name": "后续抽查", "plan": "P2026", "department": DEPT,
                              "as_of": "2026-11-02", "teams": {"seats": [{"department": DEPT, "k": 2}]},
                              "sizes": {"ratio": "10%"}})
    tasks.freeze(store, "T-LATER")
    tasks.draw(store, "T-LATER", "11 22 33")


def _cells(path: Path) -> list[list[object]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return [[list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets]
    finally:
        wb.close()


def _count(store: Store, sql: str) -> int:
    conn = store.read()
    try:
        return int(conn.execute(text(sql)).scalar_one())
    finally:
        conn.rollback()


def test_republish_writes_the_published_files_again(store: Store, tmp_path: Path) -> None:
    c = run_cycle(store, tmp_path)
    published = {p.name.removeprefix(f"{TASK}-"): p for p in (tmp_path / "pub").iterdir()}
    # the registry and the ledger move on after publication
    with store.atomic() as conn:
        old = conn.execute(text("SELECT name FROM entity WHERE uscc = :u"), {"u": c.drawn[0]}).scalar_one()
        conn.execute(text("UPDATE entity SET name = '改名后的公司' WHERE uscc = :u"), {"u": c.drawn[0]})
    _second_task(store)
    entries = _count(store, "SELECT count(*) FROM bundle")

    again = publication.republish(store, TASK, tmp_path / "again")

    assert set(again.files) == set(published)
    for name in SAME_BYTES:
        assert again.files[name].read_bytes() == published[name].read_bytes(), name
    assert _cells(again.files["bulletin.xlsx"]) == _cells(published["bulletin.xlsx"])
    bulletin = again.files["bulletin.csv"].read_text(encoding="utf-8-sig")
    assert old in bulletin and "改名后的公司" not in bulletin      # the names as sealed
    assert len(again.files["ledger.jsonl"].read_text(encoding="utf-8").splitlines()) < entries
    assert publication.verify_file(again.files["bundle.json"], store=store).checks
    assert _count(store, "SELECT count(*) FROM bundle") == entries  # nothing written to the database


def test_republish_refuses_a_task_not_published(store: Store, tmp_path: Path) -> None:
    run_cycle(store, tmp_path)
    _second_task(store)
    with pytest.raises(StateError) as info:
        publication.republish(store, "T-LATER", tmp_path / "again")
    assert "T-LATER" in info.value.message("zh") and "not published" in info.value.message("en")
    assert not (tmp_path / "again").exists()


def _nothing_written(tmp_path: Path) -> bool:
    return not (tmp_path / "again").exists() and not list(tmp_path.glob(".publish-*"))


def test_republish_refuses_a_changed_frozen_population(store: Store, tmp_path: Path) -> None:
    c = run_cycle(store, tmp_path)
    assert c.tamper("UPDATE task_stratum SET members = (SELECT members FROM task_stratum WHERE idx = 1) "
                    "WHERE idx = 0") == 1
    with pytest.raises(VerificationError) as info:
        publication.republish(store, TASK, tmp_path / "again")
    assert "frozen population" in info.value.message("en") and "冻结总体" in info.value.message("zh")
    assert _nothing_written(tmp_path)


@pytest.mark.parametrize("column", ["bundle_content", "content", "bundle_content = NULL"])
def test_republish_refuses_an_edited_bundle(store: Store, tmp_path: Path, column: str) -> None:
    """The stored bundle, its chain entry (which names the bundle's seal) or the bundle gone."""
    c = run_cycle(store, tmp_path)
    last = "(SELECT max(seq) FROM bundle)"
    if column == "content":
        seal = c.one(f"SELECT seal FROM bundle WHERE seq = {last}")
        assert c.tamper(f"UPDATE bundle SET content = replace(content, '\"created_at\":\"20', '\"created_at\":\"19') "
                        f"WHERE seq = {last}") == 1
        assert c.one(f"SELECT seal FROM bundle WHERE seq = {last}") == seal
    elif column == "bundle_content":
        assert c.tamper(f"UPDATE bundle SET bundle_content = replace(bundle_content, :a, :b) WHERE seq = {last}",
                        a=c.drawn[0], b=c.drawn[0][:-1] + "X") == 1
    else:
        assert c.tamper(f"UPDATE bundle SET {column} WHERE seq = {last}") == 1
    with pytest.raises(VerificationError) as info:
        publication.republish(store, TASK, tmp_path / "again")
    assert ("seal" if column != "bundle_content = NULL" else "missing") in info.value.message("en")
    assert _nothing_written(tmp_path)


def test_republish_from_the_cli(store: Store, tmp_path: Path) -> None:
    run_cycle(store, tmp_path)
    out = tmp_path / "cli-out"
    result = CliRunner().invoke(cli, ["--lang", "en", "--db", store.url, "republish", TASK, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "written again" in result.output and (out / f"{TASK}-bundle.json").exists()
    refused = CliRunner().invoke(cli, ["--db", store.url, "republish", "T-NONE", "--out", str(tmp_path / "x")])
    assert refused.exit_code != 0 and "Traceback" not in refused.output and "T-NONE" in refused.output
