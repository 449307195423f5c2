"""docs/cli.md is the generated CLI reference: it must match the click app exactly."""
from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import click

from shuangsuiji_cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "cli.md"
SCRIPT = ROOT / "scripts" / "gen_cli_docs.py"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_cli_docs", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _all_commands(group: click.Command, path: str = "shuangsuiji") -> dict[str, click.Command]:
    out = {path: group}
    for name, sub in getattr(group, "commands", {}).items():
        out.update(_all_commands(sub, f"{path} {name}"))
    return out


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"^## (shuangsuiji.*)$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def test_reference_is_up_to_date() -> None:
    expected = _generator().render()
    assert DOC.read_text(encoding="utf-8") == expected, "docs/cli.md is stale: run python scripts/gen_cli_docs.py"


def test_every_command_and_option_is_documented() -> None:
    sections = _sections(DOC.read_text(encoding="utf-8"))
    commands = _all_commands(cli)
    assert len(commands) > 20
    assert set(commands) == set(sections)
    for path, command in commands.items():
        body = sections[path]
        assert f"Usage: {path}" in body, path
        for param in command.params:
            if isinstance(param, click.Option):
                assert any(o in body for o in param.opts), (path, param.opts)
            elif isinstance(param.type, click.Choice):
                assert all(str(c) in body for c in param.type.choices), (path, param.name)
            else:
                assert (param.human_readable_name or "").upper() in body, (path, param.name)


def test_render_does_not_depend_on_the_terminal() -> None:
    code = f"import sys; sys.path.insert(0, {str(SCRIPT.parent)!r}); import gen_cli_docs; print(gen_cli_docs.render(), end='')"
    narrow = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, encoding="utf-8",
                            env={"COLUMNS": "40", "PATH": "", "LANG": "C.UTF-8"}, cwd=ROOT, check=True)
    assert narrow.stdout == DOC.read_text(encoding="utf-8")


def test_check_mode_flags_a_stale_file(tmp_path: Path) -> None:
    gen = _generator()
    gen.TARGET = tmp_path / "cli.md"
    gen.TARGET.write_text("stale", encoding="utf-8")
    gen.ROOT = tmp_path
    assert gen.main(["--check"]) == 1
    assert gen.main([]) == 0
    assert gen.main(["--check"]) == 0
