"""Small deterministic builders for test registries (no faker, no randomness)."""
from __future__ import annotations

import csv
import hashlib
from pathlib import Path

from shuangsuiji.codes import uscc

_ORG = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def make_uscc(i: int, region: str = "330106", kind: str = "1", dept: str = "9") -> str:
    h = hashlib.sha256(f"org{i}".encode()).digest()
    body = "".join(_ORG[b % len(_ORG)] for b in h[:8])
    return uscc.make(dept, kind, region, body)


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


ENTITY_HEADER = ["统一社会信用代码", "名称", "行政区划", "管辖单位", "登记状态", "信用风险分类", "标签"]


def entity_rows(n: int, start: int = 0) -> list[list[str]]:
    risks = "ABCD"
    return [[make_uscc(i), f"测试企业{i}有限公司", "330106", f"第{i % 3}监管所", "存续", risks[i % 4], ""]
            for i in range(start, start + n)]


INSPECTOR_HEADER = ["执法证号", "姓名", "所属部门", "所属单位", "专业资格", "在岗状态", "检查上限", "是否专家"]


def inspector_rows(n: int, dept: str = "市场监管局") -> list[list[str]]:
    return [[f"ZF{330000 + i}", f"检查员{i}", dept, f"第{i % 3}监管所", "食品" if i % 2 else "", "在岗", "50",
             "否"] for i in range(n)]


DEPT = "市场监管局"


def setup_registry(store, tmp: Path, n: int = 120, officers: int = 12) -> None:
    """A small registry (every 10th entity cancelled), officers of DEPT and plan P2026."""
    from shuangsuiji import importer, tasks

    rows = entity_rows(n)
    for i in range(0, n, 10):
        rows[i][4] = "注销"            # not in operation
    importer.import_file(store, "entities", write_csv(tmp / "e.csv", ENTITY_HEADER, rows))
    importer.import_file(store, "inspectors", write_csv(tmp / "i.csv", INSPECTOR_HEADER, inspector_rows(officers, DEPT)))
    tasks.create_plan(store, "P2026", "2026年度抽查计划", 2026, DEPT)
