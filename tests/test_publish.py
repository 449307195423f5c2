"""A whole cycle through the library on both backends: publish, verify, audit, refusals."""
from __future__ import annotations

import csv
import gzip
import hashlib
import json
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from shuangsuiji import demo, publication, registry, results, tasks
from shuangsuiji.errors import StateError, ValidationError, VerificationError
from shuangsuiji.store import Store


@pytest.fixture
def cycle(db_url: str, tmp_path: Path) -> tuple[Store, demo.DemoResult, Path]:
    res = demo.run(tmp_path / "out", entities=800, seed="pub-test", db_url=db_url)
    store = Store(db_url)
    yield store, res, tmp_path / "out"
    store.close()


def test_published_cycle_verifies_and_is_final(cycle) -> None:
    store, res, out = cycle
    files = res.files
    assert {"bulletin.html", "bulletin.xlsx", "bulletin.csv", "bundle.json", "population.csv.gz",
            "ledger.jsonl"} <= set(files)
    checks = publication.verify_file(files["bundle.json"], store=store).checks
    assert any("1" in c for c in checks) and len(checks) >= 6
    assert len(publication.audit(store)) >= 3
    with pytest.raises(StateError):
        publication.publish(store, res.task_no, out / "again", actor="测试")
    with pytest.raises(StateError):
        tasks.draw(store, res.task_no, "x", reason="想重抽一次看看")
    assert not (out / "again").exists()


def test_public_outputs_hold_no_private_data(cycle) -> None:
    store, res, out = cycle
    conn = store.read()
    private = [v for (v,) in conn.execute(text("SELECT id_card FROM inspector WHERE id_card IS NOT NULL"))]
    private += [v for (v,) in conn.execute(text("SELECT phone FROM inspector WHERE phone IS NOT NULL"))]
    reasons = [v for (v,) in conn.execute(text("SELECT reason FROM conflict WHERE reason <> ''"))]
    conn.rollback()
    assert private and reasons
    blobs = [p.read_bytes() for p in res.files.values() if p.suffix != ".gz" and p.suffix != ".xlsx"]
    blobs.append(gzip.decompress(res.files["population.csv.gz"].read_bytes()))
    joined = b"\n".join(blobs).decode("utf-8", "replace")
    assert not any(v in joined for v in private)
    bundle = json.loads(res.files["bundle.json"].read_text(encoding="utf-8"))
    assert "conflicts" not in json.dumps(bundle, ensure_ascii=False)
    # the bulletin lists exactly the drawn entities, with the national publicity system's columns
    rows = list(csv.reader(res.files["bulletin.csv"].open(encoding="utf-8-sig")))
    assert rows[0][:4] == ["计划编号", "计划名称", "任务编号", "任务名称"]
    assert len(rows) - 1 == res.drawn == len(bundle["entities"])


def test_bundle_and_ledger_lines_hash_to_their_seals_as_written(cycle) -> None:
    """Strip the trailing ``,"seal":"…"`` and the rest is the sealed canonical JSON."""
    import hashlib

    from shuangsuiji import ledger

    _store, res, _out = cycle
    bundle_text = res.files["bundle.json"].read_text(encoding="utf-8")
    lines = res.files["ledger.jsonl"].read_text(encoding="utf-8").splitlines()
    bundle, entry = json.loads(bundle_text), json.loads(lines[-1])
    # ledger format 2: the chain's publication entry names the bundle by its seal and shares its head
    assert entry["kind"] == "publication" and entry["bundle_seal"] == bundle["seal"] != entry["seal"]
    assert {k: entry[k] for k in ledger.HEAD} == {k: bundle[k] for k in ledger.HEAD}
    assert bundle_text not in lines and max(map(len, lines)) < 1000
    for text_ in [bundle_text, *lines]:
        seal = json.loads(text_)["seal"]
        body = text_.removesuffix(f',"seal":"{seal}"}}') + "}"
        assert body != text_ + "}"
        assert hashlib.sha256(body.encode("utf-8")).hexdigest() == seal


def test_verify_finds_each_draw_record_in_the_bundle_text(cycle) -> None:
    """verify hashes each sealed draw record from its own text in the file (no re-serialising),
    and the text it hashes is the record's canonical JSON."""
    from shuangsuiji import ledger, verify

    _store, res, _out = cycle
    text_ = res.files["bundle.json"].read_text(encoding="utf-8")
    bundle = json.loads(text_)
    found = verify._record_seals(bundle, text_.encode())
    assert [found.get(id(d)) for d in bundle["draws"]] == [d["seal"] for d in bundle["draws"]]
    assert all(ledger.seal_of(d["record"]) == d["seal"] for d in bundle["draws"])
    # a file that is not the canonical text is never searched
    assert verify._record_seals(bundle, b" " + text_.encode()) == {}


def test_nothing_published_before_results(db_url: str, tmp_path: Path) -> None:
    from tests.helpers import ENTITY_HEADER, INSPECTOR_HEADER, entity_rows, inspector_rows, write_csv
    from shuangsuiji import importer

    store = Store(db_url)
    store.init()
    importer.import_file(store, "entities", write_csv(tmp_path / "e.csv", ENTITY_HEADER, entity_rows(40)))
    importer.import_file(store, "inspectors", write_csv(tmp_path / "i.csv", INSPECTOR_HEADER, inspector_rows(6, "局")))
    tasks.create_plan(store, "P", "计划", 2026, "局")
    tasks.create_task(store, {"task_no": "T", "name": "n", "plan": "P", "department": "局",
                              "sizes": {"ratio": "10%"}, "as_of": "2026-11-01"})
    tasks.freeze(store, "T")
    tasks.draw(store, "T", "1 2 3")
    with pytest.raises(StateError) as info:
        publication.publish(store, "T", tmp_path / "pub", actor="测试")
    assert "4" in info.value.message("en")          # 4 results not approved
    assert not (tmp_path / "pub").exists()
    with pytest.raises(ValidationError) as bad:     # refused before any work
        publication.publish(store, "T", tmp_path / "pub", actor="测试", encoding="latin-1")
    assert bad.value.code == "bulletin.bad_encoding" and not (tmp_path / "pub").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".publish-")]
    n = publication.dispatch(store, "T", tmp_path / "dispatch.csv")
    assert n == 4
    store.close()


def test_due_lists_overdue_tasks(db_url: str, tmp_path: Path) -> None:
    from datetime import date

    store = Store(db_url)
    store.init()
    tasks.create_plan(store, "P", "计划", 2026, "局")
    tasks.create_task(store, {"task_no": "T", "name": "n", "plan": "P", "department": "局",
                              "sizes": {"ratio": "10%"}, "inspection": {"start": "2026-09-01", "end": "2026-09-30"}})
    rows = publication.due(store, date(2026, 11, 20))
    assert [(r.task_no, r.status) for r in rows] == [("T", "overdue")]
    # independent count: the 20th official working day after the end (National Day holiday skipped)
    import chinese_calendar
    from datetime import timedelta

    day, left = date(2026, 9, 30), 20
    while left:
        day += timedelta(days=1)
        left -= chinese_calendar.is_workday(day)
    assert rows[0].due == day and day > date(2026, 10, 28)
    assert publication.due(store, date(2026, 10, 9)) == []
    store.close()


def test_published_inspections_close_the_window_for_later_tasks(cycle) -> None:
    """A published inspection is history: the export shows it as the entity's last inspection
    and a later task's window excludes the entity, though the entity's row is not rewritten."""
    store, res, _ = cycle
    shown = tasks.show_task(store, res.task_no)
    inspected = {r.uscc: r.completed_on for r in results.list_results(store, res.task_no) if r.completed_on}
    assert inspected
    listed = list(registry.rows(store, "entities"))
    exported = {r[0]: r[10] for r in listed}
    lines = "".join("\x1f".join(registry._canon(v) for v in r) + "\n" for r in listed)
    assert registry.digest(store, "entities").sha256 == hashlib.sha256(lines.encode("utf-8")).hexdigest()
    assert all(str(exported[u]) >= day.isoformat() for u, day in inspected.items())
    conn = store.read()
    stored = dict(conn.execute(text("SELECT uscc, last_inspected FROM entity")).all())
    imported = [u for u, day in stored.items() if day is not None]
    conn.rollback()
    assert imported and all(str(exported[u]) >= str(stored[u]) for u in imported)
    assert any(stored[u] is None or str(stored[u]) < day.isoformat() for u, day in inspected.items())
    spec = tomllib.loads(shown["spec"])
    as_of = max(inspected.values())
    tasks.create_task(store, {"task_no": "NEXT", "name": "后续任务", "plan": spec["plan"],
                              "department": spec["department"], "as_of": as_of.isoformat(),
                              "sizes": {"ratio": "60%"}, "exclusions": {"inspected_within_days": 30}})
    fr = tasks.freeze(store, "NEXT")
    tasks.draw(store, "NEXT", "1 2 3")
    drawn = {r.uscc for r in results.list_results(store, "NEXT")}
    cutoff = (as_of - timedelta(days=30)).isoformat()
    recent = {u for u, day in exported.items() if day is not None and str(day) >= cutoff}
    assert set(inspected) <= recent and drawn and not drawn & recent
    assert fr.excluded["recently_inspected"] >= len(set(inspected))
