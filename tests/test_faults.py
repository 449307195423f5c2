"""Crash safety: an import, a draw and a publication killed (SIGKILL) in the middle of their
transaction leave the database exactly as before and no output files, and then rerun cleanly.

Each operation runs in a child process (``python -c``) that touches a marker file once it
has written rows inside its transaction (after the first import chunk, after the first
draw rows, after the publication's ledger entry).  The parent kills it with SIGKILL as soon
as the marker appears; the child's remaining work takes far longer than the kill latency.
Should the child still finish first, the test retries with a larger input instead of passing
vacuously, and every kill is checked: the marker was there, the child died of SIGKILL and
never reported success.  "Exactly as before" compares a full dump of every table (row count
and SHA-256 of the sorted rows), registries, sealed draws and ledger included.
"""
from __future__ import annotations

import csv
import hashlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import inspect, text

from shuangsuiji import importer, publication, results, synth, tasks
from shuangsuiji.store import Store
from tests.conftest import BACKENDS, fresh_url
from tests.helpers import INSPECTOR_HEADER, inspector_rows, write_csv

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
DEPT = "市场监管局"
ENTITIES = 200_000
PUBLICATION_FILES = {"bundle.json", "ledger.jsonl", "population.csv.gz", "bulletin.csv", "bulletin.xlsx",
                     "bulletin.html"}

# The child: runs one operation; touches the marker once rows are written inside the transaction.
CHILD = r'''
import pathlib, shutil, sys, time
op, url, marker, *args = sys.argv[1:]
marker = pathlib.Path(marker)


def mark():
    if not marker.exists():
        marker.write_text("writing")


from shuangsuiji import importer, ledger, publication, tasks
from shuangsuiji.store import Store


class MarkOnProgress:
    def start(self, stage, total=None): pass
    def advance(self, amount=1): mark()
    def finish(self): pass
    def info(self, message): pass


def after(fn, then):
    def wrapped(*a, **k):
        out = fn(*a, **k)
        then()
        return out
    return wrapped


store = Store(url)
if op == "import":
    importer.import_file(store, "entities", args[0], reporter=MarkOnProgress())
elif op == "draw":
    tasks.bulk_insert = after(tasks.bulk_insert, mark)
    tasks.draw(store, args[0], "faults 3 1 4 1 5", actor="faults")
elif op == "publish":
    ledger.append_publication = after(ledger.append_publication, mark)
    publication.publish(store, args[0], args[1], actor="faults")
elif op == "publish-stall-after-first-file":
    shutil.move = after(shutil.move, lambda: (mark(), time.sleep(600)))
    publication.publish(store, args[0], args[1], actor="faults")
else:
    raise SystemExit("unknown op " + op)
store.close()
print("DONE")
'''


@dataclass
class Run:
    killed: bool
    returncode: int
    stdout: str
    stderr: str


def run_child(tmp: Path, op: str, url: str, *args: str, kill: bool = True, timeout: float = 600) -> Run:
    """Run the child; with ``kill``, SIGKILL it the moment its marker appears."""
    tag = uuid.uuid4().hex[:8]
    marker, out, err = tmp / f"marker-{tag}", tmp / f"out-{tag}.txt", tmp / f"err-{tag}.txt"
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with open(out, "w") as fo, open(err, "w") as fe:
        proc = subprocess.Popen([sys.executable, "-c", CHILD, op, url, str(marker), *args], cwd=ROOT, env=env,
                                stdout=fo, stderr=fe)
        deadline = time.monotonic() + timeout
        sent = False
        if kill:
            while proc.poll() is None and not marker.exists():
                if time.monotonic() > deadline:
                    proc.kill()
                    pytest.fail(f"{op}: the child never reached its marker")
                time.sleep(0.001)
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                sent = True
        proc.wait(timeout=timeout)
    run = Run(killed=sent and proc.returncode == -signal.SIGKILL, returncode=proc.returncode,
              stdout=out.read_text(), stderr=err.read_text())
    if run.killed:
        assert marker.exists() and "DONE" not in run.stdout
    elif run.returncode != 0:
        pytest.fail(f"{op} failed in the child (exit {run.returncode}):\n{run.stderr[-3000:]}")
    else:
        assert "DONE" in run.stdout
    return run


def snapshot(url: str) -> dict[str, tuple[int, str]]:
    """Every table's row count and SHA-256 of its sorted rows (a full dump, registries included)."""
    with Store(url) as store:
        conn = store.read()
        out: dict[str, tuple[int, str]] = {}
        for table in sorted(inspect(conn).get_table_names()):
            rows = sorted(repr(tuple(r)) for r in conn.execute(text(f'SELECT * FROM "{table}"')))
            out[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
        conn.rollback()
    return out


def assert_same(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]], what: str) -> None:
    changed = [k for k in before if before[k] != after.get(k)] + [k for k in after if k not in before]
    assert not changed, f"{what} changed the database: {changed}"


def cst_today() -> date:
    """Result dates are checked against the draw's day in China Standard Time."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


# -- inputs ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    d = tmp_path_factory.mktemp("faults-input")
    rows = inspector_rows(120, DEPT)
    for r in rows:
        r[6] = "100000"                                   # capacity: large draws stay feasible
    inspectors = write_csv(d / "inspectors.csv", INSPECTOR_HEADER, rows)
    yield {"dir": d, "inspectors": inspectors, "entities": entities_file(d, ENTITIES)}


def entities_file(d: Path, n: int) -> Path:
    path = d / f"entities-{n}.csv"
    if not path.exists():
        synth.write_entities_csv(synth.CityConfig(seed="faults", entities=n), path)
    return path


@dataclass
class ImportCrash:
    url: str
    rows: int
    before: dict[str, tuple[int, str]]
    after_kill: dict[str, tuple[int, str]]
    found: set[str]
    expected: set[str]
    batches: list[tuple[str, int, int]]


@pytest.fixture(scope="module", params=BACKENDS)
def imported(request: pytest.FixtureRequest, files: dict[str, Path],
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[ImportCrash]:
    """The import scenario: kill an entity import midway, snapshot, rerun it.  Its database
    (the whole registry and the inspectors) then serves the draw and publication tests."""
    for n in (ENTITIES, 2 * ENTITIES, 4 * ENTITIES):
        tmp = tmp_path_factory.mktemp(f"faults-{request.param}")
        with fresh_url(request.param, tmp) as url:
            with Store(url) as store:
                store.init()
                importer.import_file(store, "inspectors", files["inspectors"])
            before = snapshot(url)
            path = entities_file(files["dir"], n)
            if not run_child(tmp, "import", url, str(path)).killed:
                continue                                  # finished first: a fresh database, more rows
            after_kill = snapshot(url)
            run_child(tmp, "import", url, str(path), kill=False)
            with open(path, encoding="utf-8", newline="") as fh:
                expected = {r[0] for r in list(csv.reader(fh))[1:]}
            with Store(url) as store:
                conn = store.read()
                found = set(conn.execute(text("SELECT uscc FROM entity")).scalars())
                batches = [(str(k), int(r), int(i)) for k, r, i in conn.execute(text(
                    "SELECT kind, rows, inserted FROM import_batch ORDER BY id"))]
                conn.rollback()
            yield ImportCrash(url, n, before, after_kill, found, expected, batches)
            return
    pytest.fail("every import finished before the kill")


def new_task(url: str, task_no: str, ratio: str) -> int:
    """A frozen task of its own plan; returns its quota."""
    with Store(url) as store:
        tasks.create_plan(store, f"{task_no}-P", "故障注入计划", 2026, DEPT)
        tasks.create_task(store, {"task_no": task_no, "name": "故障注入抽查", "plan": f"{task_no}-P",
                                  "department": DEPT, "as_of": "2026-11-01", "strata": {"by": ["risk"]},
                                  "sizes": {"ratio": ratio}, "teams": {"seats": [{"department": DEPT, "k": 2}]}})
        return tasks.freeze(store, task_no).quota_total


def drawn_usccs(store: Store, task_no: str) -> list[str]:
    conn = store.read()
    rows = conn.execute(text(
        "SELECT e.uscc FROM draw_entity de JOIN draw d ON d.id = de.draw_id JOIN task t ON t.id = d.task_id "
        "JOIN entity e ON e.id = de.entity_id WHERE t.task_no = :t AND d.current = :c ORDER BY de.rank"),
        {"t": task_no, "c": True}).all()
    conn.rollback()
    return [u for (u,) in rows]


def ready_to_publish(url: str, task_no: str, ratio: str, tmp: Path) -> None:
    new_task(url, task_no, ratio)
    with Store(url) as store:
        tasks.draw(store, task_no, "faults 2 7 1 8", actor="faults")
        path = tmp / f"results-{task_no}.csv"
        day = cst_today()
        write_csv(path, ["统一社会信用代码", "检查结果", "后续处置", "检查完成日期"],
                  [[u, "1", "无需后续处置", day.isoformat()] for u in drawn_usccs(store, task_no)])
        results.import_results(store, task_no, path, actor="检查员", today=day)
        results.review(store, task_no, None, approve=True, actor="审核员")


def output_files(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir()) if out.exists() else []


# -- the tests ------------------------------------------------------------------------------
def test_import_killed_midway_leaves_database_unchanged(imported: ImportCrash) -> None:
    assert_same(imported.before, imported.after_kill, "a killed import")
    assert imported.found == imported.expected and len(imported.found) == imported.rows
    n = imported.rows
    assert imported.batches == [("inspectors", 120, 120), ("entities", n, n)]


def test_draw_killed_midway_leaves_database_unchanged(imported: ImportCrash, tmp_path: Path) -> None:
    url = imported.url
    for ratio in ("5%", "20%", "80%"):
        task_no = f"DRAW-{ratio[:-1]}"
        quota = new_task(url, task_no, ratio)
        before = snapshot(url)
        if run_child(tmp_path, "draw", url, task_no).killed:
            break
    else:
        pytest.fail("every draw finished before the kill")
    assert_same(before, snapshot(url), "a killed draw")
    run_child(tmp_path, "draw", url, task_no, kill=False)
    with Store(url) as store:
        shown = tasks.show_task(store, task_no)
        assert shown["state"] == "drawn"
        assert [(d["round_no"], bool(d["current"]), d["drawn"]) for d in shown["draws"]] == [(1, True, quota)]
        assert publication.audit_task(store, task_no)              # re-derived from the commitment


def test_publication_killed_midway_leaves_no_trace(imported: ImportCrash, tmp_path: Path) -> None:
    url = imported.url
    for ratio in ("1%", "3%", "10%"):
        task_no = f"PUB-{ratio[:-1]}"
        ready_to_publish(url, task_no, ratio, tmp_path)
        out = tmp_path / f"pub-{task_no}"
        before = snapshot(url)
        if run_child(tmp_path, "publish", url, task_no, str(out)).killed:
            break
    else:
        pytest.fail("every publication finished before the kill")
    assert_same(before, snapshot(url), "a killed publication")
    assert output_files(out) == [], "a killed publication left files in the output folder"
    run_child(tmp_path, "publish", url, task_no, str(out), kill=False)
    stem = task_no
    assert output_files(out) == sorted(f"{stem}-{f}" for f in PUBLICATION_FILES)
    with Store(url) as store:
        assert tasks.show_task(store, task_no)["state"] == "published"
        assert publication.verify_file(out / f"{stem}-bundle.json", store=store).checks


def test_output_files_never_precede_the_commit(imported: ImportCrash, tmp_path: Path) -> None:
    """Killed just after the first file reached the output folder: the publication is committed."""
    url = imported.url
    task_no = "PUB-ORDER"
    ready_to_publish(url, task_no, "0.5%", tmp_path)
    out = tmp_path / "pub-order"
    assert run_child(tmp_path, "publish-stall-after-first-file", url, task_no, str(out)).killed
    assert output_files(out), "the stall point was never reached"
    with Store(url) as store:
        state = tasks.show_task(store, task_no)["state"]
        assert state == "published", f"{output_files(out)} reached the output folder before the commit"
        assert publication.audit_task(store, task_no)
