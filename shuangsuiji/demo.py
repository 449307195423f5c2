"""The demo: a synthetic county through the whole cycle, on the embedded SQLite default.

generate registries → import them through the normal importers → plan and task → freeze
(commitment) → draw with a public value → dispatch sheet → simulated results → review →
publish → verify.  Every step reports through ``say`` so the CLI can print it; the library
itself stays silent.
"""
from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from . import clock, i18n, importer, publication, results, synth, tasks
from .progress import NULL, Reporter
from .store import Store

Say = Callable[[str], None]


@dataclass
class DemoResult:
    db_url: str
    task_no: str
    commitment: str
    seed: str
    drawn: int
    files: dict[str, Path] = field(default_factory=dict)
    checks: list[str] = field(default_factory=list)


# (code, follow-up action, share in permille): a plausible mix of outcomes
_OUTCOMES = [("1", "无需后续处置", 760), ("6", "停止检查并反馈日常监管", 70), ("E", "责令改正", 60),
             ("A", "责令改正", 40), ("B", "责令改正", 30), ("F", "无需后续处置", 25),
             ("7", "停止检查并反馈日常监管", 10), ("C", "发现案件线索移送办案", 5)]


def _outcome(seed: str, uscc: str) -> tuple[str, str]:
    x = int.from_bytes(hashlib.sha256(f"{seed}|result|{uscc}".encode()).digest()[:4], "big") % 1000
    for code, action, share in _OUTCOMES:
        if x < share:
            return code, action
        x -= share
    return "1", "无需后续处置"


def run(out: Path, *, entities: int = 5000, seed: str = "demo", db_url: str | None = None,
        public_value: str | None = None, say: Say = lambda s: None, reporter: Reporter = NULL,
        today: date | None = None) -> DemoResult:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t = i18n.text
    if db_url is None:
        db_file = out / "demo.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(db_file) + suffix).unlink(missing_ok=True)
        db_url = f"sqlite:///{db_file}"
    store = Store(db_url)
    try:
        say(t("demo.step_init", url=db_url))
        store.init()
        day = today or clock.today()
        config = synth.CityConfig(seed=seed, entities=entities, as_of=day)
        say(t("demo.step_synth", n=entities, county=config.county))
        city = synth.generate(config, out / "registry", reporter=reporter)
        for kind, path in (("items", city.items_csv), ("entities", city.entities_csv),
                           ("inspectors", city.inspectors_csv), ("conflicts", city.conflicts_csv),
                           ("history", city.history_csv)):
            rep = importer.import_file(store, kind, path, reporter=reporter)
            say(t("demo.step_import", kind=t(f"demo.kind_{kind}"), file=path.name, n=rep.inserted))
        dept = config.departments[0]
        plan_no = f"DEMO-{config.as_of.year}"
        tasks.create_plan(store, plan_no, f"{config.as_of.year}年度双随机抽查工作计划（演示）", config.as_of.year, dept)
        task_no = f"{plan_no}-001"
        spec = {
            "task_no": task_no, "name": "企业公示信息及食品经营情况双随机抽查（演示）", "plan": plan_no,
            "department": dept, "items": list(_demo_items(store)), "as_of": config.as_of.isoformat(),
            "population": {"entity_types": ["enterprise", "individual", "cooperative"]},
            "strata": {"by": ["risk"]},
            "sizes": {"risk": {"A": "3%", "B": "5%", "C": "20%", "D": "50%", "-": "5%"}, "minimum": 1},
            "exclusions": {"inspected_within_days": 180, "annual_cap": 2},
            "teams": {"seats": [{"department": dept, "k": 2, "cross_unit": True, "experts": 0}], "rotation": True},
            "inspection": {"start": day.isoformat(), "end": day.isoformat()},
        }
        from .taskspec import parse

        parsed = parse(spec, source="demo")
        (out / "task.toml").write_text(parsed.to_toml(), encoding="utf-8")
        tasks.create_task(store, parsed)
        say(t("demo.step_task", task=task_no, file=str(out / "task.toml")))
        fr = tasks.freeze(store, task_no, reporter=reporter)
        say(t("demo.step_freeze", eligible=fr.eligible, total=fr.quota_total,
              excluded=sum(fr.excluded.values()), commitment=fr.commitment))
        value = public_value or _ceremony_value(seed)
        d = tasks.draw(store, task_no, value, actor="演示操作员", reporter=reporter)
        say(t("demo.step_draw", value=value, drawn=d.drawn, seed=d.seed, seal=d.seal))
        n = publication.dispatch(store, task_no, out / "dispatch-internal.xlsx")
        say(t("demo.step_dispatch", file=str(out / "dispatch-internal.xlsx"), n=n))
        res_file = _simulate_results(store, task_no, out / "results.csv", seed, day)
        rep = results.import_results(store, task_no, res_file, actor="演示检查员", today=day)
        say(t("demo.step_results", file=res_file.name, n=getattr(rep, "rows", n)))
        results.review(store, task_no, None, approve=True, actor="演示审核员")
        say(t("demo.step_review"))
        pub = publication.publish(store, task_no, out / "publication", actor="演示操作员",
                              today=day)
        say(t("demo.step_publish", seal=pub.seal))
        checks = publication.verify_file(pub.files["bundle.json"], store=store).checks
        say(t("demo.step_verify", n=len(checks)))
        return DemoResult(db_url=db_url, task_no=task_no, commitment=fr.commitment, seed=d.seed, drawn=d.drawn,
                          files=pub.files, checks=checks)
    finally:
        store.close()


def _demo_items(store: Store) -> list[str]:
    from sqlalchemy import text

    conn = store.read()
    codes = [c for c, in conn.execute(text("SELECT code FROM item i JOIN department d ON d.id = i.department_id "
                                           "WHERE d.id = (SELECT min(id) FROM department) ORDER BY code"))]
    conn.rollback()
    return codes[:2]


def _ceremony_value(seed: str) -> str:
    """Stands in for the dice thrown at a witnessed ceremony (six dice, three throws)."""
    h = hashlib.sha256(f"{seed}|ceremony".encode()).digest()
    return " ".join(str(b % 6 + 1) for b in h[:18])


def _simulate_results(store: Store, task_no: str, path: Path, seed: str, day: date) -> Path:
    drawn = tasks.show_task(store, task_no)
    from sqlalchemy import text

    conn = store.read()
    rows = conn.execute(text(
        "SELECT e.uscc FROM draw_entity de JOIN draw d ON d.id = de.draw_id JOIN task t ON t.id = d.task_id "
        "JOIN entity e ON e.id = de.entity_id WHERE t.task_no = :t AND d.current = :c ORDER BY de.rank"),
        {"t": task_no, "c": True}).all()
    conn.rollback()
    del drawn
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["统一社会信用代码", "检查结果", "后续处置", "检查完成日期", "备注", "整改期限"])
        for i, (uscc,) in enumerate(rows):
            code, action = _outcome(seed, uscc)
            rectify = (day + timedelta(days=30)).isoformat() if action == "责令改正" else ""
            remark = {"6": "通过登记的住所无法联系", "E": "现场责令改正，已整改"}.get(code, "")
            w.writerow([uscc, code, action, day.isoformat(), remark, rectify])
    return path


i18n.register({
    "demo.step_init": {"zh": "① 初始化数据库：{url}", "en": "① database initialised: {url}"},
    "demo.step_synth": {"zh": "② 生成模拟县区名录（{county}）：{n} 户市场主体、执法人员、事项清单、回避关系、检查记录",
                        "en": "② synthetic county registries ({county}): {n} entities, inspectors, items, conflicts, history"},
    "demo.step_import": {"zh": "③ 导入{kind}（{file}）：{n} 条，逐行校验通过", "en": "③ imported {kind} ({file}): {n} rows, every row validated"},
    "demo.kind_items": {"zh": "抽查事项清单", "en": "inspection items"},
    "demo.kind_entities": {"zh": "检查对象名录库", "en": "entity registry"},
    "demo.kind_inspectors": {"zh": "执法检查人员名录库", "en": "inspector registry"},
    "demo.kind_conflicts": {"zh": "回避关系", "en": "declared conflicts"},
    "demo.kind_history": {"zh": "历史检查记录", "en": "inspection history"},
    "demo.step_task": {"zh": "④ 创建计划与任务 {task}（任务文件 {file}）：按信用风险分类分层，A 3%、B 5%、C 20%、D 50%，比例向上取整",
                       "en": "④ plan and task {task} (task file {file}): stratified by risk class, A 3%, B 5%, C 20%, D 50%, rounded up"},
    "demo.step_freeze": {"zh": "⑤ 冻结任务：合格 {eligible} 户（排除 {excluded} 户），应抽 {total} 户。承诺值（抽取前公布）：{commitment}",
                         "en": "⑤ frozen: {eligible} eligible ({excluded} excluded), {total} to draw. Commitment (publish before the draw): {commitment}"},
    "demo.step_draw": {"zh": "⑥ 现场见证的公开随机值“{value}”→ 抽中 {drawn} 户并随机匹配检查人员。种子 {seed}，封印 {seal}",
                       "en": "⑥ witnessed public value '{value}' → {drawn} entities drawn and teams dealt. Seed {seed}, seal {seal}"},
    "demo.step_dispatch": {"zh": "⑦ 内部派单表（保密）：{file}（{n} 户）", "en": "⑦ internal dispatch sheet (confidential): {file} ({n} entities)"},
    "demo.step_results": {"zh": "⑧ 录入模拟检查结果：{file}", "en": "⑧ simulated results entered: {file}"},
    "demo.step_review": {"zh": "⑨ 审核通过全部检查结果", "en": "⑨ all results reviewed and approved"},
    "demo.step_publish": {"zh": "⑩ 公示：公告与审计包已生成，审计包封印 {seal}", "en": "⑩ published: bulletin and audit bundle written, bundle seal {seal}"},
    "demo.step_verify": {"zh": "⑪ 独立核验审计包：{n} 项检查全部通过", "en": "⑪ audit bundle verified independently: {n} checks passed"},
})
