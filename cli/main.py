"""The ``shuangsuiji`` command: a thin click layer over the library."""
from __future__ import annotations

import sys

import click

from shuangsuiji import __version__, i18n

from .common import Context
from . import publish_cmds, registry_cmds, results_cmds, task_cmds


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--db", envvar="SHUANGSUIJI_DB", metavar="URL",
              help="数据库地址（默认 sqlite:///shuangsuiji.db）/ database URL (default sqlite:///shuangsuiji.db)")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None,
              help="界面语言 / message language (default: Chinese, English for an English locale)")
@click.option("--debug", is_flag=True, help="出错时显示 traceback / show tracebacks")
@click.version_option(__version__, prog_name="shuangsuiji")
@click.pass_context
def cli(ctx: click.Context, db: str | None, lang: str | None, debug: bool) -> None:
    """双随机、一公开：可复现、可公开验证的随机抽查。

    shuangsuiji: reproducible, publicly verifiable random inspection draws.
    """
    i18n.set_language(lang)
    ctx.obj = Context(db, lang, debug)
    ctx.call_on_close(ctx.obj.close)


registry_cmds.register(cli)
task_cmds.register(cli)
task_cmds.register_fairness(cli)
publish_cmds.register(cli)
results_cmds.register(cli)


def main() -> None:
    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
