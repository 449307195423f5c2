"""The provincial pipeline of benchmarks/bench_pipeline.py at 100,000 entities, on both backends."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from shuangsuiji import publication
from shuangsuiji.store import Store

_spec = importlib.util.spec_from_file_location(
    "bench_pipeline", Path(__file__).resolve().parent.parent / "benchmarks" / "bench_pipeline.py")
bench = importlib.util.module_from_spec(_spec)
sys.modules["bench_pipeline"] = bench
_spec.loader.exec_module(bench)


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory):
    return bench.make_city(100_000, tmp_path_factory.mktemp("city"))


@pytest.mark.slow
def test_pipeline_at_100k(city, db_url: str, tmp_path: Path) -> None:
    f = bench.run_pipeline(db_url, city, tmp_path)
    assert f.facts["entities"] == 100_000
    # ratios per risk class (3 %, 5 %, 10 %, 20 %, rounded up per stratum) → about 5–6 % drawn
    assert 0.05 * f.facts["eligible"] < f.facts["drawn"] < 0.07 * f.facts["eligible"]
    assert f.facts["drawn"] == f.facts["quota"]
    bundle = tmp_path / "pub" / "BENCH-1-bundle.json"
    store = Store(db_url)
    try:
        checks = publication.verify_file(bundle, store=store).checks
    finally:
        store.close()
    assert len(checks) >= 6
