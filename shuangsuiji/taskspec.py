"""A task's definition (抽查任务): population, strata, sizes, exclusions, team rules.

A task file is TOML (kept with the plan); the CLI options build the same structure.
:func:`parse` validates it and returns a :class:`TaskSpec`; :meth:`TaskSpec.parameters`
is the canonical form committed to at freeze time (ratios as exact ``p/q`` strings).
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

from . import i18n
from .codes import enums
from .codes.dates import parse_date
from .errors import ValidationError
from .sampling import format_ratio, parse_ratio

STRATA_DIMENSIONS = ("risk", "region", "unit", "industry", "entity_type")
RISK_KEYS = ("A", "B", "C", "D", "-")


class TaskSpecError(ValidationError):
    code = "taskspec.invalid"


@dataclass(frozen=True)
class Seats:
    """One department's part of every team (joint tasks list several)."""

    department: str
    k: int = 2
    qualification: str | None = None
    cross_unit: bool = True
    experts: int = 0


@dataclass(frozen=True)
class TaskSpec:
    task_no: str
    name: str
    plan_no: str
    department: str
    items: tuple[str, ...] = ()
    joint_departments: tuple[str, ...] = ()
    # 定向 filter (empty = 不定向: the whole eligible population)
    entity_types: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()          # prefixes of GB/T 2260 codes
    industries: tuple[str, ...] = ()       # prefixes of GB/T 4754 codes
    units: tuple[str, ...] = ()
    risk: tuple[str, ...] = ()
    tags_any: tuple[str, ...] = ()
    strata: tuple[str, ...] = ()
    ratio: Fraction | None = None
    ratio_by_risk: dict[str, Fraction] = field(default_factory=dict)
    count: int | None = None
    minimum: int = 0
    inspected_within_days: int | None = None
    annual_cap: int | None = None
    exclude_drawn_in_plan: bool = True
    seats: tuple[Seats, ...] = ()
    rotation: bool = True
    rotation_days: int = 365
    mode: str = "seats"
    inspection_start: date | None = None
    inspection_end: date | None = None
    as_of: date | None = None

    @property
    def directed(self) -> bool:
        return bool(self.entity_types or self.regions or self.industries or self.units or self.risk or self.tags_any)

    def parameters(self) -> dict[str, Any]:
        """The canonical parameters committed at freeze (only JSON-safe values)."""
        return {
            "task_no": self.task_no, "plan_no": self.plan_no, "department": self.department,
            "joint_departments": list(self.joint_departments), "items": sorted(self.items),
            "population": {"directed": self.directed, "entity_types": sorted(self.entity_types),
                           "regions": sorted(self.regions), "industries": sorted(self.industries),
                           "units": sorted(self.units), "risk": sorted(self.risk),
                           "tags_any": sorted(self.tags_any)},
            "strata": list(self.strata),
            "sizes": {"ratio": format_ratio(self.ratio) if self.ratio is not None else None,
                      "ratio_by_risk": {k: format_ratio(v) for k, v in sorted(self.ratio_by_risk.items())},
                      "count": self.count, "minimum": self.minimum},
            "exclusions": {"inspected_within_days": self.inspected_within_days, "annual_cap": self.annual_cap,
                           "drawn_in_plan": self.exclude_drawn_in_plan, "not_in_operation": True,
                           "disabled": True},
            "teams": {"mode": self.mode, "rotation": self.rotation, "rotation_days": self.rotation_days,
                      "seats": [{"department": s.department, "k": s.k, "qualification": s.qualification,
                                 "cross_unit": s.cross_unit, "experts": s.experts} for s in self.seats]},
            "inspection": {"start": _iso(self.inspection_start), "end": _iso(self.inspection_end)},
            "as_of": _iso(self.as_of),
        }

    def to_toml(self) -> str:
        """A TOML task file that :func:`parse` reads back to the same spec."""
        p = self.parameters()
        lines = [f'task_no = {_q(self.task_no)}', f'name = {_q(self.name)}', f'plan = {_q(self.plan_no)}',
                 f'department = {_q(self.department)}', f'items = {_list(self.items)}',
                 f'joint_departments = {_list(self.joint_departments)}']
        if self.as_of:
            lines.append(f"as_of = {self.as_of.isoformat()}")
        lines += ["", "[population]"]
        for k in ("entity_types", "regions", "industries", "units", "risk", "tags_any"):
            if getattr(self, k):
                lines.append(f"{k} = {_list(getattr(self, k))}")
        lines += ["", "[strata]", f"by = {_list(self.strata)}", "", "[sizes]"]
        if self.ratio is not None:
            lines.append(f'ratio = {_q(p["sizes"]["ratio"])}')
        if self.count is not None:
            lines.append(f"count = {self.count}")
        lines.append(f"minimum = {self.minimum}")
        if self.ratio_by_risk:
            lines.append("[sizes.risk]")
            lines += [f'{k} = {_q(format_ratio(v))}' for k, v in sorted(self.ratio_by_risk.items())]
        lines += ["", "[exclusions]", f"drawn_in_plan = {str(self.exclude_drawn_in_plan).lower()}"]
        if self.inspected_within_days is not None:
            lines.append(f"inspected_within_days = {self.inspected_within_days}")
        if self.annual_cap is not None:
            lines.append(f"annual_cap = {self.annual_cap}")
        lines += ["", "[teams]", f'mode = {_q(self.mode)}', f"rotation = {str(self.rotation).lower()}",
                  f"rotation_days = {self.rotation_days}"]
        for s in self.seats:
            lines += ["", "[[teams.seats]]", f"department = {_q(s.department)}", f"k = {s.k}",
                      f"cross_unit = {str(s.cross_unit).lower()}", f"experts = {s.experts}"]
            if s.qualification:
                lines.append(f"qualification = {_q(s.qualification)}")
        if self.inspection_start or self.inspection_end:
            lines += ["", "[inspection]"]
            if self.inspection_start:
                lines.append(f"start = {self.inspection_start.isoformat()}")
            if self.inspection_end:
                lines.append(f"end = {self.inspection_end.isoformat()}")
        return "\n".join(lines) + "\n"


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _list(xs: Any) -> str:
    return "[" + ", ".join(_q(str(x)) for x in xs) + "]"


def load(path: str | Path) -> TaskSpec:
    """Read a TOML task file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TaskSpecError("taskspec.file", file=path.name, detail=str(exc)) from None
    return parse(data, source=path.name)


def _err(source: str, field_: str, detail: str) -> TaskSpecError:
    return TaskSpecError("taskspec.field", file=source, field=field_, detail=detail)


def _strs(data: dict[str, Any], key: str, source: str) -> tuple[str, ...]:
    v = data.get(key, [])
    if isinstance(v, str):
        v = [x for x in v.replace("，", ",").split(",") if x.strip()]
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise _err(source, key, i18n.text("taskspec.need_list"))
    return tuple(x.strip() for x in v)


def _ratio(v: Any, source: str, field_: str) -> Fraction:
    try:
        return parse_ratio(str(v))
    except ValueError as exc:
        raise _err(source, field_, str(exc)) from None


def _int(v: Any, source: str, field_: str, low: int = 0) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < low:
        raise _err(source, field_, i18n.text("taskspec.need_int", low=low))
    return v


def _date(v: Any, source: str, field_: str) -> date | None:
    if v is None or v == "":
        return None
    try:
        return parse_date(v)
    except ValueError as exc:
        raise _err(source, field_, str(exc)) from None


def parse(data: dict[str, Any], source: str = "task") -> TaskSpec:
    """Validate a task definition (as loaded from TOML or built by the CLI)."""
    for key in ("task_no", "name", "plan", "department"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise _err(source, key, i18n.text("taskspec.required"))
    pop = data.get("population", {}) or {}
    strata = data.get("strata", {}) or {}
    sizes = data.get("sizes", {}) or {}
    excl = data.get("exclusions", {}) or {}
    teams = data.get("teams", {}) or {}
    insp = data.get("inspection", {}) or {}
    by = _strs(strata, "by", source)
    for dim in by:
        if dim not in STRATA_DIMENSIONS:
            raise _err(source, "strata.by", i18n.text("taskspec.bad_dim", dim=dim, dims=", ".join(STRATA_DIMENSIONS)))
    if len(set(by)) != len(by):
        raise _err(source, "strata.by", i18n.text("taskspec.dup_dim"))
    ratio = _ratio(sizes["ratio"], source, "sizes.ratio") if sizes.get("ratio") is not None else None
    by_risk: dict[str, Fraction] = {}
    for k, v in (sizes.get("risk") or {}).items():
        key = "-" if k in ("-", "unclassified", "未分类") else enums.parse_risk_class(k)
        if key is None or key not in RISK_KEYS:
            raise _err(source, f"sizes.risk.{k}", i18n.text("taskspec.bad_risk"))
        by_risk[key] = _ratio(v, source, f"sizes.risk.{k}")
    count = _int(sizes["count"], source, "sizes.count", 1) if sizes.get("count") is not None else None
    if by_risk and "risk" not in by:
        raise _err(source, "sizes.risk", i18n.text("taskspec.risk_needs_strata"))
    if count is not None and (ratio is not None or by_risk):
        raise _err(source, "sizes.count", i18n.text("taskspec.count_or_ratio"))
    if count is None and ratio is None and not by_risk:
        raise _err(source, "sizes", i18n.text("taskspec.no_size"))
    if by_risk and ratio is None and set(by_risk) != set(RISK_KEYS) - {"-"} and "-" not in by_risk:
        missing = sorted(set("ABCD") - set(by_risk))
        if missing:
            raise _err(source, "sizes.risk", i18n.text("taskspec.risk_missing", classes="、".join(missing)))
    seats_raw = teams.get("seats") or [{"department": data["department"], "k": 2}]
    seats = []
    for i, s in enumerate(seats_raw):
        if not isinstance(s, dict) or not isinstance(s.get("department"), str):
            raise _err(source, f"teams.seats[{i}]", i18n.text("taskspec.seat_department"))
        seats.append(Seats(department=s["department"].strip(), k=_int(s.get("k", 2), source, f"teams.seats[{i}].k", 0),
                           qualification=(s.get("qualification") or None),
                           cross_unit=bool(s.get("cross_unit", True)),
                           experts=_int(s.get("experts", 0), source, f"teams.seats[{i}].experts", 0)))
    if sum(s.k for s in seats) < 2:
        raise _err(source, "teams.seats", i18n.text("taskspec.min_two"))
    mode = teams.get("mode", "seats")
    if mode not in ("seats", "groups"):
        raise _err(source, "teams.mode", i18n.text("taskspec.bad_mode"))
    joint = _strs(data, "joint_departments", source)
    entity_types = tuple(enums.parse_entity_type(t) for t in _strs(pop, "entity_types", source))
    risk = tuple(("-" if r in ("-", "未分类") else enums.parse_risk_class(r)) or "-" for r in _strs(pop, "risk", source))
    spec = TaskSpec(
        task_no=data["task_no"].strip(), name=data["name"].strip(), plan_no=data["plan"].strip(),
        department=data["department"].strip(), items=_strs(data, "items", source), joint_departments=joint,
        entity_types=entity_types, regions=_strs(pop, "regions", source), industries=_strs(pop, "industries", source),
        units=_strs(pop, "units", source), risk=risk, tags_any=_strs(pop, "tags_any", source),
        strata=by, ratio=ratio, ratio_by_risk=by_risk, count=count,
        minimum=_int(sizes.get("minimum", 0), source, "sizes.minimum"),
        inspected_within_days=(_int(excl["inspected_within_days"], source, "exclusions.inspected_within_days")
                               if excl.get("inspected_within_days") is not None else None),
        annual_cap=(_int(excl["annual_cap"], source, "exclusions.annual_cap", 1)
                    if excl.get("annual_cap") is not None else None),
        exclude_drawn_in_plan=bool(excl.get("drawn_in_plan", True)),
        seats=tuple(seats), rotation=bool(teams.get("rotation", True)),
        rotation_days=_int(teams.get("rotation_days", 365), source, "teams.rotation_days"),
        mode=mode, inspection_start=_date(insp.get("start"), source, "inspection.start"),
        inspection_end=_date(insp.get("end"), source, "inspection.end"),
        as_of=_date(data.get("as_of"), source, "as_of"),
    )
    if spec.inspection_start and spec.inspection_end and spec.inspection_end < spec.inspection_start:
        raise _err(source, "inspection.end", i18n.text("taskspec.end_before_start"))
    return spec


i18n.register({
    "taskspec.invalid": {"zh": "任务定义无效", "en": "invalid task definition"},
    "taskspec.file": {"zh": "任务文件 {file} 无法读取：{detail}", "en": "task file {file} cannot be read: {detail}"},
    "taskspec.field": {"zh": "{file} 字段 {field}：{detail}", "en": "{file} field {field}: {detail}"},
    "taskspec.required": {"zh": "必填", "en": "required"},
    "taskspec.need_list": {"zh": "应为文本列表", "en": "must be a list of texts"},
    "taskspec.need_int": {"zh": "应为不小于 {low} 的整数", "en": "must be an integer ≥ {low}"},
    "taskspec.bad_dim": {"zh": "不支持的分层维度 {dim}（可选：{dims}）", "en": "unknown stratum dimension {dim} (choose {dims})"},
    "taskspec.dup_dim": {"zh": "分层维度重复", "en": "duplicate stratum dimension"},
    "taskspec.bad_risk": {"zh": "信用风险分类应为 A/B/C/D 或 -（未分类）", "en": "risk class must be A/B/C/D or - (unclassified)"},
    "taskspec.risk_needs_strata": {"zh": "按风险分类设置比例时，分层维度必须包含 risk", "en": "ratios per risk class need 'risk' among the strata"},
    "taskspec.count_or_ratio": {"zh": "抽取数量与抽查比例只能二选一", "en": "give either a count or ratios, not both"},
    "taskspec.no_size": {"zh": "未设置抽查比例或数量", "en": "no ratio or count given"},
    "taskspec.risk_missing": {"zh": "缺少风险分类 {classes} 的比例（或设置默认 ratio）", "en": "no ratio for risk class(es) {classes} (or give a default ratio)"},
    "taskspec.seat_department": {"zh": "每组席位必须指明部门", "en": "each seat entry needs a department"},
    "taskspec.min_two": {"zh": "每个检查对象至少需要 2 名执法人员（《行政处罚法》第四十二条）", "en": "at least 2 certified officers per entity (Administrative Penalty Law Art. 42)"},
    "taskspec.bad_mode": {"zh": "分组方式应为 seats 或 groups", "en": "mode must be seats or groups"},
    "taskspec.end_before_start": {"zh": "检查结束日期早于开始日期", "en": "inspection end is before its start"},
})
