"""Shared CLI plumbing: options, the store, errors → exit codes, progress bars, output."""
from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from shuangsuiji import i18n
from shuangsuiji.errors import ShuangsuijiError
from shuangsuiji.store import Store

F = TypeVar("F", bound=Callable[..., Any])


class Context:
    def __init__(self, db: str | None, lang: str | None, debug: bool) -> None:
        self.db, self.lang, self.debug = db, lang, debug
        self._store: Store | None = None

    def store(self, *, require_schema: bool = True) -> Store:
        if self._store is None:
            self._store = Store(self.db)
        if require_schema:
            self._store.require_schema()
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


pass_ctx = click.make_pass_decorator(Context)


def handle_errors(fn: F) -> F:
    """Library errors become a clean message and exit 1 (75 for retryable); no traceback
    unless ``--debug``."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context().find_object(Context)
        try:
            return fn(*args, **kwargs)
        except ShuangsuijiError as exc:
            if ctx is not None and ctx.debug:
                raise
            if _json_requested():
                click.echo(json.dumps({"error": exc.to_dict()}, ensure_ascii=False, indent=2))
            else:
                click.echo(i18n.text("cli.error", message=exc.message()), err=True)
            sys.exit(exc.exit_code)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit):
            raise
        except BrokenPipeError:  # output piped into `head` and closed: not an error
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except Exception as exc:  # a bug or an environment problem: no traceback unless --debug
            if ctx is not None and ctx.debug:
                raise
            click.echo(i18n.text("cli.internal", kind=type(exc).__name__, message=str(exc).splitlines()[0][:300]
                                 if str(exc) else ""), err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def _json_requested() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.params.get("as_json"))


def json_option(fn: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / output JSON")(fn)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def console() -> Any:
    """A rich console; when output is piped, wide enough never to truncate IDs."""
    from rich.console import Console

    return Console() if sys.stdout.isatty() else Console(width=1000)


def say(code: str, **params: Any) -> None:
    click.echo(i18n.text(code, **params))


class RichReporter:
    """Draws rich progress bars on a terminal; silent when stderr is not a TTY."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self._progress: Any = None
        self._task: Any = None

    def start(self, stage: str, total: int | None = None) -> None:
        if not self.enabled:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.finish()
        self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                  TimeElapsedColumn(), console=Console(stderr=True), transient=True)
        self._progress.start()
        self._task = self._progress.add_task(stage, total=total)

    def advance(self, amount: int = 1) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, amount)

    def finish(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def info(self, message: str) -> None:
        if self.enabled:
            click.echo(message, err=True)


i18n.register({
    "cli.error": {"zh": "错误：{message}", "en": "Error: {message}"},
    "cli.internal": {"zh": "内部错误（{kind}）：{message}\n请加 --debug 重试以查看详情，并报告此问题。",
                     "en": "internal error ({kind}): {message}\nrun again with --debug for details and please report it."},
})
