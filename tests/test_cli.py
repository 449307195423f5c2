"""The CLI through click's CliRunner on a SQLite database: exit codes, languages, JSON output.

Expected figures are counted independently from the CSV files the CLI imported.
"""
from __future__ import annotations

import csv
import json
import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from shuangsuiji import i18n, registry, synth
from shuangsuiji.errors import RetryableError
from shuangsuiji_cli.main import cli

CJK = re.compile(r"[\u3400-\u9fff]")
# no language preference anywhere: the default must then be Chinese
NEUTRAL_ENV = {"SHUANGSUIJI_LANG": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": None, "SHUANGSUIJI_DB": None}
DEPARTMENT = synth.CityConfig().departments[0]
AS_OF = date(2026, 3, 2)
RATIO = Fraction(1, 20)


def run(db: str, *args: str, env: dict[str, str | None] | None = None) -> Result:
    runner = CliRunner(env={**NEUTRAL_ENV, **(env or {})})
    return runner.invoke(cli, ["--db", db, *args])


def ok(db: str, *args: str) -> Result:
    res = run(db, *args)
    assert res.exit_code == 0, (args, res.output, res.exception)
    return res


def as_json(res: Result) -> Any:
    return json.loads(res.stdout)


def no_traceback(res: Result) -> None:
    assert "Traceback" not in res.stdout and "Traceback" not in res.stderr


@pytest.fixture(autouse=True)
def _reset_language() -> Iterator[None]:
    yield
    i18n.set_language(None)


@dataclass
class County:
    dir: Path
    files: dict[str, Path]

    def rows(self, kind: str) -> list[dict[str, str]]:
        with self.files[kind].open(encoding="utf-8-sig", newline="") as fh:
            return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> County:
    out = tmp_path_factory.mktemp("county")
    city = synth.generate(synth.CityConfig(seed="cli-test", entities=500, as_of=AS_OF), out)
    return County(out, {"items": city.items_csv, "entities": city.entities_csv, "inspectors": city.inspectors_csv,
                        "conflicts": city.conflicts_csv, "history": city.history_csv})


def _load(db: str, county: County) -> None:
    ok(db, "init")
    for kind in ("items", "entities", "inspectors", "conflicts", "history"):
        ok(db, "import", kind, str(county.files[kind]))


@pytest.fixture
def loaded(tmp_path: Path, county: County) -> str:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    _load(db, county)
    return db


@dataclass
class Drawn:
    db: str
    task_no: str
    freeze: dict[str, Any]
    draw: dict[str, Any]
    dispatch: Path


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory, county: County) -> Drawn:
    """A task frozen and drawn through the CLI (shared: the tests below only read it)."""
    tmp = tmp_path_factory.mktemp("drawn")
    db = f"sqlite:///{tmp / 'cli.db'}"
    _load(db, county)
    item = next(r["事项编码"] for r in county.rows("items") if r["实施部门"] == DEPARTMENT)
    ok(db, "plan", "create", "CLI-2026", "--year", "2026", "--name", "测试计划", "--department", DEPARTMENT)
    ok(db, "task", "create", "--task-no", "CLI-2026-001", "--name", "测试任务", "--plan", "CLI-2026",
       "--department", DEPARTMENT, "--item", item, "--ratio", "5%", "--strata", "risk")
    frozen = as_json(ok(db, "task", "freeze", "CLI-2026-001", "--as-of", AS_OF.isoformat(), "--json"))
    result = as_json(ok(db, "task", "draw", "CLI-2026-001", "--public-value", "3 5 2 6 1 4", "--actor", "测试员",
                        "--json"))
    sheet = tmp / "dispatch.csv"
    ok(db, "dispatch", "CLI-2026-001", "--out", str(sheet))
    return Drawn(db, "CLI-2026-001", frozen, result, sheet)


def _bad_entities(path: Path, usccs: Sequence[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["统一社会信用代码", "名称"])
        w.writerows([[u, f"坏企业{i}"] for i, u in enumerate(usccs)])
    return path


# a valid USCC with its check character changed, and a code of the wrong length
BAD_USCCS = ["91330106MALM2NXW0X", "9133010612345", "91330106MALM2NXW0Y"]


# -- init, import, registry stats ---------------------------------------------------------------
def test_init_import_then_registry_stats(tmp_path: Path, county: County) -> None:
    db = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert "数据库已就绪" in ok(db, "init").stdout
    assert ok(db, "init").exit_code == 0  # a second init is an upgrade to the same revision: harmless
    for kind in ("items", "entities", "inspectors", "conflicts", "history"):
        out = ok(db, "import", kind, str(county.files[kind])).stdout
        assert f"共 {len(county.rows(kind))} 行" in out
    stats = as_json(ok(db, "registry", "stats", "--json"))
    entities = county.rows("entities")
    assert sum(stats["entity_status"].values()) == len(entities)
    assert stats["entity_status"].get("active", 0) == sum(r["登记状态"] == "存续" for r in entities)
    by_unit = Counter(r["管辖单位"] for r in entities if r["管辖单位"])
    assert {k: v for k, v in stats["entity_unit"].items() if k} == dict(by_unit)
    inspectors = county.rows("inspectors")
    assert stats["inspector_department"] == dict(Counter(r["所属部门"] for r in inspectors))
    assert sum(stats["conflicts"].values()) == len(county.rows("conflicts"))
    assert by_unit.most_common(1)[0][0] in ok(db, "registry", "stats").stdout


def test_import_dry_run_writes_nothing(tmp_path: Path, county: County) -> None:
    db = f"sqlite:///{tmp_path / 'dry.db'}"
    ok(db, "init")
    rep = as_json(ok(db, "import", "items", str(county.files["items"]), "--dry-run", "--json"))
    assert rep["dry_run"] is True and rep["inserted"] == len(county.rows("items"))
    assert as_json(ok(db, "registry", "stats", "--json"))["item_department"] == {}


# -- exit codes ------------------------------------------------------------------------------
def test_bad_import_file_exits_1_cleanly_and_writes_nothing(loaded: str, tmp_path: Path) -> None:
    before = as_json(ok(loaded, "registry", "stats", "--json"))
    res = run(loaded, "import", "entities", str(_bad_entities(tmp_path / "bad.csv", BAD_USCCS)))
    assert res.exit_code == 1
    no_traceback(res)
    assert "未写入任何数据" in res.stderr
    assert res.stderr.count("bad.csv 第") == len(BAD_USCCS)
    assert as_json(ok(loaded, "registry", "stats", "--json")) == before


def test_bad_import_with_json_reports_every_problem(loaded: str, tmp_path: Path) -> None:
    res = run(loaded, "import", "entities", str(_bad_entities(tmp_path / "bad.csv", BAD_USCCS)), "--json")
    assert res.exit_code == 1
    no_traceback(res)
    err = as_json(res)["error"]
    assert err["code"] == "input.invalid"
    assert [p["line"] for p in err["problems"]] == [2, 3, 4]
    assert [p["value"] for p in err["problems"]] == BAD_USCCS


@pytest.mark.parametrize("args", [
    ["import", "entities"],                 # missing argument
    ["import", "nonsense", "x.csv"],        # not one of the choices
    ["task", "show"],                       # missing TASK_NO
    ["task", "list", "--no-such-option"],
    ["no-such-command"],
    ["--lang", "fr", "task", "list"],
])
def test_usage_errors_exit_2(loaded: str, args: list[str]) -> None:
    res = run(loaded, *args)
    assert res.exit_code == 2, res.output
    no_traceback(res)
    assert "Usage:" in res.stderr


def test_task_create_without_required_options_is_a_usage_error(loaded: str) -> None:
    res = run(loaded, "task", "create", "--name", "x")
    assert res.exit_code == 2
    assert "--task-no" in res.stderr and "--plan" in res.stderr


def test_library_errors_exit_1(loaded: str, tmp_path: Path) -> None:
    missing = run(loaded, "task", "show", "NO-SUCH-TASK")
    assert missing.exit_code == 1 and "NO-SUCH-TASK" in missing.stderr
    no_traceback(missing)
    empty = run(f"sqlite:///{tmp_path / 'never-initialised.db'}", "task", "list")
    assert empty.exit_code == 1 and "shuangsuiji init" in empty.stderr
    no_traceback(empty)


def test_retryable_error_exits_75(loaded: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def lost_race(_store: object) -> None:
        raise RetryableError(detail="simulated")

    monkeypatch.setattr(registry, "stats", lost_race)
    res = run(loaded, "registry", "stats")
    assert res.exit_code == 75
    assert "simulated" in res.stderr
    no_traceback(res)


def test_unexpected_error_exit_1_without_traceback_unless_debug(loaded: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def bug(_store: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(registry, "stats", bug)
    res = run(loaded, "registry", "stats")
    assert res.exit_code == 1
    assert "RuntimeError" in res.stderr and "boom" in res.stderr and "--debug" in res.stderr
    no_traceback(res)
    debug = run(loaded, "--debug", "registry", "stats")
    assert isinstance(debug.exception, RuntimeError)


# -- languages -------------------------------------------------------------------------------
def test_default_language_is_chinese_and_lang_en_is_english(loaded: str, tmp_path: Path) -> None:
    bad = str(_bad_entities(tmp_path / "bad.csv", BAD_USCCS))
    zh = run(loaded, "import", "entities", bad)
    en = run(loaded, "--lang", "en", "import", "entities", bad)
    assert zh.exit_code == en.exit_code == 1
    assert zh.stderr.startswith("错误：") and "未写入任何数据" in zh.stderr
    assert en.stderr.startswith("Error: ") and "nothing was written" in en.stderr
    assert not CJK.search(en.stderr), en.stderr
    assert "database ready" in ok(loaded, "--lang", "en", "init").stdout
    assert "数据库已就绪" in ok(loaded, "init").stdout


@pytest.mark.parametrize("env, lang", [({"SHUANGSUIJI_LANG": "en"}, "en"), ({"LANG": "en_US.UTF-8"}, "en"),
                                       ({"LANG": "zh_CN.UTF-8"}, "zh"), ({"SHUANGSUIJI_LANG": "zh", "LANG": "en_US.UTF-8"}, "zh")])
def test_language_from_the_environment(loaded: str, env: dict[str, str], lang: str) -> None:
    res = run(loaded, "task", "show", "NOPE", env=env)
    assert res.exit_code == 1
    assert bool(CJK.search(res.stderr)) == (lang == "zh"), res.stderr


def test_lang_option_beats_the_environment(loaded: str) -> None:
    res = run(loaded, "--lang", "zh", "task", "show", "NOPE", env={"SHUANGSUIJI_LANG": "en"})
    assert "未找到" in res.stderr


# -- --json on read commands -----------------------------------------------------------------
def test_freeze_figures_match_the_registry(drawn: Drawn, county: County) -> None:
    fr = drawn.freeze
    entities = county.rows("entities")
    assert fr["in_scope"] == len(entities)
    assert fr["excluded"]["not_in_operation"] == sum(r["登记状态"] != "存续" for r in entities)
    assert sum(s["size"] for s in fr["strata"]) == fr["eligible"]
    for s in fr["strata"]:
        assert s["quota"] == math.ceil(s["size"] * RATIO), s  # 不低于 5%: rounded up
    assert fr["quota_total"] == drawn.draw["drawn"] == sum(s["quota"] for s in fr["strata"])


def test_task_list_json(drawn: Drawn) -> None:
    rows = as_json(ok(drawn.db, "task", "list", "--json"))
    assert [(r["task_no"], r["plan_no"], r["state"], r["draws"]) for r in rows] == [
        (drawn.task_no, "CLI-2026", "drawn", 1)]
    assert rows[0]["commitment"] == drawn.freeze["commitment"]


def test_task_show_json(drawn: Drawn) -> None:
    info = as_json(ok(drawn.db, "task", "show", drawn.task_no, "--json"))
    assert info["task_no"] == drawn.task_no and info["state"] == "drawn"
    assert info["commitment"] == drawn.freeze["commitment"]
    assert [(s["key"], s["size"], s["quota"]) for s in info["strata"]] == [
        (s["key"], s["size"], s["quota"]) for s in drawn.freeze["strata"]]
    assert info["exclusions"] == drawn.freeze["excluded"]
    [d] = info["draws"]
    assert (d["round_no"], d["seal"], d["drawn"], d["public_value"]) == (
        1, drawn.draw["seal"], drawn.draw["drawn"], drawn.draw["public_value"])


def test_results_list_json_lists_the_dispatched_entities(drawn: Drawn) -> None:
    rows = as_json(ok(drawn.db, "results", "list", drawn.task_no, "--json"))
    with drawn.dispatch.open(encoding="utf-8-sig", newline="") as fh:
        sheet = [r["统一社会信用代码"] for r in csv.DictReader(fh)]
    assert [r["uscc"] for r in rows] == sheet
    assert len(rows) == drawn.draw["drawn"]
    assert {r["state"] for r in rows} == {"pending_entry"}


def test_registry_stats_json_is_valid(drawn: Drawn) -> None:
    data = as_json(ok(drawn.db, "registry", "stats", "--json"))
    assert isinstance(data, dict) and all(isinstance(v, dict) for v in data.values())


def test_read_commands_in_text_mode_succeed(drawn: Drawn) -> None:
    for args in (["task", "list"], ["task", "show", drawn.task_no], ["results", "list", drawn.task_no],
                 ["registry", "digest"], ["due", "--today", "2026-03-03"]):
        res = ok(drawn.db, *args)
        assert res.stdout.strip(), args
    assert drawn.task_no in ok(drawn.db, "--lang", "en", "task", "show", drawn.task_no).stdout


def test_version() -> None:
    import shuangsuiji

    res = CliRunner().invoke(cli, ["--version"])
    assert res.exit_code == 0 and shuangsuiji.__version__ in res.stdout
