"""plan create, task create/list/show/freeze/draw."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from shuangsuiji import clock, i18n, tasks, taskspec

from .common import Context, console, RichReporter, emit_json, handle_errors, json_option, pass_ctx, say


@click.group("plan")
def plan_group() -> None:
    """年度抽查计划 / annual plans."""


@plan_group.command("create")
@click.argument("plan_no")
@click.option("--name", required=True, help="计划名称 / plan name")
@click.option("--year", type=int, default=lambda: clock.today().year, help="年度 / year")
@click.option("--department", required=True, help="制定部门 / department")
@pass_ctx
@handle_errors
def plan_create(ctx: Context, plan_no: str, name: str, year: int, department: str) -> None:
    """创建年度抽查计划 / create an annual plan."""
    tasks.create_plan(ctx.store(), plan_no, name, year, department)
    say("cli.plan_created", plan=plan_no)


@click.group("task")
def task_group() -> None:
    """抽查任务：创建、冻结（承诺）、抽取 / inspection tasks: create, freeze (commit), draw."""


def _split(values: tuple[str, ...]) -> list[str]:
    return [v.strip() for item in values for v in item.replace("，", ",").split(",") if v.strip()]


@task_group.command("create")
@click.option("--file", "file_", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="TOML 任务文件（可与计划一同保存）/ a TOML task file")
@click.option("--task-no", help="任务编号 / task number")
@click.option("--name", help="任务名称 / task name")
@click.option("--plan", help="计划编号 / plan number")
@click.option("--department", help="发起部门 / initiating department")
@click.option("--item", "items", multiple=True, help="抽查事项编码（可多次）/ item code (repeatable)")
@click.option("--joint", multiple=True, help="联合部门 / joint department (repeatable)")
@click.option("--ratio", help="抽查比例，如 3%、0.05 / sampling ratio")
@click.option("--risk-ratio", multiple=True, help="分类比例，如 A=2% / ratio per risk class, e.g. A=2%")
@click.option("--count", type=int, help="每层抽取数量 / count per stratum")
@click.option("--minimum", type=int, default=0, help="每层最少抽取数 / minimum per stratum")
@click.option("--strata", multiple=True, help="分层维度 risk/region/unit/industry/entity_type")
@click.option("--region", multiple=True, help="定向：行政区划前缀 / directed: region prefix")
@click.option("--industry", multiple=True, help="定向：行业代码前缀 / directed: industry prefix")
@click.option("--entity-type", multiple=True, help="定向：主体类型 / directed: entity type")
@click.option("--risk", multiple=True, help="定向：信用风险分类 / directed: risk class")
@click.option("--unit", multiple=True, help="定向：管辖单位 / directed: supervising unit")
@click.option("--tag", multiple=True, help="定向：标签（任一）/ directed: any of these tags")
@click.option("--exclude-inspected-days", type=int, help="排除 N 天内已检查的主体 / exclude entities inspected within N days")
@click.option("--annual-cap", type=int, help="每个主体每年最多被检查次数 / per-entity annual cap")
@click.option("--team-size", type=int, default=2, help="每组执法人员数（≥2）/ officers per team (≥2)")
@click.option("--qualification", help="资格要求 / required qualification")
@click.option("--no-cross-unit", is_flag=True, help="不实行所所交叉 / allow officers of the entity's own unit")
@click.option("--no-rotation", is_flag=True, help="不实行轮换 / no rotation rule")
@click.option("--experts", type=int, default=0, help="每组专家数 / experts per team")
@click.option("--mode", type=click.Choice(["seats", "groups"]), default="seats", help="分组方式 / team mode")
@click.option("--start", "start_", help="检查开始日期 / inspection start")
@click.option("--end", help="检查结束日期 / inspection end")
@click.option("--save", type=click.Path(dir_okay=False, path_type=Path), help="同时保存为 TOML 任务文件 / also save as a TOML task file")
@pass_ctx
@handle_errors
def task_create(ctx: Context, file_: Path | None, save: Path | None, **o: Any) -> None:
    """创建抽查任务（选项或 TOML 文件）/ create a task from options or a TOML file."""
    if file_ is not None:
        spec = taskspec.load(file_)
    else:
        missing = [k for k in ("task_no", "name", "plan", "department") if not o.get(k)]
        if missing:
            raise click.UsageError(i18n.text("cli.task_missing", options=", ".join("--" + m.replace("_", "-") for m in missing)))
        risk_ratio = {}
        for item in _split(o["risk_ratio"]):
            k, _, v = item.partition("=")
            risk_ratio[k.strip()] = v.strip()
        seat = {"department": o["department"], "k": o["team_size"], "cross_unit": not o["no_cross_unit"],
                "experts": o["experts"]}
        if o["qualification"]:
            seat["qualification"] = o["qualification"]
        seats = [seat] + [{"department": j, "k": 1, "cross_unit": not o["no_cross_unit"]} for j in _split(o["joint"])]
        data: dict[str, Any] = {
            "task_no": o["task_no"], "name": o["name"], "plan": o["plan"], "department": o["department"],
            "items": _split(o["items"]), "joint_departments": _split(o["joint"]),
            "population": {"regions": _split(o["region"]), "industries": _split(o["industry"]),
                           "entity_types": _split(o["entity_type"]), "risk": _split(o["risk"]),
                           "units": _split(o["unit"]), "tags_any": _split(o["tag"])},
            "strata": {"by": _split(o["strata"]) or (["risk"] if risk_ratio else [])},
            "sizes": {"ratio": o["ratio"], "risk": risk_ratio or None, "count": o["count"], "minimum": o["minimum"]},
            "exclusions": {"inspected_within_days": o["exclude_inspected_days"], "annual_cap": o["annual_cap"]},
            "teams": {"mode": o["mode"], "rotation": not o["no_rotation"], "seats": seats},
            "inspection": {"start": o["start_"], "end": o["end"]},
        }
        spec = taskspec.parse(data, source="--options")
    tasks.create_task(ctx.store(), spec)
    if save is not None:
        save.write_text(spec.to_toml(), encoding="utf-8")
    say("cli.task_created", task=spec.task_no)


@task_group.command("list")
@json_option
@pass_ctx
@handle_errors
def task_list(ctx: Context, as_json: bool) -> None:
    """列出任务 / list tasks."""
    rows = tasks.list_tasks(ctx.store())
    if as_json:
        emit_json(rows)
        return
    from rich.table import Table

    table = Table(*[i18n.text(f"cli.col_{c}") for c in ("task_no", "name", "plan", "department", "state", "draws")])
    for r in rows:
        table.add_row(r["task_no"], r["name"], r["plan_no"], r["department"], i18n.text(f"state.{r['state']}"), str(r["draws"]))
    console().print(table)


@task_group.command("show")
@click.argument("task_no")
@json_option
@pass_ctx
@handle_errors
def task_show(ctx: Context, task_no: str, as_json: bool) -> None:
    """显示任务详情：分层、排除、抽取轮次 / show a task: strata, exclusions, draw rounds."""
    info = tasks.show_task(ctx.store(), task_no)
    if as_json:
        emit_json(info)
        return
    say("cli.show_head", task=info["task_no"], name=info["name"], state=i18n.text(f"state.{info['state']}"))
    if info["commitment"]:
        say("cli.commitment", commitment=info["commitment"])
    for s in info["strata"]:
        say("cli.stratum", key=s["key"], size=s["size"], quota=s["quota"])
    for r, n in info["exclusions"].items():
        say("cli.excluded", reason=i18n.text(f"exclusion.{r}"), count=n)
    for d in info["draws"]:
        say("cli.draw_round", round=d["round_no"], source=i18n.text(f"source.{d['source']}"), value=d["public_value"], drawn=d["drawn"],
            current=i18n.text("cli.current") if d["current"] else i18n.text("cli.superseded"),
            reason=d["reason"] or "—", seal=d["seal"])


@task_group.command("freeze")
@click.argument("task_no")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), help="基准日期（默认今天）/ reference date (default today)")
@json_option
@pass_ctx
@handle_errors
def task_freeze(ctx: Context, task_no: str, as_of: Any, as_json: bool) -> None:
    """冻结任务并输出承诺值（抽取前公布）/ freeze the task and print its commitment (publish it before the draw)."""
    fr = tasks.freeze(ctx.store(), task_no, as_of=as_of.date() if as_of else None, reporter=RichReporter())
    if as_json:
        emit_json({"task_no": fr.task_no, "commitment": fr.commitment, "in_scope": fr.in_scope,
                   "eligible": fr.eligible, "quota_total": fr.quota_total, "excluded": fr.excluded,
                   "strata": [s.__dict__ for s in fr.strata]})
        return
    say("cli.frozen", task=task_no, in_scope=fr.in_scope, eligible=fr.eligible, total=fr.quota_total)
    for r, n in fr.excluded.items():
        say("cli.excluded", reason=i18n.text(f"exclusion.{r}"), count=n)
    for s in fr.strata:
        say("cli.stratum", key=s.key, size=s.size, quota=s.quota)
    say("cli.commitment", commitment=fr.commitment)
    say("cli.commitment_hint")


@task_group.command("draw")
@click.argument("task_no")
@click.option("--public-value", help="现场见证的公开随机值（骰子、彩票号码）或公共信标值 / the witnessed public random value")
@click.option("--os-entropy", is_flag=True, help="使用操作系统随机数（记录为非公开随机源）/ OS randomness, recorded as non-public")
@click.option("--reason", help="重新抽取的理由（首次抽取不填）/ reason for a re-draw")
@click.option("--actor", default=lambda: __import__("getpass").getuser(), show_default="当前系统用户 / OS user", help="操作人 / operator")
@json_option
@pass_ctx
@handle_errors
def task_draw(ctx: Context, task_no: str, public_value: str | None, os_entropy: bool, reason: str | None,
              actor: str, as_json: bool) -> None:
    """抽取检查对象并随机匹配执法人员，结果封存 / draw entities and teams; the result is sealed."""
    d = tasks.draw(ctx.store(), task_no, public_value, os_entropy=os_entropy, reason=reason, actor=actor,
                   reporter=RichReporter())
    if as_json:
        emit_json({"task_no": d.task_no, "round": d.round_no, "source": d.source, "public_value": d.public_value,
                   "seed": d.seed, "seal": d.seal, "drawn": d.drawn, "ledger_seq": d.bundle_seq,
                   "strata": [{"key": s.key, "size": s.size, "quota": s.quota,
                               "threshold_ticket": None if s.threshold_ticket is None else f"{s.threshold_ticket:016x}",
                               "threshold_id": s.threshold_id} for s in d.strata]})
        return
    say("cli.drawn", task=task_no, round=d.round_no, drawn=d.drawn, source=i18n.text(f"source.{d.source}"),
        value=d.public_value)
    say("cli.seed", seed=d.seed)
    say("cli.seal", seal=d.seal, seq=d.bundle_seq)
    if d.superseded:
        say("cli.superseded_note", round=d.superseded)
    say("cli.dispatch_hint", task=task_no)


def register(cli: click.Group) -> None:
    cli.add_command(plan_group)
    cli.add_command(task_group)


i18n.register({
    "cli.plan_created": {"zh": "已创建计划 {plan}", "en": "plan {plan} created"},
    "cli.task_created": {"zh": "已创建任务 {task}（草稿）。下一步：shuangsuiji task freeze {task}",
                         "en": "task {task} created (draft). Next: shuangsuiji task freeze {task}"},
    "cli.task_missing": {"zh": "缺少选项 {options}（或使用 --file 任务文件）", "en": "missing {options} (or use --file)"},
    "cli.col_task_no": {"zh": "任务编号", "en": "task"}, "cli.col_name": {"zh": "名称", "en": "name"},
    "cli.col_plan": {"zh": "计划", "en": "plan"}, "cli.col_department": {"zh": "部门", "en": "department"},
    "cli.col_state": {"zh": "状态", "en": "state"}, "cli.col_draws": {"zh": "抽取轮次", "en": "draws"},
    "state.draft": {"zh": "草稿", "en": "draft"}, "state.frozen": {"zh": "已冻结", "en": "frozen"},
    "state.drawn": {"zh": "已抽取", "en": "drawn"}, "state.published": {"zh": "已公示", "en": "published"},
    "cli.show_head": {"zh": "任务 {task}「{name}」状态：{state}", "en": "task {task} '{name}': {state}"},
    "cli.commitment": {"zh": "承诺值（commitment）：{commitment}", "en": "commitment: {commitment}"},
    "cli.commitment_hint": {"zh": "请在抽取前公布上述承诺值；抽取时输入现场见证的公开随机值。",
                            "en": "Publish this commitment before the draw; at the draw, enter the witnessed public random value."},
    "cli.stratum": {"zh": "  分层 {key}：合格 {size} 户，抽取 {quota} 户", "en": "  stratum {key}: {size} eligible, {quota} to draw"},
    "cli.excluded": {"zh": "  排除（{reason}）：{count} 户", "en": "  excluded ({reason}): {count}"},
    "exclusion.not_in_operation": {"zh": "非存续状态", "en": "not in operation"},
    "exclusion.disabled": {"zh": "已停用", "en": "disabled"},
    "exclusion.recently_inspected": {"zh": "近期已检查", "en": "recently inspected"},
    "exclusion.annual_cap": {"zh": "已达年度检查上限", "en": "annual inspection cap reached"},
    "exclusion.drawn_in_plan": {"zh": "已在本计划其他未完成任务中被抽中", "en": "already drawn in another open task of the plan"},
    "cli.frozen": {"zh": "任务 {task} 已冻结：范围内 {in_scope} 户，合格 {eligible} 户，应抽 {total} 户",
                   "en": "task {task} frozen: {in_scope} in scope, {eligible} eligible, {total} to draw"},
    "cli.draw_round": {"zh": "  第 {round} 轮（{current}）：{source} 随机值“{value}”，抽中 {drawn} 户，理由：{reason}，封印 {seal}",
                       "en": "  round {round} ({current}): {source} value '{value}', {drawn} drawn, reason: {reason}, seal {seal}"},
    "cli.current": {"zh": "有效", "en": "current"}, "cli.superseded": {"zh": "已被重抽取代，永久保留", "en": "superseded, kept forever"},
    "source.public": {"zh": "公开", "en": "public"}, "source.os-entropy": {"zh": "操作系统（非公开）", "en": "OS entropy (non-public)"},
    "cli.drawn": {"zh": "任务 {task} 第 {round} 轮抽取完成：抽中 {drawn} 户（{source}随机值“{value}”）",
                  "en": "task {task} round {round} drawn: {drawn} entities ({source} value '{value}')"},
    "cli.seed": {"zh": "种子（seed）：{seed}", "en": "seed: {seed}"},
    "cli.seal": {"zh": "封印：{seal}（台账第 {seq} 条）", "en": "seal: {seal} (ledger entry {seq})"},
    "cli.superseded_note": {"zh": "第 {round} 轮结果已被取代，但永久保留并可查验。", "en": "round {round} is superseded but kept and verifiable forever."},
    "cli.dispatch_hint": {"zh": "名单保密至检查实施：shuangsuiji dispatch {task} --out 派单.xlsx",
                          "en": "The list stays confidential until the visit: shuangsuiji dispatch {task} --out dispatch.xlsx"},
})


@click.command("fairness")
@click.argument("task_no")
@click.option("--runs", type=int, default=200, show_default=True, help="模拟次数 / number of runs")
@click.option("--top", type=int, default=10, show_default=True, help="列出概率最高的组合数 / pairs to list")
@json_option
@pass_ctx
@handle_errors
def fairness_cmd(ctx: Context, task_no: str, runs: int, top: int, as_json: bool) -> None:
    """人员匹配公平性：每名执法人员检查每户的概率与理想值比较 / pair probabilities against the ideal."""
    from shuangsuiji.teams import task_fairness

    rep, doc = task_fairness(ctx.store(), task_no, runs, RichReporter())
    order = sorted(range(len(rep.probability)), key=lambda i: -rep.probability[i] / rep.ideal[i])[:top]
    officers, entities = doc["officers"], doc["entities"]
    pairs = [{"cert": officers[int(rep.officer[i])][0], "name": officers[int(rep.officer[i])][1],
              "uscc": entities[int(rep.entity[i])][0], "probability": float(rep.probability[i]),
              "ideal": float(rep.ideal[i])} for i in order]
    if as_json:
        emit_json({"task_no": task_no, "runs": runs, "max_probability": rep.max_probability,
                   "max_ideal": rep.max_ideal, "max_ratio": rep.max_ratio, "top_pairs": pairs})
        return
    say("cli.fair_head", task=task_no, runs=runs, maxp=f"{rep.max_probability:.4f}", ideal=f"{rep.max_ideal:.4f}",
        ratio=f"{rep.max_ratio:.2f}")
    for p in pairs:
        say("cli.fair_pair", name=p["name"], cert=p["cert"], uscc=p["uscc"], p=f"{p['probability']:.4f}",
            ideal=f"{p['ideal']:.4f}")


def register_fairness(cli: click.Group) -> None:
    cli.add_command(fairness_cmd)


i18n.register({
    "cli.fair_head": {"zh": "任务 {task}：模拟 {runs} 次。最大组合概率 {maxp}（理想值 {ideal}），最大偏离倍数 {ratio}",
                      "en": "task {task}: {runs} runs. Max pair probability {maxp} (ideal {ideal}), max ratio to ideal {ratio}"},
    "cli.fair_pair": {"zh": "  {name}（{cert}）→ {uscc}：{p}（理想 {ideal}）", "en": "  {name} ({cert}) → {uscc}: {p} (ideal {ideal})"},
})
