"""init, import, export, registry stats/digest."""
from __future__ import annotations

from pathlib import Path

import click

from shuangsuiji import i18n, importer, registry, snapshot
from shuangsuiji.formats import KINDS

from .common import Context, console, RichReporter, emit_json, handle_errors, json_option, pass_ctx, say


@click.command("init")
@pass_ctx
@handle_errors
def init_cmd(ctx: Context) -> None:
    """创建或升级数据库结构 / create or upgrade the database schema."""
    store = ctx.store(require_schema=False)
    rev = store.init()
    say("cli.init_done", url=store.url, rev=rev)


@click.command("import")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="只校验并报告变化，不写入 / validate and report only")
@click.option("--encoding", default=None, help="CSV 编码（默认自动识别 UTF-8/GB18030）/ force a CSV encoding")
@click.option("--replace", is_flag=True,
              help="文件为完整名录：库中有而文件中没有的记录停用（不删除）/ the file is the whole registry: absent rows are retired, never deleted")
@json_option
@pass_ctx
@handle_errors
def import_cmd(ctx: Context, kind: str, file: Path, dry_run: bool, encoding: str | None, replace: bool,
               as_json: bool) -> None:
    """导入名录（items 事项清单, entities 检查对象, inspectors 执法人员, conflicts 回避关系, history 检查记录）。

    Import a registry file (CSV or XLSX). All or nothing: any bad row and nothing is written.
    """
    rep = importer.import_file(ctx.store(), kind, file, encoding=encoding, dry_run=dry_run,
                               replace=replace, reporter=RichReporter())
    if as_json:
        emit_json(rep.to_dict())
        return
    say("cli.import_dry" if dry_run else "cli.import_done", file=rep.file, rows=rep.rows, inserted=rep.inserted,
        updated=rep.updated, unchanged=rep.unchanged, retired=rep.retired)
    for name in rep.new_departments:
        say("cli.new_department", name=name)
    for name in rep.new_units:
        say("cli.new_unit", name=name)
    for key, field, old, new in rep.changes[:50]:
        say("cli.change", key=key, field=field, old=old or "", new=new or "")
    if len(rep.changes) > 50:
        say("cli.more_changes", count=len(rep.changes) - 50)


@click.command("export")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--encoding", type=click.Choice(["utf-8-sig", "gb18030"]), default="utf-8-sig",
              help="CSV 编码 / CSV encoding")
@click.option("--include-private", is_flag=True, help="包含身份证号、电话（仅内部使用）/ include ID-card and phone numbers")
@pass_ctx
@handle_errors
def export_cmd(ctx: Context, kind: str, file: Path, encoding: str, include_private: bool) -> None:
    """导出名录（CSV 或 XLSX，与导入格式相同）/ export a registry in its import format."""
    n = registry.export(ctx.store(), kind, file, lang=i18n.get_language(), encoding=encoding,
                        include_private=include_private)
    say("cli.export_done", file=str(file), rows=n)


@click.group("registry")
def registry_group() -> None:
    """名录统计与快照摘要 / registry statistics and snapshot digests."""


@registry_group.command("stats")
@json_option
@pass_ctx
@handle_errors
def stats_cmd(ctx: Context, as_json: bool) -> None:
    """按状态、区划、单位、风险分类、部门统计 / counts by status, region, unit, risk class, department."""
    data = registry.stats(ctx.store())
    if as_json:
        emit_json(data)
        return
    from rich.table import Table

    from shuangsuiji.codes import enums

    labelled = {"entity_status": "entity_status", "entity_type": "entity_type", "inspector_status": "inspector_status"}
    table = Table(i18n.text("stats.col_group"), i18n.text("stats.col_value"), i18n.text("stats.col_count"))
    for name, counts in data.items():
        for i, (k, v) in enumerate(counts.items()):
            shown = enums.label(labelled[name], k, i18n.get_language()) if name in labelled and k else k
            table.add_row(i18n.text(f"stats.{name}") if i == 0 else "", shown or "—", str(v),
                          end_section=i == len(counts) - 1)
    console().print(table)


@registry_group.command("digest")
@json_option
@pass_ctx
@handle_errors
def digest_cmd(ctx: Context, as_json: bool) -> None:
    """各名录的规范快照摘要（SHA-256）/ canonical snapshot digest of each registry."""
    out = [registry.digest(ctx.store(), k) for k in KINDS]
    if as_json:
        emit_json([{"kind": d.kind, "rows": d.rows, "sha256": d.sha256} for d in out])
        return
    for d in out:
        click.echo(f"{d.kind:<11} {d.rows:>10}  {d.sha256}")


@registry_group.command("snapshot")
@pass_ctx
@handle_errors
def snapshot_cmd(ctx: Context) -> None:
    """重建冻结所用的主体名录快照 / rebuild the entity snapshot that freezes read.

    导入主体后自动重建，任何改动都会使其失效；仅在 audit 报告快照不一致时需要手动运行。
    Rebuilt by every entity import and retired by any edit; run it only when audit reports a mismatch.
    """
    say("cli.snapshot_done", rows=snapshot.rebuild(ctx.store()))


def register(cli: click.Group) -> None:
    for cmd in (init_cmd, import_cmd, export_cmd, registry_group):
        cli.add_command(cmd)


i18n.register({
    "cli.init_done": {"zh": "数据库已就绪：{url}（结构版本 {rev}）", "en": "database ready: {url} (schema {rev})"},
    "cli.import_done": {"zh": "已导入 {file}：共 {rows} 行，新增 {inserted}，更新 {updated}，未变 {unchanged}，停用 {retired}",
                        "en": "imported {file}: {rows} rows, {inserted} new, {updated} updated, {unchanged} unchanged, {retired} retired"},
    "cli.import_dry": {"zh": "试导入（未写入）{file}：共 {rows} 行，将新增 {inserted}，更新 {updated}，未变 {unchanged}，停用 {retired}",
                       "en": "dry run (nothing written) {file}: {rows} rows, would add {inserted}, update {updated}, keep {unchanged}, retire {retired}"},
    "cli.new_department": {"zh": "  新部门：{name}", "en": "  new department: {name}"},
    "cli.new_unit": {"zh": "  新单位：{name}", "en": "  new unit: {name}"},
    "cli.change": {"zh": "  变更 {key} {field}：{old} → {new}", "en": "  changed {key} {field}: {old} → {new}"},
    "cli.more_changes": {"zh": "  ……另有 {count} 处变更", "en": "  … and {count} more changes"},
    "cli.snapshot_done": {"zh": "主体名录快照已重建：{rows} 个主体", "en": "entity snapshot rebuilt: {rows} entities"},
    "cli.export_done": {"zh": "已导出 {rows} 行到 {file}", "en": "exported {rows} rows to {file}"},
    "stats.col_group": {"zh": "统计项", "en": "breakdown"},
    "stats.col_value": {"zh": "取值", "en": "value"},
    "stats.col_count": {"zh": "数量", "en": "count"},
    "stats.entity_status": {"zh": "检查对象：登记状态", "en": "entities by status"},
    "stats.entity_region": {"zh": "检查对象：行政区划", "en": "entities by region"},
    "stats.entity_unit": {"zh": "检查对象：管辖单位", "en": "entities by unit"},
    "stats.entity_risk": {"zh": "检查对象：信用风险分类", "en": "entities by risk class"},
    "stats.entity_type": {"zh": "检查对象：主体类型", "en": "entities by type"},
    "stats.entity_enabled": {"zh": "检查对象：是否启用", "en": "entities enabled"},
    "stats.inspector_department": {"zh": "执法人员：部门", "en": "inspectors by department"},
    "stats.inspector_status": {"zh": "执法人员：在岗状态", "en": "inspectors by status"},
    "stats.inspector_expert": {"zh": "执法人员：专家/执法人员", "en": "inspectors: experts/officers"},
    "stats.item_department": {"zh": "抽查事项：部门", "en": "items by department"},
    "stats.conflicts": {"zh": "回避关系", "en": "declared conflicts"},
})
