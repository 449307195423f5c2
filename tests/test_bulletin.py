"""The public bulletin: CSV / XLSX / HTML outputs, their safety and their numbers."""
from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from shuangsuiji.bulletin import (
    RESULT_CODES,
    Bulletin,
    BulletinRow,
    StratumInfo,
    Verification,
    render_html,
    result_label,
    summarize,
    write_csv,
    write_html,
    write_xlsx,
)
from shuangsuiji.cells import is_formula_like
from shuangsuiji.errors import ValidationError
from shuangsuiji.estimate import StratumCounts, estimate

# From docs of the national system (domain.md), typed in independently of the code.
DOMAIN_CODES = {
    "1": "未发现问题", "B": "未按规定公示应当公示的信息", "C": "公示信息隐瞒真实情况弄虚作假",
    "6": "通过登记的住所（经营场所）无法联系", "8": "不配合检查情节严重", "E": "发现问题经责令已改正",
    "A": "发现问题待后续处理", "F": "未发现开展本次抽查涉及的经营活动", "7": "已关闭停业或正在清算",
    "9": "注销", "10": "被吊销", "11": "被撤销", "12": "迁出",
}
PROBLEMS = {"B", "C", "6", "8", "E", "A"}
ZH_HEADERS = ["计划编号", "计划名称", "任务编号", "任务名称", "检查类型", "检查实施机关", "市场主体名称",
              "统一社会信用代码", "检查完成日期", "检查结果", "备注"]
NASTY = [
    '=HYPERLINK("http://evil.example/x","点我")', "+86 591 1234", "-1+1", "@SUM(A1)", "\t=1", " =cmd|'/C calc'!A0",
    "<script>alert('x')</script> & \"quoted\"", "逗号,分号;换行\n第二行", "正常名称有限公司",
]
CODE_CYCLE = [["1"], ["1"], ["B"], ["1"], ["E", "B"], ["6"], ["F"], ["1"], ["A"], ["9"], ["1"], [], ["C", "8"], ["7"]]


def sample_bulletin(n: int = 60) -> Bulletin:
    """A deterministic bulletin with hostile names, multi-valued and missing results."""
    strata = [StratumInfo("risk=A", 1200, "A 类（信用风险低）"), StratumInfo("risk=B", 600, "B 类"),
              StratumInfo("risk=C", 90, "C 类")]
    rows = []
    for i in range(n):
        codes = CODE_CYCLE[i % len(CODE_CYCLE)]
        digest = hashlib.sha256(f"entity{i}".encode()).hexdigest().upper()
        rows.append(BulletinRow(
            name=NASTY[i % len(NASTY)] if i % 4 == 0 else f"福州市某某{i}号贸易有限公司",
            uscc=f"91350100{digest[:10]}",
            completed_on=date(2024, 10, 8) + timedelta(days=i % 12) if codes else None,
            result_codes=list(codes),
            result_text="=已补报年报" if "E" in codes else "",
            remarks=NASTY[(i + 1) % len(NASTY)] if i % 7 == 0 else "",
            stratum=strata[(i * 7) % 3].key,
        ))
    verification = Verification("ab" * 32, "cd" * 32, "2024-09-30 上证指数收盘 3336.50 <b>",
                                "task-017.bundle.zip", "ef" * 32, "population-017.csv.gz", 1)
    return Bulletin("2024-FJ-001", "-2024年抽查计划", "T-017", "企业公示信息抽查", "不定向；企业年报公示信息",
                    "福州市市场监督管理局、福州市税务局", date(2024, 11, 1), rows, strata, verification)


def expected_counts(b: Bulletin) -> dict[str, object]:
    """All bulletin figures recomputed straight from the rows."""
    by_code = Counter(c for r in b.rows for c in r.result_codes)
    per = {s.key: [s.population, 0, 0, 0] for s in b.strata}
    for r in b.rows:
        per[r.stratum][1] += 1
        per[r.stratum][2] += bool(r.result_codes)
        per[r.stratum][3] += bool(PROBLEMS & set(r.result_codes))
    return {
        "total": len(b.rows), "completed": sum(bool(r.result_codes) for r in b.rows),
        "problems": sum(bool(PROBLEMS & set(r.result_codes)) for r in b.rows),
        "by_code": {c: by_code.get(c, 0) for c in DOMAIN_CODES}, "strata": per,
    }


class Elements(HTMLParser):
    """Every element with its attributes and its full text content."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[tuple[str, dict[str, str], list[str]]] = []
        self.stack: list[tuple[str, dict[str, str], list[str]]] = []

    VOID = {"meta", "br", "img", "link", "input", "hr", "rect", "path"}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        item = (tag, {k: v or "" for k, v in attrs}, [])
        self.items.append(item)
        if tag not in self.VOID:
            self.stack.append(item)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.items.append((tag, {k: v or "" for k, v in attrs}, []))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, _, text in self.stack:
            text.append(data)

    def find(self, **attrs: str) -> list[tuple[str, dict[str, str], str]]:
        return [(t, a, "".join(x)) for t, a, x in self.items
                if all(a.get(k.replace("_", "-")) == v for k, v in attrs.items())]

    def one(self, **attrs: str) -> tuple[str, dict[str, str], str]:
        found = self.find(**attrs)
        assert len(found) == 1, (attrs, found)
        return found[0]


def parse(html: str) -> Elements:
    p = Elements()
    p.feed(html)
    p.close()
    return p


def check_html_numbers(html: str, b: Bulletin) -> None:
    """The figures in the page (read through data-* / ids) equal those recomputed from the rows."""
    exp = expected_counts(b)
    doc = parse(html)
    assert int(doc.one(id="count-total")[2]) == exp["total"]
    assert int(doc.one(id="count-completed")[2]) == exp["completed"]
    assert int(doc.one(id="count-problems")[2]) == exp["problems"]
    shown = {a["data-count-for"]: int(text) for _, a, text in doc.items_with("data-count-for")}
    assert shown == exp["by_code"]
    strata = exp["strata"]
    for key, (pop, drawn, done, bad) in strata.items():  # type: ignore[attr-defined]
        cells = {a["data-field"]: text for t, a, text in doc.items_in_row(key)}
        assert [int(cells[f]) for f in ("population", "sampled", "with-results", "with-problems")] == [pop, drawn, done, bad]
        if done:
            p_h = bad / done
            assert float(doc.cell_attr(key, "prevalence", "data-value")) == pytest.approx(p_h, abs=1e-12)
            assert cells["prevalence"].strip() == f"{p_h * 100:.1f}%"
    total_n = sum(v[0] for v in strata.values())  # type: ignore[attr-defined]
    if all(v[2] for v in strata.values()):  # type: ignore[attr-defined]
        p_hat = sum(v[0] * v[3] / v[2] for v in strata.values()) / total_n  # type: ignore[attr-defined]
        assert float(doc.one(id="overall-prevalence")[1]["data-value"]) == pytest.approx(p_hat, abs=1e-12)
        assert doc.one(id="overall-prevalence")[2].strip() == f"{p_hat * 100:.1f}%"
        assert int(doc.one(id="overall-count")[1]["data-value"]) == round(p_hat * total_n)
    entity_rows = doc.find(**{"class": "entity"}) + doc.find(**{"class": "entity problem"})
    assert sorted(a["data-uscc"] for _, a, _ in entity_rows) == sorted(r.uscc for r in b.rows)
    assert sum(a["data-problem"] == "1" for _, a, _ in entity_rows) == exp["problems"]


def _items_with(self: Elements, attr: str) -> list[tuple[str, dict[str, str], str]]:
    return [(t, a, "".join(x)) for t, a, x in self.items if attr in a]


def _items_in_row(self: Elements, key: str) -> list[tuple[str, dict[str, str], str]]:
    out, inside = [], False
    for t, a, x in self.items:
        if t == "tr":
            inside = a.get("data-stratum") == key
        elif inside and "data-field" in a:
            out.append((t, a, "".join(x)))
    return out


def _cell_attr(self: Elements, key: str, field: str, attr: str) -> str:
    return next(a[attr] for _, a, _ in self.items_in_row(key) if a["data-field"] == field)


Elements.items_with = _items_with  # type: ignore[attr-defined]
Elements.items_in_row = _items_in_row  # type: ignore[attr-defined]
Elements.cell_attr = _cell_attr  # type: ignore[attr-defined]


# --- result codes ------------------------------------------------------------------------

def test_result_code_table_matches_domain() -> None:
    assert {c: r.zh for c, r in RESULT_CODES.items()} == DOMAIN_CODES
    assert {c for c, r in RESULT_CODES.items() if r.problem} == PROBLEMS
    for code in DOMAIN_CODES:
        assert result_label(code) == DOMAIN_CODES[code] and result_label(code, "en")
    with pytest.raises(ValidationError):
        result_label("Z")


# --- CSV ---------------------------------------------------------------------------------

def _expected_cells(b: Bulletin) -> list[list[str]]:
    def q(s: str) -> str:
        for ch in s:
            if ch in "\t\r" or not ch.isspace():
                return "'" + s if ch in "=+-@\t\r" else s
        return s

    out = []
    for r in b.rows:
        labels = "；".join(DOMAIN_CODES[c] for c in r.result_codes)
        result = f"{labels}（{r.result_text}）" if r.result_text else labels
        out.append([q(x) for x in (b.plan_no, b.plan_name, b.task_no, b.task_name, b.inspection_type,
                                   b.authority, r.name, r.uscc,
                                   r.completed_on.isoformat() if r.completed_on else "", result, r.remarks)])
    return out


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_csv_round_trip(tmp_path: Path, encoding: str) -> None:
    b = sample_bulletin()
    path = tmp_path / "b.csv"
    write_csv(b, path, encoding=encoding)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    with path.open(encoding=encoding, newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ZH_HEADERS
    assert rows[1:] == _expected_cells(b)
    assert all(not is_formula_like(cell) for row in rows for cell in row)
    assert rows[1][1] == "'-2024年抽查计划"
    assert [p.name for p in tmp_path.iterdir()] == ["b.csv"]   # no temp file left behind


def test_gb18030_is_really_gb18030(tmp_path: Path) -> None:
    b = sample_bulletin(5)
    write_csv(b, tmp_path / "g.csv", encoding="gb18030")
    raw = (tmp_path / "g.csv").read_bytes()
    assert "计划编号".encode("gb18030") in raw and "计划编号".encode("utf-8") not in raw


def test_csv_english_headers_and_labels(tmp_path: Path) -> None:
    b = sample_bulletin(10)
    write_csv(b, tmp_path / "e.csv", lang="en")
    with (tmp_path / "e.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][6:8] == ["Entity name", "Unified social credit code"]
    assert rows[1][9] == "No problems found"


def test_csv_rejects_other_encodings(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        write_csv(sample_bulletin(3), tmp_path / "x.csv", encoding="latin-1")
    assert not list(tmp_path.iterdir())


# --- XLSX --------------------------------------------------------------------------------

def test_xlsx_cells_are_text_and_safe(tmp_path: Path) -> None:
    b = sample_bulletin()
    path = tmp_path / "b.xlsx"
    write_xlsx(b, path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["公示结果", "汇总"]
    ws = wb["公示结果"]
    values = [[c.value if c.value is not None else "" for c in row] for row in ws.iter_rows()]
    assert values[0] == ZH_HEADERS
    assert values[1:] == _expected_cells(b)
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is not None:
                assert cell.data_type == "s" and cell.number_format == "@", cell.coordinate
                assert not is_formula_like(cell.value)
    for ws2 in wb.worksheets:
        for row in ws2.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
                assert not (isinstance(cell.value, str) and is_formula_like(cell.value))


def test_xlsx_summary_numbers(tmp_path: Path) -> None:
    b = sample_bulletin()
    write_xlsx(b, tmp_path / "b.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "b.xlsx")["汇总"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    by_first = {r[0]: r[1:] for r in rows if r[0] is not None}
    exp = expected_counts(b)
    assert by_first["抽取市场主体数"][0] == exp["total"]
    assert by_first["已完成检查"][0] == exp["completed"]
    assert by_first["发现问题"][0] == exp["problems"]
    for code, n in exp["by_code"].items():  # type: ignore[attr-defined]
        assert by_first[code][:2] == [DOMAIN_CODES[code], n]
    for s in b.strata:
        pop, drawn, done, bad = exp["strata"][s.key]  # type: ignore[index]
        assert by_first[s.label][:4] == [pop, drawn, done, bad]
        assert by_first[s.label][4] == pytest.approx(bad / done)
    assert by_first["承诺值"][0] == "ab" * 32


def test_xlsx_strips_control_characters(tmp_path: Path) -> None:
    b = sample_bulletin(3)
    row = BulletinRow("坏\x00字\x1b符", "91350100AAAAAAAAAA", None, [], stratum="risk=A")
    bad = Bulletin(b.plan_no, b.plan_name, b.task_no, b.task_name, b.inspection_type, b.authority,
                   b.published_on, [row], b.strata, b.verification)
    write_xlsx(bad, tmp_path / "c.xlsx")
    assert openpyxl.load_workbook(tmp_path / "c.xlsx").active["G2"].value == "坏字符"


# --- HTML --------------------------------------------------------------------------------

EXTERNAL = re.compile(r"""(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//""", re.I)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_html_is_self_contained_and_escaped(tmp_path: Path, lang: str) -> None:
    b = sample_bulletin()
    write_html(b, tmp_path / "b.html", lang=lang)
    html = (tmp_path / "b.html").read_text(encoding="utf-8")
    assert not EXTERNAL.search(html)
    assert "<script" not in html.lower() and "<link" not in html.lower() and "<img" not in html.lower()
    assert "url(" not in html and "@import" not in html
    doc = parse(html)
    for tag, attrs, _ in doc.items:
        assert tag not in {"script", "iframe", "object", "embed", "link", "img", "form"}
        for name in ("src", "href", "xlink:href", "action"):
            assert name not in attrs
        assert not any(name.startswith("on") for name in attrs)
    # hostile text survives as text
    names = [text for t, _, text in doc.find() if t == "td" and "<script>alert('x')</script>" in text]
    assert names and "&lt;script&gt;" in html
    assert parse(html).one(id="public-value")[2] == b.verification.public_value
    assert f'lang="{"en" if lang == "en" else "zh-CN"}"' in html
    assert ("如何核验" in html) == (lang == "zh") and ("How to verify" in html) == (lang == "en")
    assert "shuangsuiji verify task-017.bundle.zip" in html
    for ident, value in (("commitment", "ab" * 32), ("seed", "cd" * 32), ("bundle-seal", "ef" * 32)):
        assert doc.one(id=ident)[2] == value


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_html_counts_match_rows(lang: str) -> None:
    b = sample_bulletin()
    check_html_numbers(render_html(b, lang), b)


def test_html_estimate_matches_estimate_module() -> None:
    b = sample_bulletin()
    exp = expected_counts(b)
    est = estimate([StratumCounts(k, *v) for k, v in exp["strata"].items()])  # type: ignore[attr-defined]
    doc = parse(render_html(b))
    lo, hi = doc.one(id="overall-ci")[1]["data-low"], doc.one(id="overall-ci")[1]["data-high"]
    assert (float(lo), float(hi)) == pytest.approx((est.ci_low, est.ci_high), abs=1e-12)
    assert summarize(b).estimate == est


def test_html_charts_inline_svg() -> None:
    doc = parse(render_html(sample_bulletin()))
    for chart in ("chart-codes", "chart-strata"):
        assert doc.one(id=chart)[0] == "svg"
    bars = [a for t, a, _ in doc.items if t == "rect"]
    exp = expected_counts(sample_bulletin())
    nonzero = [n for n in exp["by_code"].values() if n]  # type: ignore[attr-defined]
    assert len(bars) == len(nonzero) + len(sample_bulletin().strata)
    widths = [float(a["width"]) for a in bars[: len(nonzero)]]
    top = max(nonzero)
    assert widths == pytest.approx([n / top * max(widths) for n in nonzero], rel=1e-3)


def test_html_without_results() -> None:
    b = sample_bulletin(0)
    html = render_html(b)
    doc = parse(html)
    assert doc.one(id="no-estimate") and int(doc.one(id="count-total")[2]) == 0
    check_html_numbers(html, b)


def test_render_rejects_unknown_language() -> None:
    with pytest.raises(ValidationError):
        render_html(sample_bulletin(2), lang="fr")


printable = st.text(st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters="\t\n\r"), max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=printable, remarks=printable, text=printable)
@example(name="a\rb\r\nc", remarks="\r=1", text="=x")
@example(name="\t@x", remarks="<b>&amp;</b>", text="")
def test_any_text_round_trips(tmp_path: Path, name: str, remarks: str, text: str) -> None:
    base = sample_bulletin(0)
    row = BulletinRow(name, "91350100AAAAAAAAAA", date(2024, 10, 9), ["E"], text, remarks, "risk=B")
    b = Bulletin(name, base.plan_name, base.task_no, base.task_name, base.inspection_type, base.authority,
                 base.published_on, [row], base.strata, base.verification)
    write_csv(b, tmp_path / "h.csv")
    with (tmp_path / "h.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[1] == _expected_cells(b)[0]
    write_xlsx(b, tmp_path / "h.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "h.xlsx").active
    lf = _with_rows([BulletinRow(*(x.replace("\r\n", "\n").replace("\r", "\n") for x in (name, row.uscc)),
                                 row.completed_on, row.result_codes,
                                 *(x.replace("\r\n", "\n").replace("\r", "\n") for x in (text, remarks)),
                                 row.stratum)],
                    plan_no=name.replace("\r\n", "\n").replace("\r", "\n"))
    assert [c.value or "" for c in ws[2]] == _expected_cells(lf)[0]
    doc = parse(render_html(b))
    cells = [text for t, _, text in doc.find() if t == "td"]
    assert name in cells and remarks in cells


# --- validation ----------------------------------------------------------------------------

def _with_rows(rows: list[BulletinRow], **kw: object) -> Bulletin:
    b = sample_bulletin(0)
    args = dict(plan_no=b.plan_no, plan_name=b.plan_name, task_no=b.task_no, task_name=b.task_name,
                inspection_type=b.inspection_type, authority=b.authority, published_on=b.published_on,
                rows=rows, strata=b.strata, verification=b.verification)
    args.update(kw)
    return Bulletin(**args)  # type: ignore[arg-type]


def _row(uscc: str = "91350100AAAAAAAAAA", codes: list[str] | None = None, **kw: object) -> BulletinRow:
    args: dict[str, object] = dict(name="x", uscc=uscc, completed_on=date(2024, 10, 9),
                                   result_codes=["1"] if codes is None else codes, stratum="risk=A")
    args.update(kw)
    return BulletinRow(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize("make", [
    lambda: _row(codes=["Q"]),
    lambda: _row(codes=["B", "B"]),
    lambda: _row(codes=["1", "B"]),
    lambda: _row(completed_on=None),
    lambda: _with_rows([_row(), _row()]),
    lambda: _with_rows([_row(stratum="risk=Z")]),
    lambda: _with_rows([_row(completed_on=date(2024, 11, 2))]),
    lambda: _with_rows([_row(uscc=f"U{i}", stratum="risk=C") for i in range(91)]),
    lambda: _with_rows([], strata=[StratumInfo("a", 1), StratumInfo("a", 2)]),
    lambda: StratumInfo("a", -1),
    lambda: StratumInfo("a", 1.5),  # type: ignore[arg-type]
    lambda: Verification("AB", "cd", "v", "f", "ef"),
    lambda: Verification("abc", "cd", "v", "f", "ef"),
    lambda: _with_rows([_row()], estimate=estimate([StratumCounts("risk=A", 1200, 2, 2, 0),
                                                     StratumCounts("risk=B", 600, 0, 0, 0),
                                                     StratumCounts("risk=C", 90, 0, 0, 0)])),
])
def test_bad_bulletins_are_rejected(make) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as info:
        make()
    assert info.value.code.startswith("bulletin.")
    assert info.value.message("zh") and info.value.message("en")


def test_matching_estimate_is_accepted() -> None:
    est = estimate([StratumCounts("risk=A", 1200, 1, 1, 0), StratumCounts("risk=B", 600, 0, 0, 0),
                    StratumCounts("risk=C", 90, 0, 0, 0)])
    assert _with_rows([_row()], estimate=est).estimate is est


def test_no_personal_fields() -> None:
    import dataclasses

    from shuangsuiji import bulletin as mod
    for cls in (mod.Bulletin, mod.BulletinRow, mod.StratumInfo, mod.Verification):
        names = {f.name for f in dataclasses.fields(cls)}
        assert not names & {"id_card", "phone", "conflicts", "officers", "inspectors", "mobile"}
