"""The public task bulletin (一公开): CSV, XLSX and a self-contained HTML page.

The storage layer builds a :class:`Bulletin` from the database and calls the writers.
Every figure shown (counts per result, per stratum, the prevalence estimate) is
computed here from the rows, so a bulletin cannot publish numbers its own table
contradicts.  The record types have no fields for officers' ID-card numbers, phone
numbers or declared conflicts, so no writer can leak them.
"""
from __future__ import annotations

import csv
import os
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import jinja2
from markupsafe import Markup, escape
from . import i18n, xlsx
from .cells import safe_cell
from .errors import ValidationError
from .estimate import Estimate, Note, StratumCounts, estimate

PathLike = str | os.PathLike[str]
CSV_ENCODINGS = ("utf-8-sig", "gb18030")


@dataclass(frozen=True)
class ResultCode:
    """One result category of the national publicity system; ``problem`` counts toward prevalence."""

    code: str
    zh: str
    en: str
    problem: bool


RESULT_CODES: dict[str, ResultCode] = {c.code: c for c in (
    ResultCode("1", "未发现问题", "No problems found", False),
    ResultCode("B", "未按规定公示应当公示的信息", "Information that must be disclosed was not disclosed as required", True),
    ResultCode("C", "公示信息隐瞒真实情况弄虚作假", "Disclosed information concealed facts or was falsified", True),
    ResultCode("6", "通过登记的住所（经营场所）无法联系", "Cannot be contacted at the registered address (premises)", True),
    ResultCode("8", "不配合检查情节严重", "Seriously obstructed the inspection", True),
    ResultCode("E", "发现问题经责令已改正", "Problems found and corrected as ordered", True),
    ResultCode("A", "发现问题待后续处理", "Problems found, follow-up pending", True),
    ResultCode("F", "未发现开展本次抽查涉及的经营活动", "The business activity covered by this check was not found", False),
    ResultCode("7", "已关闭停业或正在清算", "Closed, suspended or in liquidation", False),
    ResultCode("9", "注销", "Deregistered", False),
    ResultCode("10", "被吊销", "Business licence revoked", False),
    ResultCode("11", "被撤销", "Registration cancelled", False),
    ResultCode("12", "迁出", "Moved out", False),
)}
PROBLEM_CODES = frozenset(c.code for c in RESULT_CODES.values() if c.problem)


def result_label(code: str, lang: str = "zh") -> str:
    """The published text of a result code.

    >>> result_label("6"), result_label("E", "en")
    ('通过登记的住所（经营场所）无法联系', 'Problems found and corrected as ordered')
    """
    try:
        entry = RESULT_CODES[code]
    except KeyError:
        raise ValidationError("bulletin.unknown_result", code=code) from None
    return entry.en if lang == "en" else entry.zh


_HEX = re.compile(r"[0-9a-f]+")


@dataclass(frozen=True)
class BulletinRow:
    """One drawn entity and its published result (empty ``result_codes``: not yet entered)."""

    name: str
    uscc: str
    completed_on: date | None
    result_codes: list[str]
    result_text: str = ""
    remarks: str = ""
    stratum: str = ""

    def __post_init__(self) -> None:
        for code in self.result_codes:
            result_label(code)
        if len(set(self.result_codes)) != len(self.result_codes):
            raise ValidationError("bulletin.duplicate_result", uscc=self.uscc)
        if "1" in self.result_codes and PROBLEM_CODES.intersection(self.result_codes):
            raise ValidationError("bulletin.contradictory_result", uscc=self.uscc)
        if self.result_codes and self.completed_on is None:
            raise ValidationError("bulletin.result_without_date", uscc=self.uscc)

    @property
    def has_result(self) -> bool:
        return bool(self.result_codes)

    @property
    def has_problem(self) -> bool:
        return not PROBLEM_CODES.isdisjoint(self.result_codes)


@dataclass(frozen=True)
class StratumInfo:
    """A stratum of the draw: its key (as in the draw), a display label and its population N_h."""

    key: str
    population: int
    label: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.population, bool) or not isinstance(self.population, int) or self.population < 0:
            raise ValidationError("bulletin.bad_population", stratum=self.key, value=repr(self.population))

    @property
    def title(self) -> str:
        return self.label or self.key


@dataclass(frozen=True)
class Verification:
    """What an outsider needs to re-check the draw (see docs/algorithm.md)."""

    commitment: str
    seed: str
    public_value: str
    bundle_file: str
    bundle_seal: str
    population_file: str = ""
    round_no: int = 1

    def __post_init__(self) -> None:
        for name in ("commitment", "seed", "bundle_seal"):
            value = getattr(self, name)
            if not _HEX.fullmatch(value) or len(value) % 2:
                raise ValidationError("bulletin.bad_hex", field=name, value=value)


@dataclass(frozen=True)
class Bulletin:
    """A task's public bulletin; ``estimate``, if given, must match the rows."""

    plan_no: str
    plan_name: str
    task_no: str
    task_name: str
    inspection_type: str
    authority: str
    published_on: date
    rows: list[BulletinRow]
    strata: list[StratumInfo]
    verification: Verification
    estimate: Estimate | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        keys = [s.key for s in self.strata]
        if len(set(keys)) != len(keys):
            raise ValidationError("bulletin.duplicate_stratum")
        ids = Counter(r.uscc for r in self.rows)
        twice = sorted(k for k, v in ids.items() if v > 1)
        if twice:
            raise ValidationError("bulletin.duplicate_entity", uscc=", ".join(twice[:5]))
        unknown = sorted({r.stratum for r in self.rows} - set(keys))
        if unknown:
            raise ValidationError("bulletin.unknown_stratum", stratum=", ".join(unknown[:5]))
        late = [r.uscc for r in self.rows if r.completed_on and r.completed_on > self.published_on]
        if late:
            raise ValidationError("bulletin.completed_after_publication", uscc=late[0])
        drawn = Counter(r.stratum for r in self.rows)
        for s in self.strata:
            if drawn[s.key] > s.population:
                raise ValidationError("bulletin.sample_exceeds_population", stratum=s.key,
                                      sampled=drawn[s.key], population=s.population)
        if self.estimate is not None and [s.counts for s in self.estimate.strata] != stratum_counts(self):
            raise ValidationError("bulletin.estimate_mismatch")


def stratum_counts(bulletin: Bulletin) -> list[StratumCounts]:
    """N_h from the strata, n_h / m_h / y_h counted from the rows."""
    sampled: Counter[str] = Counter()
    done: Counter[str] = Counter()
    bad: Counter[str] = Counter()
    for r in bulletin.rows:
        sampled[r.stratum] += 1
        done[r.stratum] += r.has_result
        bad[r.stratum] += r.has_problem
    return [StratumCounts(s.key, s.population, sampled[s.key], done[s.key], bad[s.key])
            for s in bulletin.strata]


@dataclass(frozen=True)
class Summary:
    """Figures of a bulletin, all derived from its rows (an entity counts once per result it has)."""

    total: int
    completed: int
    with_problems: int
    by_code: dict[str, int]
    estimate: Estimate | None


def summarize(bulletin: Bulletin) -> Summary:
    """Counts by result and per stratum, and the prevalence estimate, from the rows alone."""
    by_code = {code: 0 for code in RESULT_CODES}
    for r in bulletin.rows:
        for code in r.result_codes:
            by_code[code] += 1
    counts = stratum_counts(bulletin)
    est = estimate(counts) if any(c.population for c in counts) else None
    return Summary(total=len(bulletin.rows), completed=sum(r.has_result for r in bulletin.rows),
                   with_problems=sum(r.has_problem for r in bulletin.rows), by_code=by_code, estimate=est)


COLUMNS = ("plan_no", "plan_name", "task_no", "task_name", "inspection_type", "authority",
           "name", "uscc", "completed_on", "result", "remarks")


def headers(lang: str = "zh") -> list[str]:
    """Column titles of the national enterprise credit publicity system.

    >>> headers()[6:8]
    ['市场主体名称', '统一社会信用代码']
    """
    return [i18n.text(f"bulletin.col.{c}", lang) for c in COLUMNS]


def result_cell(row: BulletinRow, lang: str = "zh") -> str:
    """Result labels joined, with the free-text result in brackets.

    >>> result_cell(BulletinRow("x", "1", date(2024, 1, 2), ["E", "B"], "已补报年报"))
    '发现问题经责令已改正；未按规定公示应当公示的信息（已补报年报）'
    """
    sep, (left, right) = ("; ", (" (", ")")) if lang == "en" else ("；", ("（", "）"))
    text = sep.join(result_label(c, lang) for c in row.result_codes)
    if row.result_text:
        text = f"{text}{left}{row.result_text}{right}" if text else row.result_text
    return text


def table(bulletin: Bulletin, lang: str = "zh") -> list[list[str]]:
    """The entity rows as plain text cells, in :data:`COLUMNS` order (not yet made safe)."""
    head = table_head(bulletin)
    return [head + [r.name, r.uscc, r.completed_on.isoformat() if r.completed_on else "",
                    result_cell(r, lang), r.remarks] for r in bulletin.rows]


def _atomic_write(path: PathLike, write: Callable[[Path], None]) -> None:
    """Write through a temporary file in the same folder so readers never see half a file."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)   # public files; mkstemp creates them owner-only
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_encoding(encoding: str) -> None:
    """Refuse a CSV encoding the publicity systems do not read."""
    if encoding not in CSV_ENCODINGS:
        raise ValidationError("bulletin.bad_encoding", encoding=encoding, allowed=", ".join(CSV_ENCODINGS))


def write_all(bulletin: Bulletin, folder: Path, stem: str, encoding: str = "utf-8-sig", lang: str = "zh") -> None:
    """The bulletin as ``stem-bulletin.csv``, ``.xlsx`` and ``.html`` in ``folder``."""
    write_csv(bulletin, folder / f"{stem}-bulletin.csv", encoding=encoding, lang=lang)
    write_xlsx(bulletin, folder / f"{stem}-bulletin.xlsx", lang=lang)
    write_html(bulletin, folder / f"{stem}-bulletin.html", lang=lang)


def write_csv(bulletin: Bulletin, path: PathLike, encoding: str = "utf-8-sig", lang: str = "zh") -> None:
    """CSV for the publicity system and for machines; every cell formula-safe."""
    check_encoding(encoding)

    def write(tmp: Path) -> None:
        with tmp.open("w", encoding=encoding, newline="") as fh:
            out = csv.writer(fh)
            out.writerow([safe_cell(h) for h in headers(lang)])
            out.writerows([safe_cell(c) for c in row] for row in table(bulletin, lang))

    _atomic_write(path, write)


def write_xlsx(bulletin: Bulletin, path: PathLike, lang: str = "zh") -> None:
    """Workbook: the entity sheet (every cell text, so IDs never become numbers) and a summary sheet.

    Streamed row by row: a provincial bulletin has hundreds of thousands of rows.
    """
    def write(tmp: Path) -> None:
        with xlsx.Workbook(tmp) as wb:
            ws = wb.sheet(i18n.text("bulletin.sheet.rows", lang), (16, 24, 16, 24, 18, 22, 32, 22, 12, 36, 24),
                          freeze_header=True)
            ws.append(headers(lang), bold=True)
            for row in table(bulletin, lang):
                ws.append(row)
            _summary_sheet(wb.sheet(i18n.text("bulletin.sheet.summary", lang), (28, 40)), bulletin, lang)

    _atomic_write(path, write)


def _summary_sheet(ws: xlsx.Sheet, bulletin: Bulletin, lang: str) -> None:
    s = summarize(bulletin)
    t = _texts(lang)

    def line(*values: object, bold: bool = False, pct: tuple[int, ...] = ()) -> None:
        ws.append(values, bold=bold, pct=pct)

    for key, value in zip(COLUMNS[:6], table_head(bulletin)):
        line(i18n.text(f"bulletin.col.{key}", lang), value)
    line(t["published_on"], bulletin.published_on.isoformat())
    line()
    line(t["entities"], s.total)
    line(t["completed"], s.completed)
    line(t["with_problems"], s.with_problems)
    line()
    line(t["code"], t["result"], t["count"], bold=True)
    for code, n in s.by_code.items():
        line(code, result_label(code, lang), n)
    line()
    line(t["stratum"], t["population"], t["sampled"], t["with_results"], t["with_problems"],
         t["prevalence"], t["ci_low"], t["ci_high"], bold=True)
    est = s.estimate
    for st in est.strata if est else ():
        line(_stratum_title(bulletin, st.counts.name), st.counts.population, st.counts.sampled,
             st.counts.with_results, st.counts.with_problems, st.prevalence, st.ci_low, st.ci_high,
             pct=(6, 7, 8))
    if est:
        line(t["overall"], est.population, est.sampled, est.with_results, est.with_problems,
             est.prevalence, est.ci_low, est.ci_high, bold=True, pct=(6, 7, 8))
        line(t["estimated_count"], None if est.count is None else round(est.count))
        for note in est.notes:
            line(t["note"], note.text(lang))
    line()
    v = bulletin.verification
    for key, value in (("commitment", v.commitment), ("seed", v.seed), ("round_no", str(v.round_no)),
                       ("public_value", v.public_value), ("bundle_file", v.bundle_file),
                       ("bundle_seal", v.bundle_seal), ("population_file", v.population_file)):
        line(t[key], value)


def table_head(bulletin: Bulletin) -> list[str]:
    """The six task-level fields repeated on every row."""
    return [bulletin.plan_no, bulletin.plan_name, bulletin.task_no, bulletin.task_name,
            bulletin.inspection_type, bulletin.authority]


def _stratum_title(bulletin: Bulletin, key: str) -> str:
    return next(s.title for s in bulletin.strata if s.key == key)


# --- HTML -------------------------------------------------------------------------------

def _texts(lang: str) -> dict[str, str]:
    prefix = "bulletin.t."
    return {k[len(prefix):]: i18n.text(k, lang) for k in _TEXTS}


def _html_text(code: str, lang: str, **params: object) -> Markup:
    """A catalogue text escaped, with ``params`` (escaped unless Markup) filled in."""
    raw = i18n.text(code, lang, **{k: "{" + k + "}" for k in params})
    return escape(raw).format(**params)


def _retitled(note: Note, titles: dict[str, str]) -> Note:
    """The note with stratum keys replaced by their display titles."""
    return Note(note.code, tuple((k, titles.get(v, v) if k == "stratum" else v) for k, v in note.params))


def _pct(x: float | None, digits: int = 1) -> str:
    return "—" if x is None else f"{x * 100:.{digits}f}%"


@dataclass(frozen=True)
class Bar:
    """One bar of an inline SVG chart; ``low``/``high`` draw a confidence whisker."""

    label: str
    value: float
    text: str
    low: float | None = None
    high: float | None = None
    problem: bool = False


def bar_chart_svg(bars: Sequence[Bar], title: str, scale: float, chart_id: str, width: int = 640) -> Markup:
    """A horizontal bar chart as inline SVG: a label line (with the value) above each bar.

    >>> svg = bar_chart_svg([Bar("<b>", 2, "2")], "t", 4, "c", width=600)
    >>> "&lt;b&gt;" in svg and 'width="297.00"' in svg
    True
    """
    bar_w, row_h, top, pad = width - 6, 42, 30, 3
    height = top + row_h * len(bars) + 6
    scale = scale or 1
    parts = [f'<svg id="{escape(chart_id)}" class="chart" role="img" viewBox="0 0 {width} {height}" '
             f'style="max-width:{width}px" aria-label="{escape(title)}">',
             f'<title>{escape(title)}</title>',
             f'<text x="0" y="17" class="chart-title">{escape(title)}</text>']

    def x_of(v: float) -> float:
        return pad + max(0.0, min(1.0, v / scale)) * bar_w

    for i, b in enumerate(bars):
        y = top + i * row_h
        cls = "bar problem" if b.problem else "bar"
        parts.append(f'<text x="0" y="{y + 13}" class="bar-label">{escape(b.label)}'
                     f'<tspan class="bar-value" dx="10">{escape(b.text)}</tspan></text>')
        parts.append(f'<rect x="{pad}" y="{y + 19}" width="{x_of(b.value) - pad:.2f}" height="15" rx="2" '
                     f'class="{cls}"/>')
        if b.low is not None and b.high is not None:
            x1, x2, cy = x_of(b.low), x_of(b.high), y + 26.5
            parts.append(f'<path d="M{x1:.2f} {cy}H{x2:.2f}M{x1:.2f} {cy - 6}V{cy + 6}M{x2:.2f} {cy - 6}V{cy + 6}" '
                         f'class="whisker"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _nice_scale(top: float) -> float:
    for step in (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0):
        if top <= step:
            return step
    return 1.0


_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
)


def render_html(bulletin: Bulletin, lang: str = "zh") -> str:
    """The bulletin page as one HTML string: inline CSS and SVG, no scripts, no external assets."""
    if lang not in i18n.LANGUAGES:
        raise ValidationError("bulletin.bad_lang", lang=lang)
    t = _texts(lang)
    s = summarize(bulletin)
    est = s.estimate
    titles = {st.key: st.title for st in bulletin.strata}
    strata = [{
        "key": st.counts.name, "title": titles[st.counts.name], "counts": st.counts,
        "prevalence": st.prevalence, "ci_low": st.ci_low, "ci_high": st.ci_high,
        "pct": _pct(st.prevalence), "ci": f"{_pct(st.ci_low)} – {_pct(st.ci_high)}" if st.ci_low is not None else "—",
        "count": None if st.count is None else round(st.count),
    } for st in (est.strata if est else ())]
    codes = [{"code": c, "label": result_label(c, lang), "count": n, "problem": RESULT_CODES[c].problem}
             for c, n in s.by_code.items()]
    shown = [c for c in codes if c["count"]] or codes[:1]
    code_chart = bar_chart_svg(
        [Bar(f'{c["code"]} · {c["label"]}', c["count"], str(c["count"]), problem=c["problem"]) for c in shown],
        t["chart_codes"], max(c["count"] for c in shown) or 1, "chart-codes", width=520)
    with_p = [x for x in strata if x["prevalence"] is not None]
    stratum_chart = bar_chart_svg(
        [Bar(x["title"], x["prevalence"], f'{x["pct"]}  [{x["ci"]}]  {x["counts"].with_problems}/{x["counts"].with_results}',
             x["ci_low"], x["ci_high"], problem=True) for x in with_p],
        t["chart_strata"], _nice_scale(max([x["ci_high"] for x in with_p], default=0.01)), "chart-strata",
        width=720)
    rows = [{"row": r, "completed": r.completed_on.isoformat() if r.completed_on else "",
             "result": result_cell(r, lang), "stratum": titles[r.stratum]} for r in bulletin.rows]
    overall = None
    if est is not None:
        ci = est.count_ci
        overall = {"est": est, "pct": _pct(est.prevalence), "ci": f"{_pct(est.ci_low)} – {_pct(est.ci_high)}"
                   if est.ci_low is not None else "—",
                   "count": None if est.count is None else round(est.count),
                   "count_ci": None if ci is None else (round(ci[0]), round(ci[1])),
                   "notes": [_retitled(n, titles).text(lang) for n in est.notes]}
    v = bulletin.verification

    def code(value: str, ident: str) -> Markup:
        return Markup('<code id="{}">{}</code>').format(ident, value or "—")

    steps = [
        _html_text("bulletin.t.verify_step1", lang, bundle=code(v.bundle_file, "step-bundle-file"),
                   population=code(v.population_file, "step-population-file")),
        _html_text("bulletin.t.verify_step2", lang, command=Markup("<code>{}</code>").format(
            f"shuangsuiji verify {v.bundle_file or 'BUNDLE'}")),
        _html_text("bulletin.t.verify_step3", lang),
        _html_text("bulletin.t.verify_step4", lang),
    ]
    return _env.get_template("bulletin.html.j2").render(
        t=t, steps=steps, lang=lang, html_lang="en" if lang == "en" else "zh-CN", b=bulletin, s=s, codes=codes,
        strata=strata, overall=overall, rows=rows, v=v,
        header=list(zip(headers(lang)[:6], table_head(bulletin))),
        code_chart=code_chart, stratum_chart=stratum_chart,
    )


def write_html(bulletin: Bulletin, path: PathLike, lang: str = "zh") -> None:
    """Write :func:`render_html` to ``path`` (UTF-8)."""
    html = render_html(bulletin, lang)
    _atomic_write(path, lambda tmp: tmp.write_text(html, encoding="utf-8"))


_TEXTS: dict[str, dict[str, str]] = {
    "bulletin.t.title": {"zh": "双随机抽查结果公示", "en": "Random inspection results"},
    "bulletin.t.published_on": {"zh": "公示日期", "en": "Published on"},
    "bulletin.t.summary": {"zh": "结果汇总", "en": "Summary"},
    "bulletin.t.entities": {"zh": "抽取市场主体数", "en": "Entities drawn"},
    "bulletin.t.completed": {"zh": "已完成检查", "en": "Inspections completed"},
    "bulletin.t.with_problems": {"zh": "发现问题", "en": "With problems"},
    "bulletin.t.code": {"zh": "代码", "en": "Code"},
    "bulletin.t.result": {"zh": "检查结果", "en": "Result"},
    "bulletin.t.count": {"zh": "户数", "en": "Entities"},
    "bulletin.t.by_code": {"zh": "按检查结果分类", "en": "By result"},
    "bulletin.t.by_code_note": {"zh": "一户可有多项结果，故各项之和可能大于抽取户数。",
                                "en": "An entity may have several results, so the counts may add up to more than the entities drawn."},
    "bulletin.t.estimate": {"zh": "问题发生率估计", "en": "Estimated prevalence of problems"},
    "bulletin.t.estimate_intro": {
        "zh": "按分层随机抽样（不放回）的 Horvitz–Thompson 估计：各分层比例按总体户数加权。分层区间为含有限总体校正的 Wilson 区间，总体区间为正态近似。“发现问题”指结果代码 B、C、6、8、E、A。",
        "en": "Horvitz–Thompson estimate for stratified random sampling without replacement: stratum proportions weighted by population. Stratum intervals are Wilson score intervals with finite population correction; the overall interval is a normal approximation. 'With problems' means result codes B, C, 6, 8, E or A."},
    "bulletin.t.stratum": {"zh": "分层", "en": "Stratum"},
    "bulletin.t.population": {"zh": "总体户数", "en": "Population"},
    "bulletin.t.sampled": {"zh": "抽取户数", "en": "Drawn"},
    "bulletin.t.with_results": {"zh": "已有结果", "en": "With results"},
    "bulletin.t.prevalence": {"zh": "问题发生率", "en": "Prevalence"},
    "bulletin.t.ci": {"zh": "95% 置信区间", "en": "95% CI"},
    "bulletin.t.ci_low": {"zh": "置信区间下限", "en": "CI low"},
    "bulletin.t.ci_high": {"zh": "置信区间上限", "en": "CI high"},
    "bulletin.t.overall": {"zh": "全部", "en": "Overall"},
    "bulletin.t.estimated_count": {"zh": "估计存在问题的市场主体数", "en": "Estimated entities with problems"},
    "bulletin.t.about": {"zh": "约", "en": "about"},
    "bulletin.t.note": {"zh": "说明", "en": "Note"},
    "bulletin.t.no_estimate": {"zh": "尚无可用于估计的结果。", "en": "No results to estimate from yet."},
    "bulletin.t.chart_codes": {"zh": "按检查结果分类（户数）", "en": "Entities by result"},
    "bulletin.t.chart_strata": {"zh": "各分层问题发生率及 95% 置信区间", "en": "Prevalence by stratum with 95% CI"},
    "bulletin.t.entities_table": {"zh": "抽查市场主体及结果", "en": "Entities inspected and results"},
    "bulletin.t.completed_on": {"zh": "检查完成日期", "en": "Completed on"},
    "bulletin.t.remarks": {"zh": "备注", "en": "Remarks"},
    "bulletin.t.name": {"zh": "市场主体名称", "en": "Entity name"},
    "bulletin.t.uscc": {"zh": "统一社会信用代码", "en": "Unified social credit code"},
    "bulletin.t.pending": {"zh": "未录入", "en": "not entered"},
    "bulletin.t.verify": {"zh": "如何核验", "en": "How to verify"},
    "bulletin.t.verify_intro": {
        "zh": "本次抽取不依赖任何人的选择：抽取前公布了承诺值（对参与抽取的全部名单和规则的摘要），随后由现场公开产生的随机值和承诺值共同确定种子，再由种子按公开算法确定抽中的对象。任何人都可以复核：",
        "en": "Nobody chose who was drawn: a commitment (a digest of the full eligible lists and the rules) was published before the draw; the seed was then derived from that commitment and a public random value produced in the open, and the seed determines the draw by a public algorithm. Anyone can check it:"},
}

_STEPS: dict[str, dict[str, str]] = {
    "bulletin.t.verify_step1": {"zh": "下载审计包 {bundle} 和总体名单文件 {population}（与本公示一同发布）。",
                                "en": "Download the audit bundle {bundle} and the population file {population} (published with this bulletin)."},
    "bulletin.t.verify_step2": {"zh": "运行 {command}：它重新计算名单摘要、承诺值、种子和抽取结果，并与审计包的封存值逐项比对。",
                                "en": "Run {command}: it recomputes the list digests, the commitment, the seed and the draw, and compares each with the sealed bundle."},
    "bulletin.t.verify_step3": {"zh": "或者按照公开的算法说明 docs/algorithm.md 用任何编程语言自行实现并重算。",
                                "en": "Or re-implement the public specification docs/algorithm.md in any language and recompute."},
    "bulletin.t.verify_step4": {"zh": "核对下列数值与抽取前、抽取时公布的数值一致。",
                                "en": "Check that the values below match those published before and at the draw."},
}

_TEXTS |= {
    "bulletin.t.commitment": {"zh": "承诺值", "en": "Commitment"},
    "bulletin.t.seed": {"zh": "种子", "en": "Seed"},
    "bulletin.t.round_no": {"zh": "抽取轮次", "en": "Draw round"},
    "bulletin.t.public_value": {"zh": "公开随机值", "en": "Public random value"},
    "bulletin.t.bundle_file": {"zh": "审计包文件", "en": "Audit bundle"},
    "bulletin.t.bundle_seal": {"zh": "审计包封存值", "en": "Bundle seal"},
    "bulletin.t.population_file": {"zh": "总体名单文件", "en": "Population file"},
    "bulletin.t.colon": {"zh": "：", "en": ": "},
    "bulletin.t.lp": {"zh": "（", "en": " ("},
    "bulletin.t.rp": {"zh": "）", "en": ")"},
    "bulletin.t.sep": {"zh": "；", "en": "; "},
    "bulletin.t.footer": {"zh": "本页为静态页面，不含脚本，不引用任何外部资源。",
                          "en": "This is a static page: no scripts, no external resources."},
}

i18n.register(_TEXTS)
i18n.register(_STEPS)
i18n.register({
    "bulletin.col.plan_no": {"zh": "计划编号", "en": "Plan No."},
    "bulletin.col.plan_name": {"zh": "计划名称", "en": "Plan name"},
    "bulletin.col.task_no": {"zh": "任务编号", "en": "Task No."},
    "bulletin.col.task_name": {"zh": "任务名称", "en": "Task name"},
    "bulletin.col.inspection_type": {"zh": "检查类型", "en": "Inspection type"},
    "bulletin.col.authority": {"zh": "检查实施机关", "en": "Implementing authority"},
    "bulletin.col.name": {"zh": "市场主体名称", "en": "Entity name"},
    "bulletin.col.uscc": {"zh": "统一社会信用代码", "en": "Unified social credit code"},
    "bulletin.col.completed_on": {"zh": "检查完成日期", "en": "Completion date"},
    "bulletin.col.result": {"zh": "检查结果", "en": "Result"},
    "bulletin.col.remarks": {"zh": "备注", "en": "Remarks"},
    "bulletin.sheet.rows": {"zh": "公示结果", "en": "Results"},
    "bulletin.sheet.summary": {"zh": "汇总", "en": "Summary"},
    "bulletin.unknown_result": {"zh": "未知的检查结果代码：{code}", "en": "unknown result code: {code}"},
    "bulletin.duplicate_result": {"zh": "{uscc} 的检查结果代码重复", "en": "{uscc}: duplicate result codes"},
    "bulletin.contradictory_result": {"zh": "{uscc} 同时标记了“未发现问题”和发现问题的结果",
                                      "en": "{uscc}: 'no problems found' together with a problem result"},
    "bulletin.result_without_date": {"zh": "{uscc} 有检查结果但没有检查完成日期",
                                     "en": "{uscc}: has a result but no completion date"},
    "bulletin.bad_hex": {"zh": "{field} 应为小写十六进制串：{value}", "en": "{field} must be lowercase hex: {value}"},
    "bulletin.bad_population": {"zh": "分层 {stratum} 的总体户数应为非负整数：{value}",
                                "en": "stratum {stratum}: population must be a non-negative integer: {value}"},
    "bulletin.duplicate_stratum": {"zh": "分层重复", "en": "duplicate strata"},
    "bulletin.duplicate_entity": {"zh": "同一市场主体出现多次：{uscc}", "en": "entity listed more than once: {uscc}"},
    "bulletin.unknown_stratum": {"zh": "未定义的分层：{stratum}", "en": "undeclared stratum: {stratum}"},
    "bulletin.completed_after_publication": {"zh": "{uscc} 的检查完成日期晚于公示日期",
                                             "en": "{uscc}: completed after the publication date"},
    "bulletin.sample_exceeds_population": {
        "zh": "分层 {stratum} 抽取 {sampled} 户，超过总体 {population} 户",
        "en": "stratum {stratum}: {sampled} drawn but the population is {population}"},
    "bulletin.estimate_mismatch": {"zh": "给定的估计与公示名单的计数不一致",
                                   "en": "the estimate given does not match the counts of the rows"},
    "bulletin.bad_encoding": {"zh": "不支持的编码 {encoding}，可选：{allowed}",
                              "en": "unsupported encoding {encoding}; choose one of {allowed}"},
    "bulletin.bad_lang": {"zh": "不支持的语言：{lang}", "en": "unsupported language: {lang}"},
})
