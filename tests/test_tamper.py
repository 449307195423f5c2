"""Tampering: after a full cycle, any direct edit of sealed rows or of the published files is
caught by ``publication.audit`` and ``publication.verify_file`` with a message naming what differs.

Each database case runs a fresh cycle (freeze, a draw and a re-draw with a reason, results,
review, publish), checks that the untouched database verifies, applies one edit with plain
SQL, as an insider with database access would, and expects :class:`VerificationError`.
"""
from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from shuangsuiji import importer, population_reader, publication, results, sampling, tasks
from shuangsuiji.errors import VerificationError
from shuangsuiji.store import Store
from shuangsuiji_cli.main import cli
from tests.conftest import fresh_store
from tests.helpers import ENTITY_HEADER, INSPECTOR_HEADER, entity_rows, inspector_rows, write_csv

DEPT = "市场监管局"
TASK = "T-TAMPER"


@dataclass
class Cycle:
    store: Store
    bundle: Path
    drawn: list[str]                  # current round, rank order
    draw_ids: dict[int, int]          # round → draw id

    def one(self, sql: str, **params: object) -> object:
        conn = self.store.read()
        value = conn.execute(text(sql), params).scalar()
        conn.rollback()
        return value

    def tamper(self, sql: str, **params: object) -> int:
        """Edit the database as an administrator would who first removes the sealed-row
        triggers (migration 0002): what the triggers cannot prevent, audit must detect."""
        with self.store.atomic() as conn:
            drop_sealed_triggers(conn)
            return conn.execute(text(sql), params).rowcount


def drop_sealed_triggers(conn) -> None:
    if conn.dialect.name == "sqlite":
        for (name,) in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'sealed_%'")).all():
            conn.execute(text(f"DROP TRIGGER {name}"))
    else:
        conn.execute(text("DROP FUNCTION IF EXISTS shuangsuiji_sealed() CASCADE"))


def run_cycle(store: Store, tmp: Path) -> Cycle:
    importer.import_file(store, "entities", write_csv(tmp / "e.csv", ENTITY_HEADER, entity_rows(120)))
    importer.import_file(store, "inspectors", write_csv(tmp / "i.csv", INSPECTOR_HEADER, inspector_rows(12, DEPT)))
    tasks.create_plan(store, "P2026", "2026年度抽查计划", 2026, DEPT)
    tasks.create_task(store, {"task_no": TASK, "name": "食品经营抽查", "plan": "P2026", "department": DEPT,
                              "as_of": "2026-11-01", "strata": {"by": ["risk"]},
                              "sizes": {"risk": {"A": "5%", "B": "10%", "C": "20%", "D": "50%"}},
                              "teams": {"seats": [{"department": DEPT, "k": 2}]}})
    tasks.freeze(store, TASK)
    tasks.draw(store, TASK, "35 17 02 88")
    tasks.draw(store, TASK, "61 44 09 23", reason="见证人缺席，依规重抽")
    conn = store.read()
    drawn = [u for (u,) in conn.execute(text(
        "SELECT e.uscc FROM draw_entity de JOIN draw d ON d.id = de.draw_id JOIN entity e ON e.id = de.entity_id "
        "WHERE d.current = :c ORDER BY de.rank"), {"c": True})]
    draw_ids = {int(r): int(i) for r, i in conn.execute(text("SELECT round_no, id FROM draw"))}
    conn.rollback()
    day = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    rows = [[u, "1" if i % 3 else "E", "无需后续处置" if i % 3 else "责令改正", day.isoformat(), "",
             "" if i % 3 else day.isoformat()] for i, u in enumerate(drawn)]
    path = write_csv(tmp / "results.csv", ["统一社会信用代码", "检查结果", "后续处置", "检查完成日期", "备注", "整改期限"], rows)
    results.import_results(store, TASK, path, actor="检查员", today=day)
    results.review(store, TASK, None, approve=True, actor="审核员")
    pub = publication.publish(store, TASK, tmp / "pub", actor="公示员")
    return Cycle(store, pub.files["bundle.json"], drawn, draw_ids)


@pytest.fixture
def cycle(store: Store, tmp_path: Path) -> Cycle:
    c = run_cycle(store, tmp_path)
    assert publication.audit(store)                                   # the untouched database verifies
    assert publication.verify_file(c.bundle, store=store).checks
    return c


def expect_both_fail(c: Cycle, *needles: str) -> None:
    """audit and verify_file(store=…) both raise, in both languages naming what differs."""
    for check in (lambda: publication.audit(c.store), lambda: publication.verify_file(c.bundle, store=c.store)):
        with pytest.raises(VerificationError) as info:
            check()
        zh, en = info.value.message("zh"), info.value.message("en")
        for needle in needles:
            assert needle in zh and needle in en, (needle, zh, en)
    # the files alone are still consistent: only the database was edited
    assert publication.verify_file(c.bundle).checks


# -- the database --------------------------------------------------------------------------
def test_changed_ticket(cycle: Cycle) -> None:
    c = cycle
    uscc = c.drawn[3]
    eid = c.one("SELECT id FROM entity WHERE uscc = :u", u=uscc)
    ticket = str(c.one("SELECT ticket FROM draw_entity WHERE draw_id = :d AND entity_id = :e", d=c.draw_ids[2], e=eid))
    forged = ticket[:-1] + ("0" if ticket[-1] != "0" else "1")
    assert c.tamper("UPDATE draw_entity SET ticket = :t WHERE draw_id = :d AND entity_id = :e",
                    t=forged, d=c.draw_ids[2], e=eid) == 1
    expect_both_fail(c, uscc, forged)


def test_changed_ticket_of_superseded_round(cycle: Cycle) -> None:
    c = cycle
    row = c.store.read().execute(text(
        "SELECT de.entity_id, de.ticket, e.uscc FROM draw_entity de JOIN entity e ON e.id = de.entity_id "
        "WHERE de.draw_id = :d ORDER BY de.rank LIMIT 1"), {"d": c.draw_ids[1]}).one()
    c.store.read().rollback()
    assert c.tamper("UPDATE draw_entity SET ticket = :t WHERE draw_id = :d AND entity_id = :e",
                    t="0" * 16, d=c.draw_ids[1], e=row[0]) == 1
    expect_both_fail(c, row[2])


def test_swapped_team_inspector(cycle: Cycle) -> None:
    c = cycle
    uscc = c.drawn[0]
    eid = c.one("SELECT id FROM entity WHERE uscc = :u", u=uscc)
    team = c.store.read().execute(text("SELECT inspector_id FROM draw_team WHERE draw_id = :d AND entity_id = :e"),
                                  {"d": c.draw_ids[2], "e": eid}).scalars().all()
    c.store.read().rollback()
    other = c.one("SELECT min(id) FROM inspector WHERE id NOT IN (" + ",".join(map(str, team)) + ")")
    outsider = str(c.one("SELECT cert_no FROM inspector WHERE id = :i", i=other))
    assert c.tamper("UPDATE draw_team SET inspector_id = :o WHERE draw_id = :d AND entity_id = :e AND seat = 1",
                    o=other, d=c.draw_ids[2], e=eid) == 1
    expect_both_fail(c, uscc, outsider)


def test_added_seat_for_an_entity_not_drawn(cycle: Cycle) -> None:
    """draw_team has no foreign keys (migration 0007): a seat for an entity outside the
    draw goes in, and audit names it."""
    c = cycle
    eid = c.one("SELECT min(id) FROM entity WHERE id NOT IN (SELECT entity_id FROM draw_entity)")
    assert c.tamper("INSERT INTO draw_team (draw_id, entity_id, seat, inspector_id, role) "
                    "SELECT :d, :e, 0, min(id), 'leader' FROM inspector", d=c.draw_ids[2], e=eid) == 1
    expect_both_fail(c, f" {eid}")


def test_seat_of_an_officer_not_in_the_registry(cycle: Cycle) -> None:
    c = cycle
    eid = c.one("SELECT id FROM entity WHERE uscc = :u", u=c.drawn[1])
    assert c.tamper("UPDATE draw_team SET inspector_id = 987654 WHERE draw_id = :d AND entity_id = :e AND seat = 0",
                    d=c.draw_ids[2], e=eid) == 1
    expect_both_fail(c, f" {eid}")


def test_drawn_entity_deleted_from_the_registry(cycle: Cycle) -> None:
    """An entity drawn only in the superseded round (so no result or inspection history
    points at it) deleted by hand: its drawn row now points nowhere."""
    c = cycle
    eid = c.one("SELECT min(entity_id) FROM draw_entity WHERE draw_id = :a AND entity_id NOT IN "
                "(SELECT entity_id FROM draw_entity WHERE draw_id = :b)", a=c.draw_ids[1], b=c.draw_ids[2])
    assert c.tamper("DELETE FROM entity WHERE id = :e", e=eid) == 1
    expect_both_fail(c, f" {eid}")


def test_drawn_rows_of_no_draw(cycle: Cycle) -> None:
    c = cycle
    ghost = max(c.draw_ids.values()) + 40
    assert c.tamper("INSERT INTO draw_entity (draw_id, entity_id, stratum, rank, ticket) "
                    "SELECT :g, min(id), 0, 0, '0000000000000000' FROM entity", g=ghost) == 1
    with pytest.raises(VerificationError) as info:
        publication.audit(c.store)
    assert str(ghost) in info.value.message("zh") and str(ghost) in info.value.message("en")


def test_deleted_result(cycle: Cycle) -> None:
    c = cycle
    uscc = c.drawn[2]
    rid = c.one("SELECT r.id FROM result r JOIN entity e ON e.id = r.entity_id WHERE e.uscc = :u AND r.draw_id = :d",
                u=uscc, d=c.draw_ids[2])
    c.tamper("DELETE FROM result_event WHERE result_id = :r", r=rid)
    assert c.tamper("DELETE FROM result WHERE id = :r", r=rid) == 1
    expect_both_fail(c, uscc)


def test_changed_result_codes(cycle: Cycle) -> None:
    c = cycle
    uscc = c.drawn[1]
    assert c.tamper("UPDATE result SET codes = 'C' WHERE draw_id = :d AND entity_id = "
                    "(SELECT id FROM entity WHERE uscc = :u)", d=c.draw_ids[2], u=uscc) == 1
    expect_both_fail(c, uscc)


def test_changed_stratum_digest(cycle: Cycle) -> None:
    c = cycle
    key = str(c.one("SELECT key FROM task_stratum WHERE idx = 1"))
    assert c.tamper("UPDATE task_stratum SET digest = :g WHERE idx = 1", g="f" * 64) == 1
    expect_both_fail(c, key)


def test_changed_stratum_members(cycle: Cycle) -> None:
    """The frozen population itself: one stratum's list replaced by another's."""
    c = cycle
    key = str(c.one("SELECT key FROM task_stratum WHERE idx = 0"))
    assert c.tamper("UPDATE task_stratum SET members = (SELECT members FROM task_stratum WHERE idx = 1) "
                    "WHERE idx = 0") == 1
    expect_both_fail(c, key)


@pytest.mark.parametrize("kind", ["draw", "publication"])
def test_edited_ledger_content(cycle: Cycle, kind: str) -> None:
    c = cycle
    seq, content = c.store.read().execute(text(
        "SELECT seq, content FROM bundle WHERE content LIKE :k ORDER BY seq DESC LIMIT 1"),
        {"k": f'%"kind":"{kind}"%'}).one()
    c.store.read().rollback()
    doc = json.loads(content)
    doc["created_at"] = "2026-01-01T00:00:00+00:00"          # an innocent-looking backdating
    assert c.tamper("UPDATE bundle SET content = :c WHERE seq = :s",
                    c=json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")), s=seq) == 1
    expect_both_fail(c, str(seq))


@pytest.mark.parametrize("which", ["first", "last"])
def test_deleted_ledger_entry(cycle: Cycle, which: str) -> None:
    c = cycle
    order = "ASC" if which == "first" else "DESC"
    seq = c.one(f"SELECT seq FROM bundle ORDER BY seq {order} LIMIT 1")
    assert c.tamper("DELETE FROM bundle WHERE seq = :s", s=seq) == 1
    # the first entry gone: entry 2 hangs in the air; the last gone: the publication is missing
    expect_both_fail(c, "2" if which == "first" else TASK)


@pytest.mark.parametrize("edit", ["changed", "removed"])
def test_edited_stored_bundle(cycle: Cycle, edit: str) -> None:
    """The bundle kept beside its publication entry (ledger format 2) edited or emptied."""
    c = cycle
    seq = c.one("SELECT seq FROM bundle WHERE bundle_content IS NOT NULL")
    if edit == "changed":
        assert c.tamper("UPDATE bundle SET bundle_content = replace(bundle_content, :a, :b) WHERE seq = :s",
                        a=c.drawn[0], b=c.drawn[0][:-1] + "X", s=seq) == 1
    else:
        assert c.tamper("UPDATE bundle SET bundle_content = NULL WHERE seq = :s", s=seq) == 1
    expect_both_fail(c, str(seq))


def test_publication_entry_resealed_as_format_1(cycle: Cycle) -> None:
    """The last entry rewritten to claim ledger format 1 (its content would then be the bundle)
    and resealed, so that the chain still holds: the stored bundle no longer backs it."""
    c = cycle
    seq, content = c.store.read().execute(text("SELECT seq, content FROM bundle ORDER BY seq DESC LIMIT 1")).one()
    c.store.read().rollback()
    doc = json.loads(content)
    doc["format"] = "shuangsuiji-ledger/1"
    raw = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert c.tamper("UPDATE bundle SET content = :c, seal = :s WHERE seq = :q", c=raw,
                    s=hashlib.sha256(raw.encode()).hexdigest(), q=seq) == 1
    expect_both_fail(c, str(seq))


def test_unreadable_ledger_content(cycle: Cycle) -> None:
    c = cycle
    assert c.tamper("UPDATE bundle SET content = :c WHERE seq = 2", c='{"kind": "draw", ') == 1
    expect_both_fail(c, "2")


# -- the files -----------------------------------------------------------------------------
@pytest.fixture
def published(tmp_path: Path) -> Iterator[Cycle]:
    with fresh_store("sqlite", tmp_path) as store:
        yield run_cycle(store, tmp_path)


@dataclass
class ReadPath:
    name: str
    used: list[bool]                  # per verify: whether a forked reader's result was used

    def check(self) -> None:
        """The forked reader was used for every verification, or never was."""
        assert self.used and all(self.used) if self.name == "forked" else not any(self.used), self.used


@pytest.fixture(params=["forked", "in-process"])
def read_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> ReadPath:
    """How ``verify`` reads the population file: by a forked worker during the parse (a
    bundle laid out as published), or in this process afterwards (a bundle laid out
    otherwise, or no fork).  ``PARALLEL_MIN`` is lowered so that the re-draw's tickets are
    hashed by forked workers beside the checks, as at scale."""
    monkeypatch.setattr(sampling, "PARALLEL_MIN", 2)
    path = ReadPath(request.param, [])
    real = population_reader.Reader.result

    def spy(self: population_reader.Reader, strata: list[dict[str, object]]) -> object:
        out = real(self, strata)
        path.used.append(out is not None)
        return out

    monkeypatch.setattr(population_reader.Reader, "result", spy)
    if request.param == "in-process":
        monkeypatch.setattr(population_reader, "leading_strata", lambda text: None)
    return path


def _write_bundle(path: Path, doc: dict[str, object]) -> None:
    """A hand-resealed bundle, laid out as published (keys sorted, no spaces)."""
    path.write_text(json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")), encoding="utf-8")


def verify_cli(bundle: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--lang", "en", "verify", str(bundle), *extra])
    return result.exit_code, result.output


def test_untouched_files_verify_by_cli(published: Cycle, read_path: ReadPath) -> None:
    code, out = verify_cli(published.bundle)
    assert code == 0, out
    assert "population file matches" in out and "round 2 re-derived" in out and "ledger" in out
    code, out = verify_cli(published.bundle, "--db", published.store.url)
    assert code == 0, out
    read_path.check()


def test_a_decoy_commit_object_ahead_of_the_real_one_is_not_trusted(published: Cycle) -> None:
    """The forked reader splits the population by the strata found at the start of the text;
    a hand-made file may put other ones there (JSON keeps the last of a repeated key), and
    its result is then set aside, never mixed into the verdict."""
    used: list[object] = []
    real = population_reader.Reader.result
    text = published.bundle.read_text(encoding="utf-8")
    head = text.index(',"commit_object":')
    decoy = ',"commit_object":{"strata":[{"key":"risk=A","size":1}]}'
    published.bundle.write_text(text[:head] + decoy + text[head:], encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(population_reader.Reader, "result", lambda self, strata: used.append(real(self, strata)) or used[-1])
        checks = publication.verify_file(published.bundle).checks
    assert used == [None]
    assert any("总体文件与承诺一致" in c for c in checks)


def test_a_reader_that_dies_leaves_the_reading_to_this_process(published: Cycle, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    untouched = publication.verify_file(published.bundle).checks
    monkeypatch.setattr(population_reader, "_work", lambda *args: os._exit(3))
    assert publication.verify_file(published.bundle).checks == untouched


def _spy_hashing(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[object]]:
    """Which tickets the re-draw used: the reader's (adopted), or hashed here afterwards."""
    from shuangsuiji import verify

    seen: dict[str, list[object]] = {"adopted": [], "hashed here": []}
    adopted, hashing = verify._adopted, verify._hashing
    monkeypatch.setattr(verify, "_adopted", lambda *a: seen["adopted"].append(adopted(*a)) or seen["adopted"][-1])
    monkeypatch.setattr(verify, "_hashing", lambda *a: seen["hashed here"].append(hashing(*a)) or seen["hashed here"][-1])
    return seen


def test_the_reader_hashes_the_first_rounds_tickets(published: Cycle, monkeypatch: pytest.MonkeyPatch) -> None:
    """The forked reader hashes the re-draw's tickets under the key the first record states,
    and they are used: no second hashing."""
    seen = _spy_hashing(monkeypatch)
    checks = publication.verify_file(published.bundle).checks
    assert any("第 1 轮抽取复核一致" in c for c in checks)
    assert len(seen["adopted"]) == 1 and seen["adopted"][0] is not None and seen["hashed here"] == []


def test_the_leading_key_is_found_after_a_provincial_drawn_list() -> None:
    """A record's seed follows its drawn list, megabytes into the bundle: the reader's key is
    looked for in the whole file, not in a prefix of it."""
    seed = "ab" * 32
    drawn = ",".join('"91330100%010d"' % i for i in range(400_000))
    data = ('{"bundle":"b/1","draws":[{"current":true,"record":{"drawn":[' + drawn + '],"seed":"'
            + seed + '"}}]}').encode("utf-8")
    assert len(data) > 8 << 20
    assert population_reader.leading_key(data) == sampling.subkey(bytes.fromhex(seed), "entity")
    assert population_reader.leading_key(data.replace(seed.encode(), b"zz" * 32)) is None


def test_tickets_under_a_wrong_guessed_key_are_not_used(published: Cycle, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader's key is read from the text before any check: a hand-made file may state
    another seed there.  Tickets under a key that is not the checked one are hashed again."""
    untouched = publication.verify_file(published.bundle).checks
    seen = _spy_hashing(monkeypatch)
    monkeypatch.setattr(population_reader, "leading_key", lambda text: sampling.subkey(bytes(32), "entity"))
    assert publication.verify_file(published.bundle).checks == untouched
    assert seen["adopted"][0] is not None and len(seen["hashed here"]) == 1


def test_a_reader_that_dies_while_hashing_leaves_the_hashing_to_this_process(
        published: Cycle, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    untouched = publication.verify_file(published.bundle).checks
    monkeypatch.setattr(sampling.PendingTickets, "work", lambda self: os._exit(5))
    assert publication.verify_file(published.bundle).checks == untouched


def test_population_errors_are_named_before_ledger_errors(published: Cycle, read_path: ReadPath) -> None:
    """verify names the first failure in its documented order (docs/verify.md), whichever
    way the population file is read: the population file before the ledger file."""
    pop = _population_file(published)
    lines = gzip.decompress(pop.read_bytes()).decode().splitlines()
    lines[1] = lines[1][:-1] + ("0" if lines[1][-1] != "0" else "1")
    pop.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))
    ledger_file = _ledger_file(published)
    ledger_file.write_text("".join(ledger_file.read_text(encoding="utf-8").splitlines(keepends=True)[1:]),
                           encoding="utf-8")
    with pytest.raises(VerificationError) as info:
        publication.verify_file(published.bundle)
    assert pop.name in info.value.message("en") and "ledger" not in info.value.message("en")
    read_path.check()


def test_flipped_byte_in_bundle(published: Cycle) -> None:
    raw = published.bundle.read_bytes()
    seed = json.loads(raw)["draws"][-1]["record"]["seed"]
    at = raw.index(seed.encode()) + 10
    published.bundle.write_bytes(raw[:at] + bytes([raw[at] ^ 0x01]) + raw[at + 1:])
    with pytest.raises(VerificationError) as info:
        publication.verify_file(published.bundle)
    assert "seal" in info.value.message("en")
    code, out = verify_cli(published.bundle)
    assert code != 0 and "seal" in out and "Traceback" not in out


def _ledger_file(c: Cycle) -> Path:
    return c.bundle.with_name(c.bundle.name.replace("-bundle.json", "-ledger.jsonl"))


@pytest.mark.parametrize("edit", ["remove-first", "remove-last", "swap"])
def test_edited_ledger_file(published: Cycle, edit: str, read_path: ReadPath) -> None:
    path = _ledger_file(published)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert len(lines) == 3                                        # two draws, one publication
    if edit == "remove-first":
        lines = lines[1:]
    elif edit == "remove-last":
        lines = lines[:-1]
    else:
        lines[0], lines[1] = lines[1], lines[0]
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(VerificationError) as info:
        publication.verify_file(published.bundle)
    assert "ledger" in info.value.message("en")
    code, out = verify_cli(published.bundle)
    assert code != 0 and "ledger" in out and "Traceback" not in out
    read_path.check()


@pytest.mark.parametrize("field", ["bundle_seal", "created_at"])
def test_resealed_publication_entry_that_names_another_bundle(published: Cycle, field: str) -> None:
    """The last entry, resealed so that the chain holds, names another bundle's seal or has
    another head than the bundle: the bundle is not in the chain."""
    from shuangsuiji import ledger

    path = _ledger_file(published)
    lines = path.read_text(encoding="utf-8").splitlines()
    entry = json.loads(lines[-1])
    entry[field] = "f" * 64 if field == "bundle_seal" else "2026-01-01T00:00:00+00:00"
    entry["seal"] = ledger.seal_of(entry)
    path.write_text("\n".join([*lines[:-1], json.dumps(entry, ensure_ascii=False)]) + "\n", encoding="utf-8")
    with pytest.raises(VerificationError) as info:
        publication.verify_file(published.bundle)
    assert "ledger entry 3" in info.value.message("en") and "台账文件中第 3 条" in info.value.message("zh")


def test_bundle_whose_draw_entry_is_not_the_chain_s(published: Cycle) -> None:
    """A bundle resealed with a draw entry of its own making (sealed, but not the one the
    ledger file holds at that seq) is caught, and the resealed publication entry with it."""
    from shuangsuiji import ledger

    doc = json.loads(published.bundle.read_text(encoding="utf-8"))
    entry = {k: v for k, v in doc["draw_ledger"][0].items() if k != "seal"}
    entry["created_at"] = "2026-01-01T00:00:00+00:00"
    doc["draw_ledger"][0] = {**entry, "seal": ledger.seal_of(entry)}
    doc["seal"] = ledger.seal_of(doc)
    _write_bundle(published.bundle, doc)
    path = _ledger_file(published)
    lines = path.read_text(encoding="utf-8").splitlines()
    last = json.loads(lines[-1])
    last["bundle_seal"] = doc["seal"]
    last["seal"] = ledger.seal_of(last)
    path.write_text("\n".join([*lines[:-1], json.dumps(last, ensure_ascii=False)]) + "\n", encoding="utf-8")
    with pytest.raises(VerificationError) as info:
        publication.verify_file(published.bundle)
    assert "round 1 (entry 1)" in info.value.message("en")


@pytest.mark.parametrize("edit", ["garble-line", "not-an-object"])
def test_damaged_ledger_file(published: Cycle, edit: str) -> None:
    path = _ledger_file(published)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = lines[1][: len(lines[1]) // 2] + "\n" if edit == "garble-line" else "[1, 2]\n"
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(VerificationError):
        publication.verify_file(published.bundle)
    code, out = verify_cli(published.bundle)
    assert code == 1 and "Traceback" not in out and "internal error" not in out


MALFORMED: list[tuple[str, object]] = [
    ("population_file", None), ("population_file", []), ("population_file", {"name": ""}),
    ("population_file", {"name": "../../etc/x"}), ("population_file", {"name": 5}), ("population_file", "x"),
    ("draws", "x"), ("draws", [1]), ("draws", [{}]), ("draw_ledger", "x"), ("draw_ledger", [1]),
    ("entities", None), ("results", [1]), ("commit_object", []), ("commit_object", {"strata": 5}),
    ("seq", "x"), ("task", None), ("commitment", None), ("format", "shuangsuiji-ledger/9"), ("kind", "draw"),
]


@pytest.mark.parametrize(("key", "value"), MALFORMED)
def test_malformed_but_resealed_bundle(published: Cycle, key: str, value: object) -> None:
    """A hand-made bundle with a recomputed seal but a broken structure fails cleanly."""
    from shuangsuiji import ledger

    doc = json.loads(published.bundle.read_text(encoding="utf-8"))
    doc[key] = value
    doc["seal"] = ledger.seal_of(doc)
    published.bundle.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    for kwargs in ({}, {"store": published.store}):
        with pytest.raises(VerificationError):
            publication.verify_file(published.bundle, **kwargs)  # type: ignore[arg-type]
    code, out = verify_cli(published.bundle)
    assert code == 1 and "Traceback" not in out and "internal error" not in out


def _resealed(c: Cycle, edit: object) -> None:
    """The bundle edited by ``edit(doc)`` and sealed again, as a forger with no access to the ledger would."""
    from shuangsuiji import ledger

    doc = json.loads(c.bundle.read_text(encoding="utf-8"))
    edit(doc)  # type: ignore[operator]
    doc["seal"] = ledger.seal_of(doc)
    c.bundle.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize("ticket", ["other-value", "upper-case", "number", "too-long", "too-short", "null"])
def test_resealed_bundle_with_a_changed_ticket(published: Cycle, ticket: str) -> None:
    """The ticket check names the entity whatever the forged ticket's type or length."""
    doc = json.loads(published.bundle.read_text(encoding="utf-8"))
    row = len(doc["draws"][-1]["record"]["drawn"]) // 2
    original = doc["draws"][-1]["record"]["drawn"][row]
    t = original["ticket"]
    forged = {"other-value": f"{int(t, 16) ^ 1:016x}", "upper-case": t.upper() if t.upper() != t else "A" + t[1:],
              "number": int(t, 16) % 10**6, "too-long": t + "0", "too-short": t[1:], "null": None}[ticket]

    def edit(d: dict) -> None:
        d["draws"][-1]["record"]["drawn"][row]["ticket"] = forged
    _resealed(published, edit)
    with pytest.raises(VerificationError) as info:
        publication.verify_file(published.bundle)
    for lang, word in (("en", "ticket"), ("zh", "签号")):
        assert original["uscc"] in info.value.message(lang) and word in info.value.message(lang)


def test_resealed_bundle_with_an_entity_drawn_twice(published: Cycle) -> None:
    def edit(d: dict) -> None:
        drawn = d["draws"][-1]["record"]["drawn"]
        drawn[-1] = dict(drawn[0])
    _resealed(published, edit)
    first = published.drawn[0]
    with pytest.raises(VerificationError) as info:
        publication.verify_file(published.bundle)
    assert first in info.value.message("en") and "twice" in info.value.message("en")


def test_ledger_file_with_crlf_line_ends_and_blank_lines_verifies(published: Cycle) -> None:
    """The ledger file is read a line at a time whatever its line ends; blank lines are no entries."""
    path = _ledger_file(published)
    lines = path.read_bytes().rstrip(b"\n").split(b"\n")
    path.write_bytes(b"\r\n".join(lines[:1] + [b""] + lines[1:]) + b"\r\n\r\n")
    checks = publication.verify_file(published.bundle).checks
    assert any("3" in c and ("台账" in c or "ledger" in c) for c in checks), checks
    lines[0] = lines[0].replace(b'"kind":"draw"', b'"kind":"drew"')
    path.write_bytes(b"\r\n".join(lines) + b"\r\n")
    with pytest.raises(VerificationError):
        publication.verify_file(published.bundle)


_settings = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_settings
@given(data=st.data())
def test_any_changed_byte_of_the_bundle_is_caught(published: Cycle, data: st.DataObject) -> None:
    """Every single-byte change either leaves the same JSON document or fails verification."""
    original = published.bundle.read_bytes()
    at = data.draw(st.integers(0, len(original) - 1), label="position")
    new = data.draw(st.integers(0, 255).filter(lambda b: b != original[at]), label="byte")
    forged = original[:at] + bytes([new]) + original[at + 1:]
    path = published.bundle
    path.write_bytes(forged)
    try:
        try:
            same = json.loads(forged.decode("utf-8")) == json.loads(original)
        except ValueError:
            same = False
        if same:
            publication.verify_file(path)
        else:
            with pytest.raises(VerificationError):
                publication.verify_file(path)
    finally:
        path.write_bytes(original)



def _population_file(c: Cycle) -> Path:
    return c.bundle.with_name(c.bundle.name.replace("-bundle.json", "-population.csv.gz"))


@pytest.mark.parametrize("damage", ["swap-entity", "not-gzip", "truncated-gzip", "not-a-population"])
def test_damaged_population_file(published: Cycle, damage: str, read_path: ReadPath) -> None:
    """A changed population file fails on its sealed SHA-256; one that was broken before the
    bundle was (re)sealed fails on its content, naming the file, never with a traceback."""
    from shuangsuiji import ledger

    pop = _population_file(published)
    raw = pop.read_bytes()
    text = gzip.decompress(raw).decode()
    if damage == "swap-entity":
        lines = text.splitlines()
        lines[1] = lines[1][:-1] + ("0" if lines[1][-1] != "0" else "1")
        new = gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0)
    else:
        new = {"not-gzip": text.encode(), "truncated-gzip": raw[: len(raw) // 2],
               "not-a-population": gzip.compress(b"a,b\n1,2\n", mtime=0)}[damage]
    pop.write_bytes(new)
    if damage != "swap-entity":
        doc = json.loads(published.bundle.read_text(encoding="utf-8"))
        doc["population_file"]["sha256"] = hashlib.sha256(new).hexdigest()
        doc["seal"] = ledger.seal_of(doc)
        _write_bundle(published.bundle, doc)
    with pytest.raises(VerificationError) as info:
        publication.verify_file(published.bundle)
    assert pop.name in info.value.message("en")
    code, out = verify_cli(published.bundle)
    assert code == 1 and "Traceback" not in out and pop.name in out
    read_path.check()


def test_resealed_bundle_with_malformed_strata_fails_on_its_commitment(published: Cycle) -> None:
    """The forked reader's strata check does not pre-empt the bundle's own checks: with the
    original strata left ahead as a decoy (JSON keeps the last of a repeated key), a stratum
    that is not an object fails on the commitment, as without the reader."""
    from shuangsuiji import ledger

    doc = json.loads(published.bundle.read_text(encoding="utf-8"))
    original = json.dumps(doc["commit_object"], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    doc["commit_object"]["strata"][0] = ["not", "an", "object"]
    doc["seal"] = ledger.seal_of(doc)
    _write_bundle(published.bundle, doc)
    text = published.bundle.read_text(encoding="utf-8")
    head = text.index(',"commit_object":')
    published.bundle.write_text(text[:head] + ',"commit_object":' + original + text[head:], encoding="utf-8")
    assert population_reader.leading_strata(published.bundle.read_bytes()) is not None
    with pytest.raises(VerificationError) as info:
        publication.verify_file(published.bundle)
    assert "commitment" in info.value.message("en")
