"""Synthetic registries: a realistic county as CSV files in the project's import formats.

The demo, the tests and the benchmarks need data that looks like a real 市场监管 registry
(valid codes, a believable mix of kinds, industries, statuses and risk classes) and that
anyone can regenerate byte for byte.  Every choice therefore derives from SHA-256 of
(seed, purpose, index) and integer arithmetic; faker (zh_CN) only supplies words, seeded
from the same seed, so a file is reproducible within one faker version.

Entities are computed in vectorised blocks of row indices, so any row can be regenerated on
its own (conflicts and history refer back to entities) and ten million rows stream to disk
without faker or a per-row ``uscc.make`` call.  Identifiers and names are unique by
construction: organisation codes, registration-number sequences and trade names are
bijective (affine) scrambles of the row index.
"""
from __future__ import annotations

import csv
import functools
import hashlib
import json
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np
from faker import Faker
from faker.providers.address.zh_CN import Provider as _Address
from faker.providers.company.zh_CN import Provider as _Company
from faker.providers.person.zh_CN import Provider as _Person

from . import i18n
from .codes import gb2260, regno, ric
from .codes.uscc import ALPHABET
from .errors import InfeasibleError, ValidationError
from .formats import CONFLICT_COLUMNS, ENTITY_COLUMNS, HISTORY_COLUMNS, INSPECTOR_COLUMNS, ITEM_COLUMNS
from .progress import NULL, Reporter
from .workdays import is_workday

ENTITY_HEADER = [c.zh for c in ENTITY_COLUMNS]
INSPECTOR_HEADER = [c.zh for c in INSPECTOR_COLUMNS]
ITEM_HEADER = [c.zh for c in ITEM_COLUMNS]
CONFLICT_HEADER = [c.zh for c in CONFLICT_COLUMNS]
HISTORY_HEADER = [c.zh for c in HISTORY_COLUMNS]
ENCODING = "utf-8-sig"
MAX_ENTITIES = 10**8
CHUNK = 1 << 16

i18n.register({
    "synth.county": {"zh": "“{county}”不是县级行政区划代码（如 330106）",
                     "en": "'{county}' is not a county-level region code (e.g. 330106)"},
    "synth.range": {"zh": "{name} 应在 {low} 至 {high} 之间，实际为 {value}",
                    "en": "{name} must be between {low} and {high}, got {value}"},
    "synth.departments": {"zh": "至少需要一个部门，且部门名称不能重复",
                          "en": "at least one department is needed, and names must be distinct"},
    "synth.too_dense": {"zh": "无法生成 {wanted} 条互不相同的{what}（只得到 {got} 条）",
                        "en": "cannot generate {wanted} distinct {what} (got only {got})"},
    "synth.progress.entities": {"zh": "生成检查对象", "en": "generating entities"},
    "synth.progress.other": {"zh": "生成人员、事项、回避与检查记录",
                             "en": "generating inspectors, items, conflicts and history"},
})


@dataclass(frozen=True)
class CityConfig:
    """What to synthesise; everything derives from ``seed``."""

    seed: str = "demo"
    entities: int = 5000
    inspectors: int = 60
    experts: int = 6
    county: str = "330106"
    departments: tuple[str, ...] = ("杭州市西湖区市场监督管理局", "杭州市西湖区生态环境分局")
    units: int = 8
    conflicts: int = 40
    history: int = 300
    as_of: date = date(2026, 11, 1)


@dataclass
class City:
    """The generated files and a few facts the demo prints."""

    entities_csv: Path
    inspectors_csv: Path
    items_csv: Path
    conflicts_csv: Path
    history_csv: Path
    counts: dict[str, int] = field(default_factory=dict)


# -- hashing --------------------------------------------------------------------------------
@functools.lru_cache(maxsize=256)
def _prefix(seed: str, purpose: str) -> bytes:
    return hashlib.sha256(json.dumps([seed, purpose]).encode()).digest()


def _digest(seed: str, purpose: str, index: int) -> bytes:
    """SHA-256 of (seed, purpose, index): the source of every choice."""
    return hashlib.sha256(_prefix(seed, purpose) + index.to_bytes(8, "big")).digest()


def _uint(seed: str, purpose: str, index: int, bound: int) -> int:
    """An integer in [0, bound) from the digest (bias below 2⁻⁶⁰ for the bounds used here)."""
    return int.from_bytes(_digest(seed, purpose, index)[:16], "big") % bound


def _words(seed: str, purpose: str, indices: np.ndarray) -> np.ndarray:
    """Per row, the 16 big-endian 16-bit words of SHA-256(seed, purpose, index)."""
    pre, sha = _prefix(seed, purpose), hashlib.sha256
    raw = b"".join([sha(pre + i.to_bytes(8, "big")).digest() for i in indices.tolist()])
    return np.frombuffer(raw, dtype=">u2").reshape(-1, 16).astype(np.int64)


def _lut(weights: Sequence[int]) -> np.ndarray:
    """A 65536-entry table: a uniform 16-bit word → category k with share weights[k]/Σ."""
    cum = np.concatenate(([0], np.cumsum(np.asarray(weights, dtype=np.int64))))
    bounds = cum * 65536 // cum[-1]
    return np.repeat(np.arange(len(weights)), np.diff(bounds))


def _share(permille: int) -> int:
    """The 16-bit threshold below which a word falls with probability permille/1000."""
    return permille * 65536 // 1000


def _coprime(seed: str, purpose: str, modulus: int) -> tuple[int, int]:
    """Multiplier and offset of a bijective affine scramble of [0, modulus)."""
    k = _uint(seed, purpose + ".k", 0, modulus - 1) + 1 if modulus > 1 else 1
    while math.gcd(k, modulus) != 1:
        k += 1
    return k, _uint(seed, purpose + ".c", 0, modulus)


def _order(seed: str, purpose: str, items: Sequence[str]) -> list[str]:
    """``items`` in an order fixed by the seed (a keyed sort, not a shuffle)."""
    return sorted(items, key=lambda s: hashlib.sha256(_prefix(seed, purpose) + s.encode()).digest())


# -- static vocabulary --------------------------------------------------------------------
PROVINCES = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区", "21": "辽宁省",
    "22": "吉林省", "23": "黑龙江省", "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省",
    "35": "福建省", "36": "江西省", "37": "山东省", "41": "河南省", "42": "湖北省", "43": "湖南省",
    "44": "广东省", "45": "广西壮族自治区", "46": "海南省", "50": "重庆市", "51": "四川省", "52": "贵州省",
    "53": "云南省", "54": "西藏自治区", "61": "陕西省", "62": "甘肃省", "63": "青海省",
    "64": "宁夏回族自治区", "65": "新疆维吾尔自治区", "71": "台湾省", "81": "香港特别行政区",
    "82": "澳门特别行政区"}
MUNICIPALITIES = frozenset({"11", "12", "31", "50"})
PREFECTURE_COUNTIES = {"3301": ("02", "05", "06", "08", "09", "10", "11", "12", "13", "14", "22", "27", "82")}
UNIT_PLACES = {"330106": ("北山", "西溪", "灵隐", "翠苑", "古荡", "文新", "蒋村", "留下", "转塘", "三墩",
                          "双浦", "之江")}
GENERIC_PLACES = ("城东", "城西", "城南", "城北", "城中", "新城", "高新", "开发区", "江南", "湖滨", "新区", "滨江")

# kinds: (department char, kind char, 主体类型 label); the last is a 15-digit 注册号
KINDS = (("9", "1", "企业"), ("9", "2", "个体工商户"), ("9", "3", "农民专业合作社"),
         ("N", "2", "其他"), ("Y", "1", "其他"), ("", "", "企业"))
K91, K92, K93, KN2, KY1, KREG = range(6)
KIND_WEIGHTS = (6170, 3500, 200, 20, 10, 100)            # per 10,000
LEGACY_ORG_PERMILLE = (400, 50, 100, 300, 300, 0)        # 8-digit org codes (pre-2015) vs MA…


@dataclass(frozen=True)
class _Industry:
    code: str
    weights: tuple[int, int, int, int, int]   # enterprise, 个体, cooperative, village, other
    company: str                               # word in a company's name
    shop: str                                  # word (with shop suffix) in a 个体's name
    food: bool = False
    equipment: int = 30                        # permille tagged 特种设备使用单位
    pollution: int = 0                         # permille tagged 重点排污单位


INDUSTRIES = (
    _Industry("F5212", (30, 40, 0, 0, 0), "超市", "超市", True, 300),
    _Industry("F5213", (20, 80, 0, 0, 0), "便利店", "便利店", True, 20),
    _Industry("F5221", (10, 40, 0, 0, 0), "粮油", "粮油店", True),
    _Industry("F5223", (10, 60, 0, 0, 0), "果业", "水果店", True),
    _Industry("F5226", (20, 50, 0, 0, 0), "茶业", "茶叶店", True),
    _Industry("F5232", (30, 80, 0, 0, 0), "服饰", "服装店"),
    _Industry("F5251", (20, 20, 0, 0, 0), "医药", "大药房"),
    _Industry("F5127", (40, 10, 0, 0, 0), "食品贸易", "食品商行", True),
    _Industry("F5132", (30, 20, 0, 0, 0), "服装", "服装商行"),
    _Industry("F5174", (30, 30, 0, 0, 0), "五金", "五金店"),
    _Industry("F5176", (30, 10, 0, 0, 0), "电子", "电脑商行"),
    _Industry("H6210", (40, 60, 0, 0, 0), "餐饮管理", "饭店", True, 80),
    _Industry("H6220", (20, 80, 0, 0, 0), "餐饮", "小吃店", True),
    _Industry("H6231", (10, 20, 0, 0, 0), "茶馆", "茶室", True),
    _Industry("H6110", (10, 5, 0, 0, 0), "酒店管理", "宾馆", False, 600),
    _Industry("C13", (20, 5, 0, 0, 0), "农副食品", "食品加工店", True, 300, 150),
    _Industry("C14", (25, 5, 0, 0, 0), "食品", "糕点坊", True, 300, 100),
    _Industry("C15", (15, 0, 0, 0, 0), "饮品", "饮品店", True, 300, 150),
    _Industry("I6513", (60, 0, 0, 0, 0), "网络科技", "网络工作室", False, 5),
    _Industry("I6519", (30, 0, 0, 0, 0), "信息技术", "电脑服务部", False, 5),
    _Industry("E4790", (40, 0, 0, 0, 0), "建筑工程", "装修队", False, 200, 10),
    _Industry("K7010", (15, 0, 0, 0, 0), "房地产开发", "房产中介", False, 100),
    _Industry("L72", (50, 5, 0, 0, 0), "企业管理咨询", "咨询服务部", False, 5),
    _Industry("G54", (20, 10, 0, 0, 0), "物流", "货运部", False, 150),
    _Industry("O80", (10, 60, 0, 0, 0), "家政服务", "美容美发店", False, 5),
    _Industry("A01", (0, 0, 60, 0, 0), "果蔬", "果蔬", True, 0),
    _Industry("A05", (0, 0, 40, 0, 0), "农机", "农机", False, 100),
    _Industry("", (0, 0, 0, 1, 1), "", "", False, 0),
)
COOP_WORDS = {"A01": "果蔬专业合作社", "A05": "农机专业合作社"}
COMPANY_SUFFIXES = ("有限公司", "有限责任公司", "股份有限公司")
COMPANY_SUFFIX_WEIGHTS = (880, 90, 30)
STATUSES = ("存续", "注销", "吊销", "迁出", "停业")
STATUS_WEIGHTS = (900, 40, 30, 15, 15)
RISKS = ("A类", "B类", "C类", "D类", "")
RISK_WEIGHTS = (300, 480, 150, 50, 20)
TAG_FOOD, TAG_EQUIPMENT, TAG_POLLUTION = "食品经营", "特种设备使用单位", "重点排污单位"
FOOD_PERMILLE = 850
LAST_INSPECTED_PERMILLE = 200
ROOM_PERMILLE = 300

QUALIFICATIONS = ("食品", "特种设备", "药品", "计量")
QUALIFICATION_PERMILLE = (500, 250, 150, 150)
REASONS = ("近亲属任职", "曾在该企业任职", "投资关系", "近亲属投资", "其他利害关系")
REASON_WEIGHTS = (40, 30, 15, 10, 5)


# -- derived vocabulary (once per config) ---------------------------------------------------
@dataclass(frozen=True)
class _Frame:
    """Everything a block of entity rows is built from."""

    config: CityConfig
    city: str                  # 杭州
    district: str              # 西湖区
    address_head: str          # 浙江省杭州市西湖区
    regions: tuple[str, ...]
    region_lut: np.ndarray
    region_ascii: np.ndarray   # (R, 6) uint8
    units: tuple[str, ...]
    unit_lut: np.ndarray
    kind_lut: np.ndarray
    industry_luts: tuple[np.ndarray, ...]       # per kind
    tails: np.ndarray          # object (kinds, industries, suffixes): name after the trade name
    prefixes: np.ndarray       # object (kinds,)
    pool: np.ndarray           # object: 2-character trade-name words
    trade_words: int           # words per trade name
    trade_scramble: tuple[int, int, int]
    ma_scramble: tuple[int, int]
    legacy_scramble: tuple[int, int]
    regno_scramble: tuple[int, int]
    streets: np.ndarray
    numbers: np.ndarray
    rooms: np.ndarray
    dates: np.ndarray
    forced: dict[int, int]


def _names_of(config: CityConfig) -> tuple[str, str]:
    """City (short, 杭州) and district (full, 西湖区), read from the first department's name."""
    m = re.match(r"^(?:(?P<city>[^市区县]{2,4}?)市)?(?P<district>[^市区县]{1,4}?[区县旗])", config.departments[0])
    if m and m.group("city"):
        return m.group("city"), m.group("district")
    fake = _faker(config.seed, "places")
    city = next(c for c in (fake.city_name() for _ in range(100)) if len(c) == 2)
    return city, (m.group("district") if m else city + "区")


def _faker(seed: str, purpose: str) -> Faker:
    fake = Faker("zh_CN")
    fake.seed_instance(int.from_bytes(_digest(seed, "faker." + purpose, 0)[:8], "big"))
    return fake


def _check_config(config: CityConfig) -> None:
    for name, low, high in (("entities", 1, MAX_ENTITIES), ("inspectors", 2, 100_000), ("experts", 0, 10_000),
                            ("units", 0, 1000), ("conflicts", 0, 10**6), ("history", 0, 10**6)):
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValidationError("synth.range", name=name, low=low, high=high, value=value)
    if not gb2260.is_valid(config.county) or gb2260.level(config.county) != "county":
        raise ValidationError("synth.county", county=config.county)
    if not config.departments or len(set(config.departments)) != len(config.departments):
        raise ValidationError("synth.departments")


def _regions(county: str) -> tuple[str, ...]:
    """The county first, then its prefecture and sibling counties."""
    pref = county[:4]
    siblings = PREFECTURE_COUNTIES.get(pref, tuple(f"{d:02d}" for d in range(2, 13)))
    return (county, pref + "00", *(pref + s for s in siblings if pref + s != county))


def _trade_pool(seed: str, forbidden: frozenset[str]) -> np.ndarray:
    """Distinct two-character trade-name words built from faker's company, name and place parts."""
    chars = sorted({c for p in _Company.company_prefixes for c in p if "\u4e00" <= c <= "\u9fff"}
                   - set("公司区件机脑村城市网电软数算字中国") - forbidden)
    words = {p for p in (*_Company.company_prefixes, *_Person.first_names, *_Address.districts) if len(p) == 2}
    words |= {a + b for a in chars for b in chars if a != b}
    words = {w for w in words if w[0] not in forbidden and all("\u4e00" <= c <= "\u9fff" for c in w)}
    return np.array(_order(seed, "trade-pool", sorted(words)), dtype=object)


def _forbidden_after(prefixes: Sequence[str]) -> frozenset[str]:
    """Characters that may not start a trade name: where one name prefix continues another."""
    return frozenset(q[len(p)] for p in prefixes for q in prefixes if len(q) > len(p) and q.startswith(p))


def _safe(values: Sequence[str]) -> None:
    """The fast CSV path writes cells unquoted, so no vocabulary may need quoting."""
    bad = [v for v in values if any(c in v for c in ',"\r\n')]
    assert not bad, bad


@lru_cache(maxsize=8)
def _frame(config: CityConfig) -> _Frame:
    _check_config(config)
    seed, n = config.seed, config.entities
    city, district = _names_of(config)
    province = config.county[:2]
    head = PROVINCES[province] + ("" if province in MUNICIPALITIES else city + "市") + district
    regions = _regions(config.county)
    region_weights = [8500, 500] + [1000 // max(1, len(regions) - 2)] * (len(regions) - 2)
    places = UNIT_PLACES.get(config.county, GENERIC_PLACES)
    units = tuple(f"{district}市场监管局{places[u]}所" if u < len(places) else f"{district}市场监管局第{u + 1}所"
                  for u in range(config.units))
    unit_weights = [2 + _uint(seed, "unit-weight", u, 4) for u in range(len(units))]
    groups = (0, 1, 2, 3, 4, 0)          # which INDUSTRIES weight column each kind uses
    industry_luts = tuple(_lut([ind.weights[g] for ind in INDUSTRIES]) for g in groups)
    prefixes = [city, district, city, district, city, city]
    pool = _trade_pool(seed, _forbidden_after(prefixes))
    words = 1
    while len(pool) ** words < n:
        words += 1
    modulus = len(pool) ** words
    tails = np.empty((len(KINDS), len(INDUSTRIES), len(COMPANY_SUFFIXES)), dtype=object)
    for k in range(len(KINDS)):
        for i, ind in enumerate(INDUSTRIES):
            for s, suffix in enumerate(COMPANY_SUFFIXES):
                tails[k, i, s] = {K91: ind.company + suffix, KREG: ind.company + suffix, K92: ind.shop,
                                  K93: COOP_WORDS.get(ind.code, "专业合作社"), KN2: "村股份经济合作社",
                                  KY1: "服务中心"}[k]
    streets = sorted({c + s for c in (*_Address.districts, *_Address.cities) for s in ("路", "街", "大道")})
    rooms = [f"{b}幢{f}{r:02d}室" for b in range(1, 13) for f in range(1, 19) for r in (1, 2, 3)]
    dates = [(config.as_of - timedelta(days=d)).isoformat() for d in range(30, 3 * 365)]
    _safe([*units, *streets, *rooms, *tails.ravel(), *pool, head])
    forced_kinds = (K91, K92, K93, KN2, KREG, KY1)[:n]
    forced: dict[int, int] = {}
    for k in forced_kinds:
        pos = _uint(seed, "forced", k, n)
        while pos in forced:
            pos = (pos + 1) % n
        forced[pos] = k
    return _Frame(
        config=config, city=city, district=district, address_head=head,
        regions=regions, region_lut=_lut(region_weights),
        region_ascii=np.frombuffer("".join(regions).encode(), dtype=np.uint8).reshape(-1, 6),
        units=units, unit_lut=_lut(unit_weights) if units else np.zeros(65536, dtype=np.int64),
        kind_lut=_lut(KIND_WEIGHTS), industry_luts=industry_luts, tails=tails,
        prefixes=np.array(prefixes, dtype=object), pool=pool, trade_words=words,
        trade_scramble=(*_coprime(seed, "trade", modulus), modulus),
        ma_scramble=_coprime(seed, "org-ma", 31**6), legacy_scramble=_coprime(seed, "org-legacy", 10**8),
        regno_scramble=_coprime(seed, "regno", 10**8),
        streets=np.array(_order(seed, "streets", streets), dtype=object),
        numbers=np.array([f"{i}号" for i in range(1, 1000)], dtype=object),
        rooms=np.array(rooms, dtype=object), dates=np.array(dates, dtype=object), forced=forced)


# -- entities -----------------------------------------------------------------------------
_ALPHA_ASCII = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)
_VALUE = np.full(256, 0, dtype=np.int64)
_B36 = np.full(256, 0, dtype=np.int64)
for _i, _c in enumerate(ALPHABET):
    _VALUE[ord(_c)] = _i
    _B36[ord(_c)] = int(_c, 36)
_W17 = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
_ORG_W = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_ORG_CHECK = np.frombuffer(b"0123456789X0", dtype=np.uint8)   # index 11 - (s mod 11)


def _digits(values: np.ndarray, base: int, width: int) -> np.ndarray:
    """(n, width) most-significant-first digits of ``values`` in ``base``."""
    out = np.empty((len(values), width), dtype=np.int64)
    v = values.copy()
    for pos in range(width - 1, -1, -1):
        v, out[:, pos] = np.divmod(v, base)
    return out


def _scramble(indices: np.ndarray, params: tuple[int, int], modulus: int) -> np.ndarray:
    k, c = params
    return (indices * (k % modulus) + c) % modulus


def _uscc_codes(f: _Frame, idx: np.ndarray, kind: np.ndarray, region: np.ndarray, legacy: np.ndarray) -> list[str]:
    """USCCs for the rows, both check characters computed column-wise."""
    m = len(idx)
    raw = np.empty((m, 18), dtype=np.uint8)
    dept = np.frombuffer("".join(k[0] or "9" for k in KINDS).encode(), dtype=np.uint8)
    sub = np.frombuffer("".join(k[1] or "1" for k in KINDS).encode(), dtype=np.uint8)
    raw[:, 0], raw[:, 1] = dept[kind], sub[kind]
    raw[:, 2:8] = f.region_ascii[region]
    ma = _digits(_scramble(idx, f.ma_scramble, 31**6), 31, 6)
    old = _digits(_scramble(idx, f.legacy_scramble, 10**8), 10, 8)
    body = np.where(legacy[:, None], old + ord("0"), np.concatenate(
        [np.full((m, 1), ord("M")), np.full((m, 1), ord("A")), _ALPHA_ASCII[ma]], axis=1))
    raw[:, 8:16] = body
    raw[:, 16] = _ORG_CHECK[11 - (_B36[raw[:, 8:16]] @ _ORG_W) % 11]
    raw[:, 17] = _ALPHA_ASCII[(-(_VALUE[raw[:, :17]] @ _W17)) % 31]
    text = raw.tobytes().decode("ascii")
    return [text[i:i + 18] for i in range(0, 18 * m, 18)]


def _entity_columns(f: _Frame, idx: np.ndarray) -> list[list[str]]:
    """The entity rows ``idx`` as columns in :data:`ENTITY_HEADER` order."""
    idx = np.asarray(idx, dtype=np.int64)
    seed, m = f.config.seed, len(idx)
    h = _words(seed, "entity", idx)
    kind = f.kind_lut[h[:, 0]]
    if f.forced:
        for pos, k in f.forced.items():
            kind[idx == pos] = k
    region = f.region_lut[h[:, 1]]
    industry = np.empty(m, dtype=np.int64)
    for k, lut in enumerate(f.industry_luts):
        mask = kind == k
        industry[mask] = lut[h[mask, 2]]
    suffix = _lut(COMPANY_SUFFIX_WEIGHTS)[h[:, 15]]
    j = _scramble(idx, f.trade_scramble[:2], f.trade_scramble[2])
    names = f.prefixes[kind]
    for word in _digits(j, len(f.pool), f.trade_words).T:
        names = names + f.pool[word]
    names = names + f.tails[kind, industry, suffix]
    legacy = h[:, 13] < np.array([_share(p) for p in LEGACY_ORG_PERMILLE])[kind]
    codes = _uscc_codes(f, idx, kind, region, legacy)
    for pos in (kind == KREG).nonzero()[0].tolist():
        first14 = f.regions[region[pos]] + f"{int(_scramble(idx[pos:pos + 1], f.regno_scramble, 10**8)[0]):08d}"
        codes[pos] = first14 + regno.calc_check_digit(first14)
    rooms = np.where(h[:, 14] < _share(ROOM_PERMILLE), f.rooms[h[:, 14] % len(f.rooms)], "")
    addresses = f.address_head + f.streets[h[:, 11] % len(f.streets)] + f.numbers[h[:, 12] % len(f.numbers)] + rooms
    ind = INDUSTRIES
    food = np.array([i.food for i in ind])[industry] & (h[:, 5] < _share(FOOD_PERMILLE))
    equipment = h[:, 6] < np.array([_share(i.equipment) for i in ind])[industry]
    pollution = h[:, 7] < np.array([_share(i.pollution) for i in ind])[industry]
    tags = np.array([";".join(sorted(t for t, on in zip((TAG_FOOD, TAG_EQUIPMENT, TAG_POLLUTION),
                                                        (c & 1, c & 2, c & 4)) if on)) for c in range(8)],
                    dtype=object)[food * 1 + equipment * 2 + pollution * 4]
    last = np.where(h[:, 9] < _share(LAST_INSPECTED_PERMILLE), f.dates[h[:, 10] % len(f.dates)], "")
    units = np.array(f.units or ("",), dtype=object)[f.unit_lut[h[:, 8]] if f.units else np.zeros(m, np.int64)]
    return [
        codes,
        names.tolist(),
        np.array([k[2] for k in KINDS], dtype=object)[kind].tolist(),
        np.array([i.code for i in ind], dtype=object)[industry].tolist(),
        [c[:6] if len(c) == 15 else c[2:8] for c in codes],
        addresses.tolist(),
        np.array(STATUSES, dtype=object)[_lut(STATUS_WEIGHTS)[h[:, 3]]].tolist(),
        units.tolist(),
        np.array(RISKS, dtype=object)[_lut(RISK_WEIGHTS)[h[:, 4]]].tolist(),
        tags.tolist(),
        last.tolist(),
        ["是"] * m,
    ]


def _chunks(config: CityConfig) -> Iterator[list[list[str]]]:
    f = _frame(config)
    for start in range(0, config.entities, CHUNK):
        yield _entity_columns(f, np.arange(start, min(start + CHUNK, config.entities), dtype=np.int64))


def entity_rows(config: CityConfig) -> Iterator[list[str]]:
    """The entity rows (without header, see :data:`ENTITY_HEADER`), streamed in blocks.

    >>> rows = list(entity_rows(CityConfig(seed="doc", entities=3)))
    >>> len(rows), len(rows[0]) == len(ENTITY_HEADER)
    (3, True)
    """
    for cols in _chunks(config):
        yield from map(list, zip(*cols))


def write_entities_csv(config: CityConfig, path: str | Path, *, reporter: Reporter = NULL) -> int:
    """Write the entity file (header and :func:`entity_rows`); returns the number of rows.

    The bytes equal what ``csv.writer`` would write: no cell needs quoting (checked on the
    vocabulary), so rows are joined directly, which is what makes ten million rows fast.
    """
    path = Path(path)
    reporter.start(i18n.text("synth.progress.entities"), config.entities)
    rows = 0
    try:
        with open(path, "w", encoding=ENCODING, newline="") as fh:
            fh.write(",".join(ENTITY_HEADER) + "\n")
            for cols in _chunks(config):
                fh.write("\n".join(map(",".join, zip(*cols))) + "\n")
                rows += len(cols[0])
                reporter.advance(len(cols[0]))
    finally:
        reporter.finish()
    return rows


# -- inspectors, items, conflicts, history -----------------------------------------------
@dataclass(frozen=True)
class _Officer:
    cert: str
    department: int
    expert: bool


def _quota_members(seed: str, purpose: str, members: Sequence[int], permille: int, minimum: int = 0) -> set[int]:
    """max(minimum, ceil(permille/1000 · len)) members, chosen by the seed."""
    ordered = sorted(members, key=lambda i: _digest(seed, purpose, i))
    return set(ordered[:max(minimum, -(-len(members) * permille // 1000))])


def _birth(seed: str, k: int) -> date:
    return date(1965, 1, 1) + timedelta(days=_uint(seed, "birth", k, 12_000))


def _ric(seed: str, places: Sequence[str], k: int, used: set[str]) -> str:
    """A valid resident ID number distinct from ``used``, or "" if no place fits the birth year.

    The birth place must have existed in the birth year (stdnum checks it), so the county
    is tried first and then the other places of the prefecture.
    """
    born = _birth(seed, k)
    seq = _uint(seed, "ric-seq", k, 1000)
    for place in places:
        for step in range(1000):
            body = f"{place}{born:%Y%m%d}{(seq + step) % 1000:03d}"
            number = body + ric.calc_check_digit(body)
            if not ric.is_valid(number):
                break
            if number not in used:
                used.add(number)
                return number
    return ""


def _inspectors(config: CityConfig, f: _Frame) -> tuple[list[list[str]], list[_Officer]]:
    seed, n, depts = config.seed, config.inspectors, config.departments
    order = sorted(range(n), key=lambda i: _digest(seed, "officer-order", i))
    first = n if len(depts) == 1 else -(-n * 8 // 10)
    dept = {officer: 0 if pos < first else 1 + (pos - first) % (len(depts) - 1) for pos, officer in enumerate(order)}
    market = [i for i in range(n) if dept[i] == 0]
    quals = {q: _quota_members(seed, "qual." + q, market, p, 2) for q, p in zip(QUALIFICATIONS, QUALIFICATION_PERMILLE)}
    keep = set(sorted(quals["食品"])[:2])
    absent = sorted(set(range(n)) - keep, key=lambda i: _digest(seed, "absent", i))[:n // 10]
    at_bureau = _quota_members(seed, "bureau", market, 150) if f.units else set(market)
    in_units = [i for i in sorted(market, key=lambda i: _digest(seed, "unit-order", i)) if i not in at_bureau]
    unit_of = {i: f.units[pos % len(f.units)] for pos, i in enumerate(in_units)}
    fake = _faker(seed, "inspectors")
    places = (config.county, *_order(seed, "birth-places", f.regions[1:]))
    used: set[str] = set()
    year_seq: dict[int, int] = {}
    rows: list[list[str]] = []
    officers: list[_Officer] = []
    for i in range(n + config.experts):
        expert = i >= n
        name = fake.name()
        if expert:
            cert, d = f"ZJK{config.county}{i - n + 1:04d}", 0
            q = QUALIFICATIONS[(i - n) % len(QUALIFICATIONS)]
            unit, status, capacity = depts[0], "在岗", 10 + _uint(seed, "capacity", i, 11)
        else:
            year = max(2008 + _uint(seed, "cert-year", i, 17), _birth(seed, i).year + 23)
            year_seq[year] = year_seq.get(year, 0) + 1
            cert, d = f"{config.county}{year}{year_seq[year]:04d}", dept[i]
            q = ";".join(sorted(q for q in QUALIFICATIONS if i in quals[q])) if d == 0 else ""
            unit = unit_of.get(i, depts[d])
            status = "在岗" if i not in absent else ("休假", "调离")[_uint(seed, "absent-kind", i, 2)]
            capacity = 10 + _uint(seed, "capacity", i, 31)
        id_card = _ric(seed, places, i, used) if _uint(seed, "has-ric", i, 10) < 8 else ""
        phone = f"1{'35789'[_uint(seed, 'phone-net', i, 5)]}{_uint(seed, 'phone', i, 10**9):09d}" \
            if _uint(seed, "has-phone", i, 10) < 9 else ""
        rows.append([cert, name, depts[d], unit, q, status, str(capacity), "是" if expert else "否", id_card, phone])
        officers.append(_Officer(cert, d, expert))
    return rows, officers


MARKET_ITEMS = (
    ("企业公示信息检查", "年度报告公示信息", "《企业信息公示暂行条例》", "企业", "书面检查", "3%", "每年1次", "", "一般"),
    ("个体工商户公示信息检查", "年度报告公示信息", "《个体工商户年度报告办法》", "个体工商户", "书面检查", "3%",
     "每年1次", "", "一般"),
    ("食品经营许可及经营行为检查", "食品销售、餐饮服务", "《中华人民共和国食品安全法》", "食品经营者", "现场检查",
     "10%", "每年1次", "食品", "重点"),
    ("特种设备使用单位检查", "电梯、锅炉、压力容器使用管理", "《中华人民共和国特种设备安全法》", "特种设备使用单位",
     "现场检查", "10%", "每年1次", "特种设备", "重点"),
    ("计量器具检查", "在用强制检定计量器具", "《中华人民共和国计量法》", "企业", "现场检查", "5%", "每年1次",
     "计量", "一般"),
    ("广告发布检查", "广告发布行为", "《中华人民共和国广告法》", "企业", "网络监测", "3%", "每年1次", "", "一般"),
    ("药品零售企业检查", "药品经营质量管理", "《中华人民共和国药品管理法》", "药品零售企业", "现场检查", "10%",
     "每年1次", "药品", "重点"),
    ("价格行为检查", "明码标价", "《中华人民共和国价格法》", "企业;个体工商户", "现场检查", "5%", "每年1次", "", "一般"),
)
ENVIRONMENT_ITEMS = (
    ("排污许可执行情况检查", "排污许可证执行报告", "《排污许可管理条例》", "重点排污单位", "现场检查", "10%",
     "每年1次", "", "重点"),
    ("危险废物规范化管理检查", "危险废物贮存与转移", "《中华人民共和国固体废物污染环境防治法》", "企业", "现场检查",
     "5%", "每年1次", "", "重点"),
)
GENERIC_ITEMS = (("日常监督检查", "", "相关法律法规", "企业", "现场检查", "3%", "每年1次", "", "一般"),)


def _items(config: CityConfig) -> list[list[str]]:
    rows = []
    for d, name in enumerate(config.departments):
        items = MARKET_ITEMS if d == 0 else ENVIRONMENT_ITEMS if "环境" in name else GENERIC_ITEMS
        for k, (title, sub, basis, target, method, ratio, freq, qual, category) in enumerate(items):
            rows.append([f"{config.county}-{d + 1:02d}-{k + 1:03d}", title, sub, basis, name, target, method,
                         ratio, freq, qual, category, "是"])
    return rows


def _pick_entities(f: _Frame, purpose: str, count: int) -> list[list[str]]:
    """``count`` entity rows chosen by the seed (with repetition), regenerated from their indices."""
    if count == 0:
        return []
    idx = np.array([_uint(f.config.seed, purpose, k, f.config.entities) for k in range(count)], dtype=np.int64)
    return [list(r) for r in zip(*_entity_columns(f, idx))]


def _conflicts(config: CityConfig, f: _Frame, officers: list[_Officer]) -> list[list[str]]:
    seed, as_of = config.seed, config.as_of
    certs = [o.cert for o in officers if not o.expert]
    entities = _pick_entities(f, "conflict-entity", 4 * config.conflicts)
    rows: list[list[str]] = []
    seen: set[tuple[str, str]] = set()
    reason_lut = _lut(REASON_WEIGHTS)
    for k, entity in enumerate(entities):
        if len(rows) == config.conflicts:
            break
        pair = (certs[_uint(seed, "conflict-officer", k, len(certs))], entity[0])
        if pair in seen:
            continue
        seen.add(pair)
        start = as_of - timedelta(days=30 + _uint(seed, "conflict-from", k, 1500))
        kind = _uint(seed, "conflict-end", k, 10)
        end = "" if kind < 6 else (as_of + timedelta(days=30 + _uint(seed, "conflict-to", k, 900)) if kind < 9
                                   else start + timedelta(days=1 + _uint(seed, "conflict-to", k, (as_of - start).days - 1)))
        rows.append([*pair, REASONS[reason_lut[_uint(seed, "conflict-reason", k, 65536)]], start.isoformat(),
                     end if isinstance(end, str) else end.isoformat()])
    if len(rows) < config.conflicts:
        raise InfeasibleError("synth.too_dense", wanted=config.conflicts, got=len(rows), what="回避关系")
    return rows


def _history(config: CityConfig, f: _Frame, officers: list[_Officer]) -> list[list[str]]:
    seed, as_of, depts = config.seed, config.as_of, config.departments
    by_dept = [[o.cert for o in officers if o.department == d and not o.expert] for d in range(len(depts))]
    entities = _pick_entities(f, "history-entity", 4 * config.history)
    rows: list[list[str]] = []
    seen: set[tuple[str, str, str]] = set()
    for k, entity in enumerate(entities):
        if len(rows) == config.history:
            break
        if entity[6] not in ("存续", "停业"):
            continue
        day = as_of - timedelta(days=1 + _uint(seed, "history-day", k, 730))
        while not is_workday(day):
            day -= timedelta(days=1)
        d = 0 if len(depts) == 1 or _uint(seed, "history-dept", k, 100) < 85 else 1 + _uint(
            seed, "history-dept2", k, len(depts) - 1)
        if len(by_dept[d]) < 2:
            d = 0
        key = (entity[0], day.isoformat(), depts[d])
        if key in seen:
            continue
        seen.add(key)
        pool = by_dept[d]
        first = _uint(seed, "history-team", k, len(pool))
        second = (first + 1 + _uint(seed, "history-team2", k, len(pool) - 1)) % len(pool)
        team = [pool[first]] if _uint(seed, "history-size", k, 10) == 0 else [pool[first], pool[second]]
        rows.append([*key, ";".join(team)])
    if len(rows) < config.history:
        raise InfeasibleError("synth.too_dense", wanted=config.history, got=len(rows), what="检查记录")
    return sorted(rows, key=lambda r: (r[1], r[0]))


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", encoding=ENCODING, newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def generate(config: CityConfig, out_dir: str | Path, *, reporter: Reporter = NULL) -> City:
    """Synthesise a county into ``out_dir`` as five CSV files in the import formats.

    Import them in the order items, entities, inspectors, conflicts, history.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    f = _frame(config)
    city = City(entities_csv=out / "entities.csv", inspectors_csv=out / "inspectors.csv",
                items_csv=out / "items.csv", conflicts_csv=out / "conflicts.csv", history_csv=out / "history.csv")
    entities = write_entities_csv(config, city.entities_csv, reporter=reporter)
    reporter.start(i18n.text("synth.progress.other"), None)
    try:
        inspectors, officers = _inspectors(config, f)
        items = _items(config)
        conflicts = _conflicts(config, f, officers)
        history = _history(config, f, officers)
    finally:
        reporter.finish()
    _write(city.inspectors_csv, INSPECTOR_HEADER, inspectors)
    _write(city.items_csv, ITEM_HEADER, items)
    _write(city.conflicts_csv, CONFLICT_HEADER, conflicts)
    _write(city.history_csv, HISTORY_HEADER, history)
    city.counts = {"entities": entities, "inspectors": config.inspectors, "experts": config.experts,
                   "items": len(items), "conflicts": len(conflicts), "history": len(history),
                   "departments": len(config.departments), "units": len(f.units)}
    return city
