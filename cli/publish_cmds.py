"""dispatch, publish, verify, audit, due."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from shuangsuiji import clock, i18n, publication
from shuangsuiji.store import Store

from .common import Context, emit_json, handle_errors, json_option, pass_ctx, say


@click.command("dispatch")
@click.argument("task_no")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="派单表（.xlsx 或 .csv）/ dispatch sheet file")
@pass_ctx
@handle_errors
def dispatch_cmd(ctx: Context, task_no: str, out: Path) -> None:
    """生成内部派单表（保密，不得公开）/ write the confidential internal dispatch sheet."""
    n = publication.dispatch(ctx.store(), task_no, out, lang=i18n.get_language())
    say("cli.dispatch_done", file=str(out), rows=n)


def _report(p: publication.Published, message: str, as_json: bool) -> None:
    if as_json:
        emit_json({"task_no": p.task_no, "seal": p.seal, "ledger_seq": p.seq,
                   "files": {k: str(v) for k, v in p.files.items()}})
        return
    say(message, task=p.task_no, seal=p.seal, seq=p.seq)
    for path in p.files.values():
        click.echo(f"  {path}")


@click.command("publish")
@click.argument("task_no")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="输出目录 / output folder")
@click.option("--encoding", type=click.Choice(["utf-8-sig", "gb18030"]), default="utf-8-sig", help="CSV 编码 / CSV encoding")
@click.option("--actor", default=lambda: __import__("getpass").getuser(), show_default="当前系统用户 / OS user", help="操作人 / operator")
@json_option
@pass_ctx
@handle_errors
def publish_cmd(ctx: Context, task_no: str, out: Path, encoding: str, actor: str, as_json: bool) -> None:
    """公示检查结果：公告（CSV/XLSX/HTML）、审计包、总体文件 / publish the bulletin, audit bundle and population file."""
    p = publication.publish(ctx.store(), task_no, out, lang=i18n.get_language(), encoding=encoding, actor=actor)
    _report(p, "cli.published", as_json)


@click.command("republish")
@click.argument("task_no")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="输出目录 / output folder")
@click.option("--encoding", type=click.Choice(["utf-8-sig", "gb18030"]), default="utf-8-sig", help="CSV 编码 / CSV encoding")
@json_option
@pass_ctx
@handle_errors
def republish_cmd(ctx: Context, task_no: str, out: Path, encoding: str, as_json: bool) -> None:
    """按数据库重新生成已公示任务的全部文件（不改动数据库）/ write a published task's files again from the database (changes nothing)."""
    p = publication.republish(ctx.store(), task_no, out, lang=i18n.get_language(), encoding=encoding)
    _report(p, "cli.republished", as_json)


@click.command("verify")
@click.argument("bundle_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--population", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="总体文件（默认取审计包旁的同名文件）/ population file (default: beside the bundle)")
@click.option("--ledger", "ledger_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="台账文件（默认取审计包旁的同名文件）/ ledger file (default: beside the bundle)")
@click.option("--db", "db_url", help="同时与数据库核对 / also check against a database")
@json_option
@pass_ctx
@handle_errors
def verify_cmd(ctx: Context, bundle_file: Path, population: Path | None, ledger_file: Path | None,
               db_url: str | None, as_json: bool) -> None:
    """核验审计包：封印、承诺、种子、签号、复抽、台账链条 / verify an audit bundle; exit 0 only if everything matches."""
    store = None
    if db_url:
        store = Store(db_url)
        store.require_schema()
    try:
        res = publication.verify_file(bundle_file, store=store, population_path=population, ledger_path=ledger_file)
    finally:
        if store is not None:
            store.close()
    if as_json:
        emit_json({"ok": True, "checks": res.checks})
        return
    for c in res.checks:
        click.echo(f"✓ {c}")
    say("cli.verify_ok")


@click.command("audit")
@json_option
@pass_ctx
@handle_errors
def audit_cmd(ctx: Context, as_json: bool) -> None:
    """核查整个数据库：台账链条、每次抽取、人员匹配与公示结果 / audit the whole database."""
    checks = publication.audit(ctx.store())
    if as_json:
        emit_json({"ok": True, "checks": checks})
        return
    for c in checks:
        click.echo(f"✓ {c}")
    say("cli.audit_ok")


@click.command("due")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="基准日期 / reference date")
@click.option("--workdays", "limit", type=int, default=20, help="公示期限（工作日）/ publication limit in working days")
@json_option
@pass_ctx
@handle_errors
def due_cmd(ctx: Context, today: Any, limit: int, as_json: bool) -> None:
    """列出逾期或即将到期未公示的任务 / tasks overdue or due soon for publication."""
    rows = publication.due(ctx.store(), today.date() if today else clock.today(), workdays_limit=limit)
    if as_json:
        emit_json([r.__dict__ for r in rows])
        return
    if not rows:
        say("cli.due_none")
    for r in rows:
        say("cli.due_row", task=r.task_no, name=r.name, end=r.inspection_end, due=r.due,
            status=i18n.text(f"due.{r.status}"), note=i18n.text("due.estimated") if r.estimated else "")


def register(cli: click.Group) -> None:
    for cmd in (dispatch_cmd, publish_cmd, republish_cmd, verify_cmd, audit_cmd, due_cmd):
        cli.add_command(cmd)


i18n.register({
    "cli.dispatch_done": {"zh": "已生成内部派单表 {file}（{rows} 户）——保密，检查实施前不得公开",
                          "en": "internal dispatch sheet written: {file} ({rows} entities): confidential until the visit"},
    "cli.republished": {"zh": "已按数据库重新生成任务 {task} 的公示文件。审计包封印 {seal}（台账第 {seq} 条）：",
                        "en": "publication files of task {task} written again from the database. Bundle seal {seal} (ledger entry {seq}):"},
    "cli.published": {"zh": "任务 {task} 已公示。审计包封印 {seal}（台账第 {seq} 条）：",
                      "en": "task {task} published. Bundle seal {seal} (ledger entry {seq}):"},
    "cli.verify_ok": {"zh": "核验通过：全部一致。", "en": "Verified: everything matches."},
    "cli.audit_ok": {"zh": "核查通过：数据库未发现改动。", "en": "Audit passed: no tampering found."},
    "cli.due_none": {"zh": "没有逾期或即将到期的任务。", "en": "No task is overdue or due soon."},
    "cli.due_row": {"zh": "{task}「{name}」检查结束 {end}，应于 {due} 前公示：{status}{note}",
                    "en": "{task} '{name}' ended {end}, publish by {due}: {status}{note}"},
    "due.overdue": {"zh": "已逾期", "en": "overdue"}, "due.due_soon": {"zh": "即将到期", "en": "due soon"},
    "due.ok": {"zh": "正常", "en": "ok"},
    "due.estimated": {"zh": "（节假日按推算，法定调休未公布）", "en": " (holidays estimated: the official calendar is not yet published)"},
})
