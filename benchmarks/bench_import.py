"""Import benchmark: N synthetic entities (valid USCCs) from CSV, with full validation.

    python benchmarks/bench_import.py [--n 1000000] [--pg URL]

Measures in the same run a baseline — a bare ``csv.reader`` + ``sqlite3.executemany`` of the
same file into a table of the same columns — then ``shuangsuiji import entities`` into SQLite
(and into PostgreSQL through COPY when ``--pg`` or ``SHUANGSUIJI_TEST_PG_URL`` is given).
Each stage runs in a fresh process so that its peak memory (ru_maxrss) is its own.
Targets: import ≤ 4× baseline, peak ≤ 1.5 GB.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = ["统一社会信用代码", "名称", "主体类型", "行业代码", "行政区划", "住所", "登记状态", "管辖单位",
          "信用风险分类", "标签", "最近检查日期", "是否启用"]


def make_file(path: Path, n: int) -> None:
    from shuangsuiji.codes import uscc

    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    regions = [f"3301{i:02d}" for i in range(1, 21)]
    statuses = ["存续"] * 18 + ["注销", "吊销"]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(n):
            h = hashlib.blake2b(i.to_bytes(8, "big"), digest_size=8).digest()
            org = "".join(alphabet[b % 31] for b in h)
            region = regions[i % 20]
            code = uscc.make("9", "1" if i % 5 else "2", region, org)
            w.writerow([code, f"杭州某某{i}贸易有限公司", "", f"F{51 + i % 2}", region,
                        f"浙江省杭州市某路{i % 999}号", statuses[i % 20], f"第{i % 40}市场监管所",
                        "ABCD"[i % 4], "", "2025-03-01" if i % 7 == 0 else "", "是"])


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stage_baseline(file: Path, workdir: Path) -> dict:
    db = workdir / "baseline.db"
    db.unlink(missing_ok=True)
    t = time.perf_counter()
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE entity (id INTEGER PRIMARY KEY, uscc TEXT UNIQUE, name TEXT, entity_type TEXT, "
                 "industry TEXT, region TEXT, address TEXT, status TEXT, unit TEXT, risk TEXT, tags TEXT, "
                 "last_inspected TEXT, enabled TEXT)")
    with open(file, encoding="utf-8", newline="") as fh:
        r = csv.reader(fh)
        next(r)
        conn.executemany("INSERT INTO entity (uscc, name, entity_type, industry, region, address, status, unit, "
                         "risk, tags, last_inspected, enabled) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", r)
    conn.commit()
    conn.close()
    return {"seconds": time.perf_counter() - t, "peak_mb": peak_mb()}


def stage_ours(file: Path, url: str) -> dict:
    from shuangsuiji import importer
    from shuangsuiji.store import Store

    store = Store(url)
    store.init()
    t = time.perf_counter()
    rep = importer.import_file(store, "entities", file)
    secs = time.perf_counter() - t
    store.close()
    return {"seconds": secs, "peak_mb": peak_mb(), "rows": rep.inserted}


def run_stage(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--pg", default=os.environ.get("SHUANGSUIJI_TEST_PG_URL"))
    ap.add_argument("--stage")
    ap.add_argument("--file")
    ap.add_argument("--url")
    ap.add_argument("--workdir")
    a = ap.parse_args()
    if a.stage == "baseline":
        print(json.dumps(stage_baseline(Path(a.file), Path(a.workdir))))
        return
    if a.stage == "ours":
        print(json.dumps(stage_ours(Path(a.file), a.url)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        file = work / "entities.csv"
        t = time.perf_counter()
        make_file(file, a.n)
        print(f"generated {a.n:,} rows ({file.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f} s")
        base = run_stage(["--stage", "baseline", "--file", str(file), "--workdir", str(work)])
        print(f"baseline csv.reader + sqlite3.executemany: {base['seconds']:.2f} s, peak {base['peak_mb']:.0f} MB")
        ours = run_stage(["--stage", "ours", "--file", str(file), "--url", f"sqlite:///{work / 'ours.db'}"])
        print(f"shuangsuiji import → SQLite:  {ours['seconds']:.2f} s, peak {ours['peak_mb']:.0f} MB, "
              f"ratio {ours['seconds'] / base['seconds']:.2f}× (target ≤ 4×; peak target ≤ 1536 MB)")
        if a.pg:
            import uuid
            from urllib.parse import quote

            from sqlalchemy import create_engine, text

            from shuangsuiji.store import resolve_url

            schema = "bench_" + uuid.uuid4().hex[:8]
            base_url = resolve_url(a.pg)
            eng = create_engine(base_url)
            with eng.begin() as c:
                c.execute(text(f"CREATE SCHEMA {schema}"))
            sep = "&" if "?" in base_url else "?"
            try:
                pg = run_stage(["--stage", "ours", "--file", str(file),
                                "--url", f"{base_url}{sep}options={quote('-csearch_path=' + schema)}"])
                print(f"shuangsuiji import → PostgreSQL (COPY): {pg['seconds']:.2f} s, peak {pg['peak_mb']:.0f} MB, "
                      f"ratio {pg['seconds'] / base['seconds']:.2f}×")
            finally:
                with eng.begin() as c:
                    c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        else:
            print("PostgreSQL stage skipped (no --pg URL)")


if __name__ == "__main__":
    main()
