"""Generate docs/cli.md, the command-line reference, from the click application.

The reference is the ``--help`` text of every group and command, rendered at a fixed
width so that the output depends only on the code.  ``tests/test_cli_docs.py`` regenerates
it and fails when docs/cli.md is stale.

    python scripts/gen_cli_docs.py           # rewrite docs/cli.md
    python scripts/gen_cli_docs.py --check   # exit 1 if docs/cli.md is stale
"""
from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "cli.md"
WIDTH = 100
PROG = "shuangsuiji"

HEADER = f"""# Command-line reference

Generated from the click application by `python scripts/gen_cli_docs.py`; do not edit by hand
(`tests/test_cli_docs.py` fails when this file is stale). Help texts are bilingual; messages
follow `--lang`. Global options (`--db`, `--lang`, `--debug`) go before the command:
`{PROG} --lang en task list`. Exit codes: 0 success, 1 error (bad input, wrong state, failed
verification), 2 usage error, 75 concurrent update (safe to run again). See
[operations.md](operations.md) for databases, backups and exit codes, and
[quickstart.md](quickstart.md) for the workflow.
"""


def walk(command: click.Command, parent: click.Context | None = None,
         name: str = PROG) -> Iterator[tuple[str, click.Context]]:
    """Every command and group, depth first, as (full command path, its context)."""
    settings = {**command.context_settings, "terminal_width": WIDTH, "max_content_width": WIDTH}
    ctx = click.Context(command, info_name=name, parent=parent, **settings)
    yield ctx.command_path, ctx
    if isinstance(command, click.Group):
        for sub in command.list_commands(ctx):
            child = command.get_command(ctx, sub)
            if child is not None and not child.hidden:
                yield from walk(child, ctx, sub)


def _anchor(path: str) -> str:
    return path.replace(" ", "-")


def render(app: click.Command | None = None) -> str:
    """The whole reference as Markdown."""
    if app is None:
        from shuangsuiji_cli.main import cli as app
    entries = list(walk(app))
    out = [HEADER, "## Commands\n"]
    for path, ctx in entries:
        depth = path.count(" ")
        summary = ctx.command.get_short_help_str(limit=WIDTH)
        out.append(f"{'  ' * max(depth - 1, 0)}- [`{path}`](#{_anchor(path)}) {summary}".rstrip())
    out.append("")
    for path, ctx in entries:
        help_text = ctx.command.get_help(ctx).rstrip()
        out += [f"## {path}", "", "```text", help_text, "```", ""]
    return "\n".join(out)


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET.relative_to(ROOT)} is stale: run python scripts/gen_cli_docs.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
