from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from shuangsuiji import importer, synth
from shuangsuiji.codes import cert, entity_id, gb2260, gb4754, regno, ric, uscc
from shuangsuiji.errors import InfeasibleError, ValidationError
from shuangsuiji.store import Store
from shuangsuiji.workdays import is_workday

SMALL = synth.CityConfig(seed="t", entities=400, inspectors=20, experts=3, units=4, conflicts=15, history=40)
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def read(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def reference_uscc_ok(code: str) -> bool:
    """GB 32100 and GB 11714 checks written out independently of the library."""
    if len(code) != 18 or any(c not in ALPHABET for c in code) or not code[2:8].isdigit():
        return False
    total = sum(ALPHABET.index(c) * 3 ** i for i, c in enumerate(code[:17]))
    if ALPHABET[(31 - total % 31) % 31] != code[17]:
        return False
    org = sum(int(c, 36) * w for c, w in zip(code[8:16], (3, 7, 9, 10, 5, 8, 4, 2)))
    return {10: "X", 11: "0"}.get(11 - org % 11, str(11 - org % 11)) == code[16]


def reference_regno_ok(code: str) -> bool:
    """ISO 7064 MOD 11,10 written out independently of the library."""
    if len(code) != 15 or not code.isdigit():
        return False
    p = 10
    for ch in code[:14]:
        p = ((p + int(ch)) % 10 or 10) * 2 % 11
    return (p + int(code[14])) % 10 == 1


def count(store: Store, table: str) -> int:
    conn = store.read()
    n = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
    conn.rollback()
    return int(n)


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> synth.City:
    return synth.generate(SMALL, tmp_path_factory.mktemp("city"))


def test_generated_city_imports_cleanly(store: Store, city: synth.City) -> None:
    c = SMALL
    assert city.counts["entities"] == c.entities and city.counts["inspectors"] == c.inspectors
    assert city.counts["experts"] == c.experts and city.counts["conflicts"] == c.conflicts
    assert city.counts["history"] == c.history and city.counts["units"] == c.units
    files = [("items", city.items_csv), ("entities", city.entities_csv), ("inspectors", city.inspectors_csv),
             ("conflicts", city.conflicts_csv), ("history", city.history_csv)]
    expected = {"items": city.counts["items"], "entities": c.entities, "inspectors": c.inspectors + c.experts,
                "conflicts": c.conflicts, "history": c.history}
    for kind, path in files:
        report = importer.import_file(store, kind, path)
        assert report.rows == expected[kind] == report.inserted, kind
    assert count(store, "entity") == c.entities
    assert count(store, "inspector") == c.inspectors + c.experts
    assert count(store, "conflict") == c.conflicts
    assert count(store, "inspection") == c.history
    assert count(store, "unit") == c.units + 2  # the county's units and the two bureaux
    conn = store.read()
    experts = conn.execute(text("SELECT count(*) FROM inspector WHERE expert")).scalar()
    types = dict(conn.execute(text("SELECT entity_type, count(*) FROM entity GROUP BY entity_type")).all())
    conn.rollback()
    assert experts == c.experts
    assert set(types) == {"enterprise", "individual", "cooperative", "other"}


def test_entities_valid_unique_and_mixed(city: synth.City) -> None:
    header, *rows = read(city.entities_csv)
    assert header == synth.ENTITY_HEADER
    ids = [r[0] for r in rows]
    assert len(set(ids)) == len(ids) == SMALL.entities
    assert len({r[1] for r in rows}) == len(rows)
    for code in ids:
        assert entity_id.is_valid(code)
        assert reference_uscc_ok(code) if len(code) == 18 else reference_regno_ok(code)
    prefixes = Counter(c[:2] if len(c) == 18 else "regno" for c in ids)
    assert {"91", "92", "93", "regno"} <= set(prefixes)
    assert any(c[0].isalpha() for c in ids if len(c) == 18)
    for r in rows:
        code, region = r[0], r[4]
        assert region == (code[2:8] if len(code) == 18 else code[:6])
        assert gb2260.prefecture(region) == "330100"
        assert r[3] == "" or gb4754.is_valid(r[3])
        if code.startswith("92"):
            assert r[2] == "个体工商户" and not r[1].endswith("公司")
        elif code.startswith("91"):
            assert r[2] == "企业" and r[1].endswith("公司") and r[1].startswith("杭州")
        assert r[5].startswith("浙江省杭州市西湖区")
        assert r[7].startswith("西湖区市场监管局")


def test_same_seed_same_files_other_seed_other_files(city: synth.City, tmp_path: Path) -> None:
    again = synth.generate(SMALL, tmp_path / "again")
    for name in ("entities_csv", "inspectors_csv", "items_csv", "conflicts_csv", "history_csv"):
        assert getattr(again, name).read_bytes() == getattr(city, name).read_bytes(), name
    other = synth.generate(synth.CityConfig(**{**SMALL.__dict__, "seed": "u"}), tmp_path / "other")
    for name in ("entities_csv", "inspectors_csv", "conflicts_csv", "history_csv"):
        assert getattr(other, name).read_bytes() != getattr(city, name).read_bytes(), name
    a = {r[0] for r in read(city.entities_csv)[1:]}
    b = {r[0] for r in read(other.entities_csv)[1:]}
    assert len(a & b) < len(a) // 10


def test_inspectors_realistic_and_feasible(city: synth.City) -> None:
    header, *rows = read(city.inspectors_csv)
    assert header == synth.INSPECTOR_HEADER
    certs = [r[0] for r in rows]
    assert len(set(certs)) == len(certs) == SMALL.inspectors + SMALL.experts
    assert all(cert.is_valid(c) for c in certs)
    officers = [r for r in rows if r[7] == "否"]
    assert len(officers) == SMALL.inspectors and sum(r[7] == "是" for r in rows) == SMALL.experts
    for r in officers:
        assert r[0].startswith(SMALL.county) and len(r[0]) == 14 and 2008 <= int(r[0][6:10]) <= 2024
        assert 10 <= int(r[6]) <= 40
    first = [r for r in officers if r[2] == SMALL.departments[0]]
    assert len(first) > len(officers) // 2 and any(r[2] == SMALL.departments[1] for r in officers)
    on_duty_food = [r for r in first if r[5] == "在岗" and "食品" in r[4].split(";")]
    assert len(on_duty_food) >= 2
    quals = Counter(q for r in first for q in r[4].split(";") if q)
    assert set(quals) == {"食品", "特种设备", "药品", "计量"}
    units = Counter(r[3] for r in first)
    assert SMALL.departments[0] in units and len(units) == SMALL.units + 1
    cards = [r[8] for r in rows if r[8]]
    assert cards and len(set(cards)) == len(cards)
    for r in rows:
        if r[8]:
            assert ric.is_valid(r[8])
            born = ric.birth_date(r[8])
            assert date(1964, 12, 31) < born < date(2000, 1, 1)
            assert r[7] == "是" or int(r[0][6:10]) >= born.year + 23
    assert all(r[9] == "" or (len(r[9]) == 11 and r[9].startswith("1")) for r in rows)
    assert {r[5] for r in rows} <= {"在岗", "休假", "调离"}


def test_items_conflicts_history(city: synth.City) -> None:
    _, *items = read(city.items_csv)
    depts = {r[4] for r in items}
    assert depts == set(SMALL.departments)
    assert {"食品", "特种设备"} <= {r[9] for r in items}
    assert {r[10] for r in items} == {"一般", "重点"}
    assert all(r[3].startswith("《") for r in items)
    entities = {r[0]: r for r in read(city.entities_csv)[1:]}
    certs = {r[0]: r for r in read(city.inspectors_csv)[1:]}
    _, *conflicts = read(city.conflicts_csv)
    assert len({(r[0], r[1]) for r in conflicts}) == len(conflicts)
    for c, u, reason, start, end in conflicts:
        assert c in certs and u in entities and reason
        s = date.fromisoformat(start)
        assert s <= SMALL.as_of and (end == "" or date.fromisoformat(end) > s)
    _, *history = read(city.history_csv)
    for u, day, dept, team in history:
        d = date.fromisoformat(day)
        assert SMALL.as_of - timedelta(days=731) <= d < SMALL.as_of and is_workday(d)
        members = team.split(";")
        assert 1 <= len(members) <= 2 and len(set(members)) == len(members)
        assert all(certs[m][2] == dept and certs[m][7] == "否" for m in members)
        assert u in entities and entities[u][6] in ("存续", "停业")
    assert sum(len(r[3].split(";")) == 2 for r in history) > len(history) // 2


def test_write_entities_csv_20000(tmp_path: Path) -> None:
    config = synth.CityConfig(seed="big", entities=20_000)
    path = tmp_path / "e.csv"
    assert synth.write_entities_csv(config, path) == 20_000
    data = path.read_bytes()
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(synth.ENTITY_HEADER)
    w.writerows(synth.entity_rows(config))
    assert data == buf.getvalue().encode("utf-8-sig")
    rows = read(path)[1:]
    ids = [r[0] for r in rows]
    assert len(set(ids)) == 20_000 and len({r[1] for r in rows}) == 20_000
    for code in ids[::37]:
        assert entity_id.is_valid(code)
        assert reference_uscc_ok(code) if len(code) == 18 else reference_regno_ok(code)
    assert all(uscc.is_valid(c) for c in ids if len(c) == 18)
    assert all(regno.is_valid(c) for c in ids if len(c) == 15)
    n = len(rows)
    share = Counter(c[:2] if len(c) == 18 else "reg" for c in ids)
    assert 0.30 < share["92"] / n < 0.40 and 0.01 < share["93"] / n < 0.03 and 0.005 < share["reg"] / n < 0.02
    risk = Counter(r[8] for r in rows)
    assert abs(risk["A类"] / n - 0.30) < 0.02 and abs(risk["B类"] / n - 0.48) < 0.02
    assert abs(risk["C类"] / n - 0.15) < 0.02 and abs(risk["D类"] / n - 0.05) < 0.01 and risk[""] > 0
    assert abs(Counter(r[6] for r in rows)["存续"] / n - 0.90) < 0.02
    tags = Counter(t for r in rows for t in r[9].split(";") if t)
    assert set(tags) == {"食品经营", "特种设备使用单位", "重点排污单位"}
    assert tags["重点排污单位"] < tags["特种设备使用单位"] < tags["食品经营"]


def test_two_word_trade_names_stay_unique() -> None:
    pool = len(synth._frame(synth.CityConfig(entities=10)).pool)
    config = synth.CityConfig(seed="w", entities=pool + 500)
    assert synth._frame(config).trade_words == 2
    names = [r[1] for r in synth.entity_rows(config)]
    assert len(set(names)) == len(names)


def test_rows_regenerate_from_their_index() -> None:
    config = synth.CityConfig(seed="r", entities=3000)
    rows = list(synth.entity_rows(config))
    idx = np.array([2999, 0, 1500, 7, 7], dtype=np.int64)
    cols = synth._entity_columns(synth._frame(config), idx)
    assert [list(r) for r in zip(*cols)] == [rows[i] for i in idx]


@settings(max_examples=25, deadline=None)
@given(seed=st.text(max_size=12), n=st.integers(1, 1500),
       county=st.sampled_from(["330106", "110105", "440305", "510104", "320102"]))
def test_any_seed_gives_valid_unique_rows(seed: str, n: int, county: str) -> None:
    config = synth.CityConfig(seed=seed, entities=n, county=county)
    rows = list(synth.entity_rows(config))
    assert len(rows) == n
    ids = [r[0] for r in rows]
    assert len(set(ids)) == n and len({r[1] for r in rows}) == n
    assert all(reference_uscc_ok(c) if len(c) == 18 else reference_regno_ok(c) for c in ids)
    kinds = {c[:2] if len(c) == 18 else "regno" for c in ids}
    assert len(kinds) == min(n, 6)
    assert all(r[4][:4] == county[:4] for r in rows)
    assert all("," not in cell and '"' not in cell for r in rows for cell in r)


@settings(max_examples=40, deadline=None)
@given(seed=st.text(max_size=8), n=st.integers(2, 14), two=st.booleans())
def test_every_qualification_has_two_officers_on_duty(seed: str, n: int, two: bool) -> None:
    depts = SMALL.departments if two else SMALL.departments[:1]
    config = synth.CityConfig(seed=seed, entities=20, inspectors=n, experts=0, departments=depts)
    rows, _ = synth._inspectors(config, synth._frame(config))
    market = [r for r in rows if r[2] == depts[0]]
    assert len(market) >= 2 and len({r[0] for r in rows}) == n
    for q in synth.QUALIFICATIONS:
        holders = [r for r in market if q in r[4].split(";")]
        assert len(holders) >= 2
    assert sum(r[5] == "在岗" and "食品" in r[4].split(";") for r in market) >= 2


@pytest.mark.parametrize("change", [{"county": "330100"}, {"county": "33010"}, {"entities": 0},
                                    {"inspectors": 1}, {"departments": ()}, {"units": -1},
                                    {"departments": ("甲局", "甲局")}])
def test_bad_config_is_a_validation_error(change: dict, tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        synth.generate(synth.CityConfig(**{**SMALL.__dict__, **change}), tmp_path)


def test_other_departments_and_no_units(tmp_path: Path) -> None:
    config = synth.CityConfig(seed="o", entities=50, inspectors=12, experts=0, units=0, conflicts=5, history=10,
                              county="110105", departments=("北京市朝阳区市场监督管理局", "北京市朝阳区城市管理委员会",
                                                           "北京市朝阳区卫生健康委员会"))
    city = synth.generate(config, tmp_path)
    rows = read(city.entities_csv)[1:]
    assert all(r[5].startswith("北京市朝阳区") and r[7] == "" for r in rows)
    items = read(city.items_csv)[1:]
    assert {r[4] for r in items} == set(config.departments)
    inspectors = read(city.inspectors_csv)[1:]
    assert {r[2] for r in inspectors} == set(config.departments)
    assert all(r[3] == r[2] for r in inspectors)


def test_district_without_city_and_impossible_requests(tmp_path: Path) -> None:
    config = synth.CityConfig(seed="y", entities=300, county="330110", departments=("余杭区市场监督管理局",),
                              conflicts=3, history=5)
    city = synth.generate(config, tmp_path / "ok")
    rows = read(city.entities_csv)[1:]
    assert all("余杭区" in r[5] for r in rows) and len({r[1] for r in rows}) == len(rows)
    assert all(r[2] == "余杭区市场监督管理局" for r in read(city.inspectors_csv)[1:])
    with pytest.raises(InfeasibleError):
        synth.generate(synth.CityConfig(seed="y", entities=2, inspectors=2, conflicts=10), tmp_path / "dense")
