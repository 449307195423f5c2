"""The public API: every exported name resolves, imports stay lazy, the library never
imports the CLI and never prints."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

import shuangsuiji

ROOT = Path(__file__).resolve().parent.parent

# the names the embedding brief promises, and where each one really lives
HOMES = {
    "Store": "store.Store", "import_file": "importer.import_file", "ImportReport": "importer.ImportReport",
    "create_plan": "tasks.create_plan", "create_task": "tasks.create_task", "freeze": "tasks.freeze",
    "draw": "tasks.draw", "set_result": "results.set_result", "import_results": "results.import_results",
    "review": "results.review", "publish": "publication.publish", "republish": "publication.republish", "dispatch": "publication.dispatch",
    "verify_file": "publication.verify_file", "audit": "publication.audit", "TaskSpec": "taskspec.TaskSpec", "load_task_spec": "taskspec.load",
    "ShuangsuijiError": "errors.ShuangsuijiError", "ValidationError": "errors.ValidationError",
    "InputError": "errors.InputError", "NotFound": "errors.NotFound", "StateError": "errors.StateError",
    "SealedError": "errors.SealedError", "InfeasibleError": "errors.InfeasibleError",
    "VerificationError": "errors.VerificationError", "RetryableError": "errors.RetryableError",
    "Reporter": "progress.Reporter", "NullReporter": "progress.NullReporter", "set_language": "i18n.set_language",
}


def _run(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          encoding="utf-8", cwd=cwd, timeout=600)


def test_all_is_exactly_the_promised_names() -> None:
    assert len(shuangsuiji.__all__) == len(set(shuangsuiji.__all__))
    assert set(shuangsuiji.__all__) == set(HOMES) | {"__version__"}


@pytest.mark.parametrize("name", sorted(HOMES))
def test_every_name_resolves_to_its_home(name: str) -> None:
    import importlib

    module, attr = HOMES[name].split(".")
    home = getattr(importlib.import_module(f"shuangsuiji.{module}"), attr)
    assert getattr(shuangsuiji, name) is home


def test_star_import_and_dir() -> None:
    namespace: dict[str, object] = {}
    exec("from shuangsuiji import *", namespace)
    assert set(shuangsuiji.__all__) <= set(namespace)
    assert set(shuangsuiji.__all__) <= set(dir(shuangsuiji))
    with pytest.raises(AttributeError):
        getattr(shuangsuiji, "no_such_name")


def test_version_matches_the_package_metadata() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert shuangsuiji.__version__ == project["version"]


def test_error_classes_form_one_tree() -> None:
    for name in HOMES:
        obj = getattr(shuangsuiji, name)
        if isinstance(obj, type) and name.endswith("Error") and name != "ShuangsuijiError":
            assert issubclass(obj, shuangsuiji.ShuangsuijiError), name
    assert issubclass(shuangsuiji.InputError, ValueError)
    assert shuangsuiji.RetryableError.exit_code == 75


def test_every_lazy_name_is_visible_to_type_checkers() -> None:
    """Names loaded on first use must also be imported under TYPE_CHECKING, or the API is untyped."""
    tree = ast.parse((ROOT / "shuangsuiji" / "__init__.py").read_text(encoding="utf-8"))
    bound: set[str] = set()
    for node in tree.body:
        body = node.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING" else [node]
        for stmt in body:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                bound |= {a.asname or a.name for a in stmt.names}
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                bound |= {t.id for t in targets if isinstance(t, ast.Name)}
    assert set(shuangsuiji.__all__) <= bound


def test_publish_is_the_function_whatever_was_imported_first(tmp_path: Path) -> None:
    for first in ("import shuangsuiji.publication", "from shuangsuiji import publish",
                  "from shuangsuiji.publication import dispatch", "import shuangsuiji.demo"):
        out = _run(f"""
            {first}
            import shuangsuiji, shuangsuiji.publication as module
            assert shuangsuiji.publish is module.publish and callable(shuangsuiji.publish), "{first}"
            """, tmp_path)
        assert out.returncode == 0, out.stderr


def test_import_is_lazy_and_cheap(tmp_path: Path) -> None:
    out = _run("""
        import sys, shuangsuiji
        heavy = [m for m in ("sqlalchemy", "numpy", "sqlmodel", "openpyxl", "jinja2", "click", "shuangsuiji.store")
                 if m in sys.modules]
        assert not heavy, heavy
        shuangsuiji.ValidationError("x"); shuangsuiji.set_language("en")
        assert "sqlalchemy" not in sys.modules
        shuangsuiji.Store
        assert "sqlalchemy" in sys.modules
        """, tmp_path)
    assert out.returncode == 0, out.stderr


def test_library_never_imports_the_cli_and_never_prints(db_url: str, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    out = _run(f"""
        import json, sys
        from datetime import datetime, timedelta, timezone
        from pathlib import Path
        import shuangsuiji
        from shuangsuiji import demo

        names = [getattr(shuangsuiji, n) for n in shuangsuiji.__all__]
        today = datetime.now(timezone(timedelta(hours=8))).date()
        res = demo.run(Path({str(tmp_path / 'demo')!r}), entities=400, seed="api-test", db_url={db_url!r},
                       say=lambda s: None, today=today)
        with shuangsuiji.Store({db_url!r}) as store:
            audited = shuangsuiji.audit(store)
        checks = shuangsuiji.verify_file(res.files["bundle.json"]).checks
        Path({str(report)!r}).write_text(json.dumps({{
            "cli": sorted(m for m in sys.modules if m.startswith("shuangsuiji_cli")),
            "drawn": res.drawn, "checks": len(checks), "audited": len(audited),
            "files": sorted(res.files)}}))
        """, tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "" and out.stderr == ""
    data = json.loads(report.read_text())
    assert data["cli"] == []
    assert data["drawn"] > 0 and data["checks"] >= 4 and data["audited"] >= 2
    assert {"bundle.json", "bulletin.html", "population.csv.gz"} <= set(data["files"])


def test_a_failing_library_call_prints_nothing_either(tmp_path: Path) -> None:
    out = _run(f"""
        import shuangsuiji
        with shuangsuiji.Store("sqlite:///{tmp_path / 'x.db'}") as store:
            store.init()
            try:
                shuangsuiji.freeze(store, "NO-SUCH-TASK")
            except shuangsuiji.NotFound as exc:
                assert exc.code == "not_found" and "NO-SUCH-TASK" in exc.message("en")
            else:
                raise SystemExit("no error")
        """, tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "" and out.stderr == ""
