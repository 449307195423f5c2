"""Concurrent draws of two tasks of the same department (PostgreSQL).

Two child processes draw two different frozen tasks at the same time.  Each either succeeds
or gets :class:`RetryableError` (exit code 75 in the CLI) and succeeds when run again; in the
end both draws are present, the department's ledger numbers are 1…n without collision or gap,
the chain verifies and the audit re-derives both draws.  The overlap is forced, not hoped
for: the children wait for each other on a file barrier, either before the draw or at the
very moment both append to the ledger (the contended step), and report when they got there.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from shuangsuiji import importer, ledger, publication, tasks
from shuangsuiji.store import Store
from tests.conftest import fresh_store
from tests.helpers import ENTITY_HEADER, INSPECTOR_HEADER, entity_rows, inspector_rows, write_csv

ROOT = Path(__file__).resolve().parent.parent
DEPT = "市场监管局"
TASKS = ("C-A", "C-B")

CHILD = r'''
import json, pathlib, sys, time
url, task_no, gate, where, me = sys.argv[1:]
gate = pathlib.Path(gate)

from shuangsuiji import ledger, tasks
from shuangsuiji.errors import RetryableError
from shuangsuiji.store import Store

times = {}


def barrier():
    """Wait until both children are here (at most a minute)."""
    (gate / me).write_text("here")
    times["arrived"] = time.time()
    deadline = time.time() + 60
    while len(list(gate.iterdir())) < 2:
        if time.time() > deadline:
            raise SystemExit("barrier timeout")
        time.sleep(0.002)


if where == "ledger":
    real = ledger.append

    def append(*a, **k):
        if "arrived" not in times:
            barrier()
        return real(*a, **k)

    ledger.append = append
else:
    barrier()
store = Store(url)
retries = 0
while True:
    try:
        d = tasks.draw(store, task_no, "concurrency 6 6 6", actor=me)
        break
    except RetryableError:
        retries += 1
        if retries > 5:
            raise
store.close()
print(json.dumps({"task": task_no, "seq": d.bundle_seq, "retries": retries, "done": time.time(), **times}))
'''


@pytest.fixture
def pg(backend: str, tmp_path: Path) -> Iterator[Store]:
    if backend == "sqlite":
        pytest.skip("PostgreSQL only: SQLite takes the write lock at BEGIN IMMEDIATE, so two draws never overlap "
                    "inside the database")
    with fresh_store("postgresql", tmp_path) as store:
        importer.import_file(store, "entities", write_csv(tmp_path / "e.csv", ENTITY_HEADER, entity_rows(400)))
        importer.import_file(store, "inspectors",
                             write_csv(tmp_path / "i.csv", INSPECTOR_HEADER, inspector_rows(20, DEPT)))
        yield store


def freeze_tasks(store: Store, names: tuple[str, ...]) -> None:
    for name in names:
        tasks.create_plan(store, f"{name}-P", "并发计划", 2026, DEPT)
        tasks.create_task(store, {"task_no": name, "name": "并发抽查", "plan": f"{name}-P", "department": DEPT,
                                  "as_of": "2026-11-01", "strata": {"by": ["risk"]}, "sizes": {"ratio": "10%"},
                                  "teams": {"seats": [{"department": DEPT, "k": 2}]}})
        tasks.freeze(store, name)


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def check_ledger(store: Store, names: tuple[str, ...]) -> list[int]:
    """Both draws present, sequence numbers 1…n, chain and audit pass; returns the draw seqs."""
    conn = store.read()
    dept = conn.execute(text("SELECT id FROM department WHERE name = :n"), {"n": DEPT}).scalar_one()
    seqs = [int(s) for (s,) in conn.execute(text("SELECT seq FROM bundle WHERE department_id = :d ORDER BY seq"),
                                             {"d": dept})]
    chain = ledger.entries(conn, dept)
    states = {t: s for t, s in conn.execute(text("SELECT task_no, state FROM task"))}
    draws = {t: int(n) for t, n in conn.execute(text(
        "SELECT t.task_no, count(*) FROM draw d JOIN task t ON t.id = d.task_id GROUP BY t.task_no"))}
    conn.rollback()
    assert seqs == list(range(1, len(seqs) + 1)), seqs
    ledger.verify_chain(chain)
    assert sorted(e["task_no"] for e in chain if e["kind"] == "draw") == sorted(names)
    assert all(states[t] == "drawn" for t in names) and all(draws[t] == 1 for t in names)
    audit = publication.audit(store)
    for t in names:
        assert any(c.startswith(f"{t}:") for c in audit)
    return [int(e["seq"]) for e in chain if e["kind"] == "draw"]


@pytest.mark.parametrize("where", ["start", "ledger"])
def test_two_draws_of_one_department_at_once(pg: Store, tmp_path: Path, where: str) -> None:
    freeze_tasks(pg, TASKS)
    gate = tmp_path / f"gate-{where}"
    gate.mkdir()
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, pg.url, t, str(gate), where, f"p{i}"], cwd=ROOT, env=env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i, t in enumerate(TASKS)]
    outs = [p.communicate(timeout=180) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-3000:]
    reports = [json.loads(out.strip().splitlines()[-1]) for out, _ in outs]
    # the overlap really happened: each arrived before the other had finished
    assert max(r["arrived"] for r in reports) < min(r["done"] for r in reports)
    # the department row lock queues the second append: at most one lost race, retried
    assert sum(r["retries"] for r in reports) <= 1
    assert sorted(r["seq"] for r in reports) == check_ledger(pg, TASKS) == [1, 2]


def test_two_cli_draws_at_once_retry_on_75(pg: Store, tmp_path: Path) -> None:
    """The CLI: started together; a 75 (retryable) is followed by a successful second run."""
    freeze_tasks(pg, TASKS)
    start = time.time() + 2.0                          # both wait for the same instant, then draw

    def launch(task_no: str) -> subprocess.Popen[str]:
        code = ("import sys, time; time.sleep(max(0.0, %r - time.time())); "
                "from shuangsuiji_cli.main import main; sys.argv[0] = 'shuangsuiji'; main()" % start)
        return subprocess.Popen([sys.executable, "-c", code, "--db", pg.url, "task", "draw", task_no,
                                 "--public-value", "7 7 7", "--actor", "cli", "--json"], cwd=ROOT, env=env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    pending = list(TASKS)
    runs: list[tuple[str, int]] = []
    for _round in range(4):
        procs = {t: launch(t) for t in pending}
        pending = []
        for t, p in procs.items():
            out, err = p.communicate(timeout=180)
            runs.append((t, p.returncode))
            assert p.returncode in (0, 75), err[-3000:]
            assert "Traceback" not in err
            if p.returncode == 75:
                pending.append(t)
            else:
                assert json.loads(out)["task_no"] == t
        if not pending:
            break
        start = time.time()
    assert not pending, runs
    check_ledger(pg, TASKS)
