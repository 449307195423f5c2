"""The whole pipeline at provincial scale, on SQLite and/or PostgreSQL.

    python benchmarks/bench_pipeline.py [--n 10000000] [--db sqlite|postgresql|both] [--pg URL]

Synthesises a registry (N entities, 20,000 officers, 100,000 declared conflicts, 200,000 past
inspections), imports it, freezes and draws a task stratified by risk class × region (≈ 5.9 %
drawn), assigns teams of 2, writes the dispatch sheet, enters and approves a result for every
drawn entity, publishes and verifies the bundle.  It prints each stage's time and the process's
peak memory, plus, measured in the same run:
  B  = a bare single-process SHA-256 loop over the N IDs,
  I0 = a bare csv.reader + sqlite3.executemany of the same entities file.
Freeze and draw each run in a process of their own, as the CLI runs them, and print where
they spend their time.  Targets: freeze + draw (incl. assignment and sealing) ≤ 2 B; verify ≤ draw; import ≤ 4 × I0;
peak memory ≤ 4 GB.  Officers' per-task capacity is lifted for the run (a provincial task of
500,000 entities needs ~55 visits per officer; the synthetic registry caps at 10–40).
``run_pipeline`` is also the test suite's smoke test at 100,000 entities.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import os
import resource
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from shuangsuiji import (assignment, beside, bundle, clock, importer, ledger, packing, population,  # noqa: E402
                         publication, registry, results, sampling, snapshot, synth, tasks, teams)
from shuangsuiji.store import Store  # noqa: E402


def peak_mb() -> float:
    """This process's peak resident memory since it started its program: Linux's VmHWM, since
    ``ru_maxrss`` keeps the peak of the process it was forked from across ``exec``."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def helpers_peak_mb() -> float:
    """The largest finished child's peak (ticket workers, the sealing child, stage processes):
    their pages shared with the parent count in both figures."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


@dataclass
class Figures:
    stages: dict[str, float] = field(default_factory=dict)
    peaks: dict[str, float] = field(default_factory=dict)
    helper_peaks: dict[str, float] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    parts: dict[str, dict[str, float]] = field(default_factory=dict)

    def time(self, name: str, fn: Any, *a: Any, **kw: Any) -> Any:
        spent: dict[str, float] = {}
        undo = _time_parts(PARTS.get(name, ()), spent)
        t = time.perf_counter()
        try:
            out = fn(*a, **kw)
        finally:
            undo()
        self.stages[name] = time.perf_counter() - t
        self.peaks[name] = peak_mb()
        if spent:
            self.parts[name] = spent
        print(f"    … {name}: {self.stages[name]:.2f} s", flush=True)
        return out


    def fresh(self, name: str, url: str, bundle: str = "") -> None:
        """Run stage ``name`` (freeze or draw of BENCH-1, or verify of ``bundle``) in a new
        Python process, timed inside it."""
        import json
        import subprocess

        code = (f"import json, sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import bench_pipeline; "
                f"print(json.dumps(bench_pipeline.child_stage({name!r}, {url!r}, {bundle!r})))")
        out = json.loads(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                        text=True).stdout.strip().splitlines()[-1])
        self.stages[name], self.peaks[name] = out["secs"], out["peak"]
        self.helper_peaks[name] = out["helpers"]
        self.facts.update(out["facts"])
        if out["parts"]:
            self.parts[name] = out["parts"]
        print(f"    … {name}: {out['secs']:.2f} s (own process)", flush=True)


def child_stage(name: str, url: str, bundle: str = "") -> dict[str, Any]:
    f = Figures()
    store = Store(url)
    try:
        if bundle:
            f.time(name, publication.verify_file, bundle)
            facts: dict[str, Any] = {}
        elif name == "freeze":
            fr = f.time(name, tasks.freeze, store, "BENCH-1")
            facts = {"eligible": fr.eligible, "strata": len(fr.strata), "quota": fr.quota_total}
        else:
            facts = {"drawn": f.time(name, tasks.draw, store, "BENCH-1", "1 2 3 4 5 6").drawn}
    finally:
        store.close()
    return {"secs": f.stages[name], "peak": f.peaks[name], "helpers": helpers_peak_mb(), "parts": f.parts.get(name, {}),
            "facts": facts}


# Where freeze and draw spend their time: these library functions are timed while the stage
# runs ("  " marks a part inside the one above it).
PARTS: dict[str, tuple[tuple[Any, str, str], ...]] = {
    "freeze": ((population, "build", "population: snapshot, filter, exclusions, strata"),
               (snapshot, "current", "  snapshot load"),
               (population, "_history_exclusions", "  history exclusions (SQL)"),
               (sampling, "summarise_groups", "stratum digests (grouping the members by stratum)"),
               (packing, "pack_all", "compress members")),
    "draw + assign + seal": ((tasks, "load_frozen", "load frozen population"),
                             (sampling, "select", "tickets (SHA-256) + selection"),
                             (teams, "collect", "assignment input from the database"),
                             (assignment, "assign", "assignment"),
                             (tasks, "bulk_insert", "draw rows inserted"),
                             (beside.Beside, "result",
                              "wait for the sealed record (formatted beside the row writes)")),
    "publish": ((results, "mark_published", "results marked published"),
                (results, "results_record", "results read for the bundle"),
                (bundle, "write_population_file", "population file"),
                (bundle, "publication_content", "bundle body (draw records, names, officers)"),
                (ledger, "append_publication", "bundle sealed beside its ledger entry"),
                (publication, "build_bulletin", "bulletin built from the sealed body"),
                (ledger, "write_chain", "ledger chain file"),
                (publication, "_record_inspections", "inspection history"),
                (beside.Beside, "result", "wait for the bulletin files (CSV, XLSX, HTML; a child beside the above)")),
}


def _time_parts(parts: Any, spent: dict[str, float]) -> Any:
    saved = []
    for module, name, label in parts:
        fn = getattr(module, name)

        def timed(*a: Any, _fn: Any = fn, _label: str = label, **kw: Any) -> Any:
            t = time.perf_counter()
            try:
                return _fn(*a, **kw)
            finally:
                spent[_label] = spent.get(_label, 0.0) + time.perf_counter() - t

        saved.append((module, name, fn))
        setattr(module, name, timed)

    def undo() -> None:
        for module, name, fn in reversed(saved):
            setattr(module, name, fn)
    return undo


def make_city(n: int, work: Path, seed: str = "bench") -> synth.City:
    cfg = synth.CityConfig(seed=seed, entities=n, inspectors=min(20_000, max(200, n // 500)),
                           experts=min(200, max(4, n // 50_000)), units=min(200, max(8, n // 50_000)),
                           conflicts=min(100_000, max(40, n // 100)), history=min(200_000, max(100, n // 50)),
                           as_of=clock.today())
    return synth.generate(cfg, work / "registry")


def baseline_hash(path: Path) -> tuple[float, int]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        r = csv.reader(fh)
        next(r)
        ids = [row[0].encode() for row in r]
    sha = hashlib.sha256
    t = time.perf_counter()
    for x in ids:
        sha(x).digest()
    return time.perf_counter() - t, len(ids)


def baseline_import(path: Path, work: Path) -> float:
    db = work / "baseline.db"
    db.unlink(missing_ok=True)
    t = time.perf_counter()
    conn = sqlite3.connect(db)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        r = csv.reader(fh)
        header = next(r)
        cols = ", ".join(f"c{i}" for i in range(len(header)))
        conn.execute(f"CREATE TABLE entity (id INTEGER PRIMARY KEY, {cols}, UNIQUE(c0))")
        conn.executemany(f"INSERT INTO entity ({cols}) VALUES ({', '.join('?' * len(header))})", r)
    conn.commit()
    conn.close()
    return time.perf_counter() - t


def run_pipeline(url: str, city: synth.City, work: Path, *, say: Any = print) -> Figures:
    f = Figures()
    store = Store(url)
    try:
        store.init()
        f.time("import items", importer.import_file, store, "items", city.items_csv)
        rep = f.time("import entities", importer.import_file, store, "entities", city.entities_csv)
        f.facts["entities"] = rep.inserted
        f.time("import inspectors", importer.import_file, store, "inspectors", city.inspectors_csv)
        f.time("import conflicts", importer.import_file, store, "conflicts", city.conflicts_csv)
        f.time("import history", importer.import_file, store, "history", city.history_csv)
        f.time("registry digest (entities)", registry.digest, store, "entities")
        if store.dialect == "sqlite":
            for name, secs in zip(_READS, _column_reads(url)):
                f.stages[name], f.peaks[name] = secs, peak_mb()
        with store.atomic() as conn:
            conn.execute(text("UPDATE inspector SET capacity = NULL"))
            dept = conn.execute(text("SELECT name FROM department ORDER BY id LIMIT 1")).scalar_one()
        tasks.create_plan(store, "BENCH", "基准计划", clock.today().year, dept)
        tasks.create_task(store, {
            "task_no": "BENCH-1", "name": "省级基准任务", "plan": "BENCH", "department": dept,
            "as_of": clock.today().isoformat(), "strata": {"by": ["risk", "region"]},
            "sizes": {"risk": {"A": "3%", "B": "5%", "C": "10%", "D": "20%", "-": "5%"}},
            "exclusions": {"inspected_within_days": 90},
            "teams": {"seats": [{"department": dept, "k": 2, "cross_unit": True}], "rotation": True}})
        # as the CLI runs them: each in a process of its own
        f.fresh("freeze", url)
        f.fresh("draw + assign + seal", url)
        f.time("dispatch sheet (CSV)", publication.dispatch, store, "BENCH-1", work / "dispatch.csv")
        res_csv = work / "results.csv"
        f.time("results file", _results_file, store, res_csv)
        f.time("results import", results.import_results, store, "BENCH-1", res_csv, actor="bench")
        f.time("review", results.review, store, "BENCH-1", None, approve=True, actor="bench")
        pub = f.time("publish", publication.publish, store, "BENCH-1", work / "pub", actor="bench")
        f.facts["published MB"] = {k: round(p.stat().st_size / 1e6, 2) for k, p in pub.files.items()
                                   if k in ("bundle.json", "ledger.jsonl", "population.csv.gz")}
        # as an outsider runs ``shuangsuiji verify``: in a process of its own
        f.fresh("verify (bundle + population)", url, str(pub.files["bundle.json"]))
    finally:
        store.close()
    return f


_RAW_READ = """
import sqlite3, sys, time, numpy as np
t = time.perf_counter()
raw = sqlite3.connect(sys.argv[1])
cur = raw.execute("SELECT id, uscc, status = 'active', enabled, coalesce(risk, '-'), region FROM entity ORDER BY id")
cols = [[], [], [], [], [], []]
while block := cur.fetchmany(200_000):
    for c, v in zip(cols, zip(*block)):
        c.extend(v)
np.array(cols[0], dtype=np.int64), np.array(cols[1], dtype="S18"), np.array(cols[2], bool), np.array(cols[3], bool)
print(time.perf_counter() - t)
"""
_SNAPSHOT_READ = """
import sys, time
from shuangsuiji import snapshot
from shuangsuiji.store import Store
store = Store("sqlite:///" + sys.argv[1])
conn = store.read()
t = time.perf_counter()
cols = snapshot.{call}
elapsed = time.perf_counter() - t
assert cols is not None and len(cols) > 0, "no current snapshot"
print(elapsed)
"""
_READS = ("raw sqlite3 column read", "snapshot load (freeze's read)", "snapshot rebuild from table")


def _column_reads(url: str) -> list[float]:
    """A raw sqlite3 cursor read of the draw's columns into numpy, the snapshot load a freeze
    does, and a rebuild of the snapshot from the table (what an import adds), each in a fresh
    process so that none pays for another's memory."""
    import subprocess

    path = url.split("sqlite:///", 1)[1]
    times = []
    for code in (_RAW_READ, _SNAPSHOT_READ.format(call="load(conn, snapshot.current_id(conn))"),
                 _SNAPSHOT_READ.format(call="read(conn)")):
        out = subprocess.run([sys.executable, "-c", code, path], check=True, capture_output=True, text=True)
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return times


def _results_file(store: Store, path: Path) -> None:
    conn = store.read()
    rows = conn.execute(text("SELECT e.uscc FROM draw_entity de JOIN entity e ON e.id = de.entity_id "
                             "JOIN draw d ON d.id = de.draw_id AND d.current = :c ORDER BY de.rank"), {"c": True}).all()
    conn.rollback()
    from datetime import timedelta

    today = clock.today()
    day, later = today.isoformat(), (today + timedelta(days=30)).isoformat()
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["统一社会信用代码", "检查结果", "后续处置", "检查完成日期", "整改期限"])
        for i, (u,) in enumerate(rows):
            w.writerow([u, "1", "", day, ""] if i % 10 else [u, "E", "责令改正", day, later])
    return None


def report(label: str, f: Figures, b: float, i0: float | None) -> None:
    print(f"\n== {label}")
    for name, secs in f.stages.items():
        helpers = f"   (own process; its largest child {f.helper_peaks[name]:.0f} MB)" if name in f.helper_peaks else ""
        print(f"  {name:<32} {secs:9.2f} s   peak {f.peaks[name]:8.0f} MB{helpers}")
        if name in f.parts:
            top = sum(v for k, v in f.parts[name].items() if not k.startswith("  "))
            timed = [(label, f.parts[name][label]) for _, _, label in PARTS[name] if label in f.parts[name]]
            for part, p_secs in [*timed, ("other (SQL, commit, glue)", secs - top)]:
                print(f"      {part:<50} {p_secs:7.2f} s = {p_secs / b:5.2f} B")
    core = f.stages["freeze"] + f.stages["draw + assign + seal"]
    print(f"  facts: {f.facts}")
    print(f"  freeze + draw/assign/seal = {core:.2f} s = {core / b:.2f} B   (target ≤ 2 B)")
    print(f"  verify = {f.stages['verify (bundle + population)']:.2f} s = "
          f"{f.stages['verify (bundle + population)'] / f.stages['draw + assign + seal']:.2f} × draw   (target ≤ 1)")
    if "raw sqlite3 column read" in f.stages:
        r = f.stages[_READS[1]] / f.stages[_READS[0]]
        print(f"  column read for the draw (snapshot load) = {r:.2f} × raw sqlite3 cursor into numpy   (target ≤ 1.5)")
    if i0:
        print(f"  import entities = {f.stages['import entities']:.2f} s = {f.stages['import entities'] / i0:.2f} × I0   (target ≤ 4)")
    print(f"  peak memory {max(f.peaks.values()):.0f} MB   (target ≤ 4096 MB; the largest process; a forked child's "
          f"pages shared with its parent count in both; largest child process so far {helpers_peak_mb():.0f} MB)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--pg", default=os.environ.get("SHUANGSUIJI_TEST_PG_URL"))
    ap.add_argument("--workdir")
    a = ap.parse_args()
    if a.workdir:
        Path(a.workdir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=a.workdir) as tmp:
        work = Path(tmp)
        t = time.perf_counter()
        city = make_city(a.n, work)
        print(f"synthesised {a.n:,} entities + registries in {time.perf_counter() - t:.1f} s")
        b, n = baseline_hash(city.entities_csv)
        print(f"B  (bare SHA-256 loop over {n:,} IDs, one process): {b:.2f} s")
        i0 = baseline_import(city.entities_csv, work)
        print(f"I0 (bare csv.reader + sqlite3.executemany):        {i0:.2f} s")
        if a.db in ("sqlite", "both"):
            sub = work / "sqlite"
            sub.mkdir()
            report("SQLite", run_pipeline(f"sqlite:///{sub / 'bench.db'}", city, sub), b, i0)
        if a.db in ("postgresql", "both"):
            if not a.pg:
                print("PostgreSQL skipped: no --pg URL / SHUANGSUIJI_TEST_PG_URL")
                return
            import uuid
            from urllib.parse import quote

            from sqlalchemy import create_engine

            from shuangsuiji.store import resolve_url

            base = resolve_url(a.pg)
            schema = "bench_" + uuid.uuid4().hex[:8]
            eng = create_engine(base)
            with eng.begin() as c:
                c.execute(text(f"CREATE SCHEMA {schema}"))
            sub = work / "pg"
            sub.mkdir()
            try:
                sep = "&" if "?" in base else "?"
                report("PostgreSQL", run_pipeline(f"{base}{sep}options={quote('-csearch_path=' + schema)}", city, sub),
                       b, i0)
            finally:
                with eng.begin() as c:
                    c.execute(text(f"DROP SCHEMA {schema} CASCADE"))


if __name__ == "__main__":
    main()
