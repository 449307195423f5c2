"""results set/import/review/list/history, and demo."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from shuangsuiji import i18n, results

from .common import Context, console, RichReporter, emit_json, handle_errors, json_option, pass_ctx, say


@click.group("results")
def results_group() -> None:
    """检查结果录入与审核 / enter and review inspection results."""


@results_group.command("set")
@click.argument("task_no")
@click.argument("uscc")
@click.option("--code", "codes", multiple=True, required=True, help="结果代码（可多次）/ result code (repeatable)")
@click.option("--action", help="后续处置 / follow-up action")
@click.option("--completed", "completed_on", type=click.DateTime(formats=["%Y-%m-%d"]), required=True,
              help="检查完成日期 / completion date")
@click.option("--remarks", default="", help="备注 / remarks")
@click.option("--rectify-by", type=click.DateTime(formats=["%Y-%m-%d"]), help="整改期限 / rectification deadline")
@click.option("--actor", required=True, help="录入人 / who enters it")
@click.option("--reason", help="更正理由（更正已审核结果时必填）/ reason for a correction")
@pass_ctx
@handle_errors
def results_set(ctx: Context, task_no: str, uscc: str, codes: tuple[str, ...], action: str | None, completed_on: Any,
                remarks: str, rectify_by: Any, actor: str, reason: str | None) -> None:
    """录入或更正一户的检查结果 / enter or correct one entity's result."""
    results.set_result(ctx.store(), task_no, uscc, codes=list(codes), action=action, completed_on=completed_on.date(),
                       remarks=remarks, rectify_by=rectify_by.date() if rectify_by else None, actor=actor,
                       reason=reason)
    say("cli.result_set", uscc=uscc)


@results_group.command("import")
@click.argument("task_no")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--encoding", default=None, help="CSV 编码 / force a CSV encoding")
@click.option("--dry-run", is_flag=True, help="只校验不写入 / validate only")
@click.option("--actor", required=True, help="录入人 / who enters them")
@json_option
@pass_ctx
@handle_errors
def results_import(ctx: Context, task_no: str, file: Path, encoding: str | None, dry_run: bool, actor: str,
                   as_json: bool) -> None:
    """从 CSV/XLSX 导入检查结果（全部正确才写入）/ import results from CSV/XLSX, all or nothing."""
    rep = results.import_results(ctx.store(), task_no, file, encoding=encoding, dry_run=dry_run, actor=actor)
    if as_json:
        emit_json(rep.to_dict())
        return
    say("cli.results_dry" if rep.dry_run else "cli.results_imported", file=file.name, rows=rep.rows,
        entered=rep.entered, corrected=rep.corrected, submitted=rep.submitted, unchanged=rep.unchanged)


@results_group.command("review")
@click.argument("task_no")
@click.option("--uscc", help="只审核这一户（默认全部待审核）/ one entity (default: all pending)")
@click.option("--approve/--return", "approve", default=True, help="通过或退回 / approve or return")
@click.option("--actor", required=True, help="审核人 / reviewer")
@click.option("--reason", help="退回理由 / reason for returning")
@pass_ctx
@handle_errors
def results_review(ctx: Context, task_no: str, uscc: str | None, approve: bool, actor: str, reason: str | None) -> None:
    """审核检查结果 / review results."""
    out = results.review(ctx.store(), task_no, uscc, approve=approve, actor=actor, reason=reason)
    say("cli.reviewed_approved" if approve else "cli.reviewed_returned", count=len(out))


@results_group.command("list")
@click.argument("task_no")
@json_option
@pass_ctx
@handle_errors
def results_list(ctx: Context, task_no: str, as_json: bool) -> None:
    """列出任务的检查结果 / list a task's results."""
    views = results.list_results(ctx.store(), task_no)
    if as_json:
        emit_json([v.to_dict() for v in views])
        return
    from rich.table import Table

    from shuangsuiji.bulletin import result_label

    lang = i18n.get_language()
    table = Table(*[i18n.text(f"cli.rcol_{c}") for c in ("uscc", "name", "state", "result", "action", "completed")])
    for v in views:
        table.add_row(v.uscc, v.name, results.state_label(v.state, lang),
                      "、".join(f"{c} {result_label(c, lang)}" for c in v.codes),
                      results.action_label(v.action, lang) if v.action else "",
                      v.completed_on.isoformat() if v.completed_on else "")
    console().print(table)


@results_group.command("history")
@click.argument("task_no")
@click.argument("uscc")
@json_option
@pass_ctx
@handle_errors
def results_history(ctx: Context, task_no: str, uscc: str, as_json: bool) -> None:
    """一户检查结果的全部变更记录 / every change of one entity's result."""
    events = results.history(ctx.store(), task_no, uscc)
    if as_json:
        emit_json([e.to_dict() for e in events])
        return
    lang = i18n.get_language()
    for e in events:
        say("cli.history_row", round=e.round_no, at=e.at.isoformat(timespec="seconds"), actor=e.actor,
            action=e.action, frm=results.state_label(e.state_from, lang), to=results.state_label(e.state_to, lang),
            version=e.version, reason=e.reason or "—")


@click.command("demo")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-out"), show_default=True,
              help="输出目录 / output folder")
@click.option("--entities", type=int, default=5000, show_default=True, help="模拟主体数 / synthetic entities")
@click.option("--seed", default="demo", show_default=True, help="生成数据的种子 / seed of the synthetic data")
@click.option("--public-value", help="公开随机值（默认由种子模拟掷骰）/ public random value (default: simulated dice)")
@click.pass_context
@handle_errors
def demo_cmd(click_ctx: click.Context, out: Path, entities: int, seed: str, public_value: str | None) -> None:
    """演示：模拟一个县区，完整走一遍抽取、派单、录入、审核、公示、核验 / the whole cycle on a synthetic county."""
    from shuangsuiji import demo

    ctx: Context = click_ctx.obj
    db = ctx.db if click_ctx.find_root().params.get("db") else None
    res = demo.run(out, entities=entities, seed=seed, db_url=db, public_value=public_value,
                   say=click.echo, reporter=RichReporter())
    click.echo("")
    say("cli.demo_done", task=res.task_no, db=res.db_url)
    for key in ("bulletin.html", "bulletin.xlsx", "bulletin.csv", "bundle.json", "population.csv.gz", "ledger.jsonl"):
        if key in res.files:
            say(f"cli.demo_file_{key.split('.')[0]}", path=str(res.files[key].resolve()))
    say("cli.demo_verify_hint", path=str(res.files["bundle.json"]))


def register(cli: click.Group) -> None:
    cli.add_command(results_group)
    cli.add_command(demo_cmd)


i18n.register({
    "cli.result_set": {"zh": "已录入 {uscc} 的检查结果（待审核）", "en": "result of {uscc} entered (pending review)"},
    "cli.results_imported": {"zh": "已导入检查结果 {file}：{rows} 行，新录入 {entered}，更正 {corrected}，重新提交 {submitted}，未变 {unchanged}（均待审核）",
                             "en": "results imported from {file}: {rows} rows, {entered} entered, {corrected} corrected, {submitted} resubmitted, {unchanged} unchanged (pending review)"},
    "cli.results_dry": {"zh": "试导入（未写入）{file}：{rows} 行，将录入 {entered}，更正 {corrected}，重新提交 {submitted}，未变 {unchanged}",
                        "en": "dry run (nothing written) {file}: {rows} rows, would enter {entered}, correct {corrected}, resubmit {submitted}, keep {unchanged}"},
    "cli.reviewed_approved": {"zh": "审核通过 {count} 条检查结果", "en": "{count} result(s) approved"},
    "cli.reviewed_returned": {"zh": "退回 {count} 条检查结果", "en": "{count} result(s) returned"},
    "cli.rcol_uscc": {"zh": "统一社会信用代码", "en": "USCC"}, "cli.rcol_name": {"zh": "名称", "en": "name"},
    "cli.rcol_state": {"zh": "状态", "en": "state"}, "cli.rcol_result": {"zh": "检查结果", "en": "result"},
    "cli.rcol_action": {"zh": "后续处置", "en": "follow-up"}, "cli.rcol_completed": {"zh": "完成日期", "en": "completed"},
    "cli.history_row": {"zh": "第{round}轮 {at} {actor}：{action}（{frm} → {to}，版本 {version}），理由：{reason}",
                        "en": "round {round} {at} {actor}: {action} ({frm} → {to}, version {version}), reason: {reason}"},
    "cli.demo_done": {"zh": "演示完成：任务 {task} 已公示并通过核验（数据库 {db}）", "en": "demo finished: task {task} published and verified (database {db})"},
    "cli.demo_file_bulletin": {"zh": "  公告：{path}", "en": "  bulletin: {path}"},
    "cli.demo_file_bundle": {"zh": "  审计包：{path}", "en": "  audit bundle: {path}"},
    "cli.demo_file_population": {"zh": "  总体文件：{path}", "en": "  population file: {path}"},
    "cli.demo_file_ledger": {"zh": "  台账：{path}", "en": "  ledger: {path}"},
    "cli.demo_verify_hint": {"zh": "任何人都可以核验：shuangsuiji verify {path}", "en": "anyone can verify: shuangsuiji verify {path}"},
})
