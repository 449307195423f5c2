"""The entity draw "shuangsuiji-draw/1": commitment, seed, tickets, selection.

Everything here is a pure function of its arguments (SHA-256 and integer arithmetic
only) so that an outsider can re-run a draw from the published record and get the same
entities.  The normative text is ``docs/algorithm.md``; this module implements it.

The protocol, in the order a task runs it:

1. :func:`summarise` the eligible population per stratum (sizes, quotas, digests);
2. publish :func:`commitment` over the task parameters and those summaries;
3. take a public value at a witnessed ceremony and :func:`derive_seed`;
4. :func:`select` with ``subkey(seed, "entity")``; anyone can check one entity with
   :func:`is_drawn`.
"""
from __future__ import annotations

import bisect
import hashlib
import math
import mmap
import multiprocessing
import os
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from fractions import Fraction
from multiprocessing.sharedctypes import Synchronized

import numpy as np

from . import i18n
from .errors import ShuangsuijiError, ValidationError

__all__ = [
    "ALGORITHM", "PARALLEL_MIN", "WHITESPACE",
    "DrawInputError", "RatioError", "QuotaError", "EntityIdError", "CanonicalJSONError",
    "TicketWorkerError",
    "StratumSummary", "StratumResult", "DrawResult",
    "parse_ratio", "format_ratio", "quota", "canonical_json", "population_digest",
    "commitment", "normalise_public_value", "derive_seed", "subkey", "tickets", "start_tickets",
    "PendingTickets",
    "stratum_sizes", "summarise", "select", "is_drawn", "id_array",
]

ALGORITHM = "shuangsuiji-draw/1"
SEED_DOMAIN = b"shuangsuiji/seed/v1"
PARALLEL_MIN = 200_000
"""Below this many IDs, :func:`tickets` hashes in-process unless told otherwise."""

WHITESPACE = (
    "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
"""Characters stripped from both ends of the public value (fixed, not locale-dependent)."""

JSON_INT_MAX = 2**53 - 1
_U64_MAX = 2**64 - 1
_HASH_BLOCK = 1 << 14
_SCHED_BLOCK = 1 << 16
_HASH_SUB = 512
_CHECK_BLOCK = 1 << 16
_DIGEST_BLOCK = 1 << 16
_MAX_DEPTH = 64


class DrawInputError(ValidationError):
    """Arrays or records given to the draw are malformed."""

    code = "sampling.input"


class RatioError(DrawInputError):
    code = "sampling.ratio.syntax"


class QuotaError(DrawInputError):
    code = "sampling.quota.rule"


class EntityIdError(DrawInputError):
    code = "sampling.id.invalid"


class CanonicalJSONError(DrawInputError):
    code = "sampling.json.type"


class TicketWorkerError(ShuangsuijiError):
    """A hashing worker process died; nothing was returned."""

    code = "sampling.worker_failed"


i18n.register({
    "sampling.input": {"zh": "抽取输入不正确：{what}", "en": "invalid draw input: {what}"},
    "sampling.input.shape": {
        "zh": "{what} 的形状或类型不正确：应为 {expected}，实际为 {got}",
        "en": "{what} has the wrong shape or type: expected {expected}, got {got}"},
    "sampling.input.key_length": {
        "zh": "{what} 应为 {expected} 字节，实际为 {got} 字节",
        "en": "{what} must be {expected} bytes, got {got}"},
    "sampling.stratum.index": {
        "zh": "第 {row} 行的分层编号 {value} 超出范围（共 {count} 个分层）",
        "en": "row {row}: stratum index {value} is out of range ({count} strata)"},
    "sampling.stratum.key": {
        "zh": "分层键必须是非空文本：{value}", "en": "a stratum key must be a non-empty text: {value}"},
    "sampling.stratum.duplicate": {
        "zh": "分层键重复（按 NFC 规范化后比较）：{key}",
        "en": "duplicate stratum key (compared after NFC normalisation): {key}"},
    "sampling.stratum.count": {
        "zh": "分层数与抽取数量个数不一致：{keys} 个分层，{quotas} 个数量",
        "en": "{keys} strata but {quotas} quotas"},
    "sampling.summary.digest": {
        "zh": "分层 {key} 的名录摘要不是 64 位十六进制：{value}",
        "en": "stratum {key}: the population digest is not 64 hex digits: {value}"},
    "sampling.ratio.syntax": {
        "zh": "抽查比例“{text}”格式不正确，应写作 3%、2.5%、0.03 或 3/100",
        "en": "cannot read the ratio '{text}'; write it like 3%, 2.5%, 0.03 or 3/100"},
    "sampling.ratio.range": {
        "zh": "抽查比例“{text}”超出范围，应在 0 到 100% 之间（百分之三请写 3%）",
        "en": "the ratio '{text}' is out of range; it must be between 0 and 100% (write 3% for three percent)"},
    "sampling.ratio.type": {
        "zh": "抽查比例必须是精确分数（如 3/100），不能是二进制浮点数：{value}",
        "en": "a ratio must be an exact fraction (such as 3/100), not a binary float: {value}"},
    "sampling.quota.rule": {
        "zh": "抽取数量规则须且只能给出比例或固定数量之一",
        "en": "give exactly one of a ratio or a fixed count"},
    "sampling.quota.minimum_with_count": {
        "zh": "固定数量规则不能再设最低数量", "en": "a minimum cannot be combined with a fixed count"},
    "sampling.quota.integer": {
        "zh": "{name} 必须是非负整数：{value}", "en": "{name} must be a non-negative integer: {value}"},
    "sampling.quota.exceeds": {
        "zh": "分层 {key} 的抽取数量 {quota} 超过其可抽主体数 {size}",
        "en": "stratum {key}: quota {quota} exceeds its {size} eligible entities"},
    "sampling.id.invalid": {
        "zh": "第 {row} 行的主体标识 {value} 无效：只能由可打印 ASCII 字符（不含空格）组成且不能为空",
        "en": "row {row}: entity ID {value} is invalid: it must be non-empty printable ASCII without spaces"},
    "sampling.id.duplicate": {
        "zh": "主体标识重复：{value}（每个主体只能出现一次）",
        "en": "duplicate entity ID {value} (each entity may appear only once)"},
    "sampling.json.type": {
        "zh": "规范 JSON 不支持 {path} 处的 {type} 类型值（比例请写成 \"p/q\" 文本）",
        "en": "canonical JSON does not allow a {type} at {path} (write ratios as \"p/q\" strings)"},
    "sampling.json.int_range": {
        "zh": "{path} 处的整数 {value} 超出 ±(2^53−1) 范围",
        "en": "the integer {value} at {path} is outside ±(2^53−1)"},
    "sampling.json.key": {
        "zh": "{path} 处的对象键必须是文本：{value}", "en": "object keys at {path} must be strings: {value}"},
    "sampling.json.duplicate_key": {
        "zh": "{path} 处的对象键 {key} 在 NFC 规范化后重复",
        "en": "object key {key} at {path} is duplicated after NFC normalisation"},
    "sampling.json.string": {
        "zh": "{path} 处的文本含有无法编码为 UTF-8 的字符", "en": "the string at {path} cannot be encoded as UTF-8"},
    "sampling.json.depth": {
        "zh": "{path} 处嵌套过深（最多 {limit} 层）", "en": "nesting too deep at {path} (at most {limit} levels)"},
    "sampling.seed.commitment": {
        "zh": "承诺值必须是 64 位十六进制：{value}", "en": "the commitment must be 64 hex digits: {value}"},
    "sampling.seed.round": {
        "zh": "抽取轮次必须是 1 到 4294967295 之间的整数：{value}",
        "en": "the draw round must be an integer from 1 to 4294967295: {value}"},
    "sampling.seed.public_value": {
        "zh": "公开随机值不能为空，且必须是可编码为 UTF-8 的文本",
        "en": "the public random value must be a non-empty text encodable as UTF-8"},
    "sampling.worker_failed": {
        "zh": "计算签号的子进程异常退出（退出码 {exitcode}），请重试",
        "en": "a ticket worker process failed (exit code {exitcode}); please retry"},
})


# ---------------------------------------------------------------- records

@dataclass(frozen=True)
class StratumSummary:
    """What the commitment says about one stratum before anyone knows the seed."""

    key: str
    size: int
    quota: int
    digest: str


@dataclass(frozen=True)
class StratumResult:
    """One stratum after the draw; the threshold is the one-hash inclusion proof."""

    key: str
    size: int
    quota: int
    threshold_ticket: int | None
    threshold_id: str | None


@dataclass
class DrawResult:
    """``selected`` indexes the input rows, by stratum key then (ticket, ID)."""

    selected: np.ndarray
    tickets: np.ndarray
    strata: list[StratumResult]


# ---------------------------------------------------------------- ratios and quotas

_FRACTION_RE = re.compile(r"([0-9]+)\s*/\s*([0-9]+)")
_DECIMAL_RE = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*(%?)")


def parse_ratio(text: str) -> Fraction:
    """Read a sampling ratio (抽查比例) exactly, never through a binary float.

    Full-width forms (３％, ３／１００) are accepted because people type them.

    >>> parse_ratio("3%"), parse_ratio("0.03"), parse_ratio("2.5%"), parse_ratio("3/100")
    (Fraction(3, 100), Fraction(3, 100), Fraction(1, 40), Fraction(3, 100))
    >>> parse_ratio("3e-2")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    shuangsuiji.sampling.RatioError: sampling.ratio.syntax
    """
    if not isinstance(text, str):
        raise RatioError("sampling.ratio.type", value=repr(text))
    s = unicodedata.normalize("NFKC", text).strip()
    if s.startswith("-") and _DECIMAL_RE.fullmatch(s[1:].strip()):
        raise RatioError("sampling.ratio.range", text=text)
    m = _FRACTION_RE.fullmatch(s)
    if m:
        if int(m.group(2)) == 0:
            raise RatioError("sampling.ratio.syntax", text=text)
        value = Fraction(int(m.group(1)), int(m.group(2)))
    else:
        m = _DECIMAL_RE.fullmatch(s)
        if not m:
            raise RatioError("sampling.ratio.syntax", text=text)
        value = Fraction(m.group(1)) / (100 if m.group(2) else 1)
    if value > 1:
        raise RatioError("sampling.ratio.range", text=text)
    return value


def format_ratio(ratio: Fraction) -> str:
    """The canonical "p/q" text that travels in task parameters.

    >>> format_ratio(Fraction(3, 100)), format_ratio(Fraction(1)), format_ratio(Fraction(0))
    ('3/100', '1/1', '0/1')
    """
    ratio = _as_fraction(ratio)
    return f"{ratio.numerator}/{ratio.denominator}"


def quota(n: int, *, ratio: Fraction | None = None, count: int | None = None,
          minimum: int = 0) -> int:
    """Sample size of a stratum of ``n``: floors round up (不低于), small strata go whole.

    >>> quota(101, ratio=Fraction(3, 100)), quota(0, ratio=Fraction(3, 100))
    (4, 0)
    >>> quota(5, ratio=Fraction(3, 100), minimum=10), quota(50, count=8)
    (5, 8)
    """
    n = _non_negative("n", n)
    minimum = _non_negative("minimum", minimum)
    if (ratio is None) == (count is None):
        raise QuotaError("sampling.quota.rule")
    if count is not None:
        if minimum:
            raise QuotaError("sampling.quota.minimum_with_count")
        k = _non_negative("count", count)
    else:
        r = _as_fraction(ratio)
        k = max((n * r.numerator + r.denominator - 1) // r.denominator, minimum)
    return min(k, n)


def _as_fraction(ratio: object) -> Fraction:
    if isinstance(ratio, bool) or not isinstance(ratio, (Fraction, int)):
        raise RatioError("sampling.ratio.type", value=repr(ratio))
    value = Fraction(ratio)
    if not 0 <= value <= 1:
        raise RatioError("sampling.ratio.range", text=str(value))
    return value


def _non_negative(name: str, value: object) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 0:
        raise QuotaError("sampling.quota.integer", name=name, value=repr(value))
    return int(value)


# ---------------------------------------------------------------- canonical JSON

_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n",
                 "\r": "\\r", "\t": "\\t"}
_JSON_ESCAPE_RE = re.compile('[\x00-\x1f"\\\\]')


def canonical_json(obj: object) -> bytes:
    """The one byte string a value hashes as, so that every implementation agrees.

    >>> canonical_json({"b": [1, True, None], "a": "税"}).decode()
    '{"a":"税","b":[1,true,null]}'
    """
    out: list[str] = []
    _emit(obj, out, "$", 0)
    return "".join(out).encode("utf-8")


def _emit(value: object, out: list[str], path: str, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise CanonicalJSONError("sampling.json.depth", path=path, limit=_MAX_DEPTH)
    if value is None:
        out.append("null")
    elif value is True or value is False:
        out.append("true" if value else "false")
    elif isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > JSON_INT_MAX:
            raise CanonicalJSONError("sampling.json.int_range", value=str(value), path=path)
        out.append(str(int(value)))
    elif isinstance(value, str):
        out.append(_json_string(value, path))
    elif isinstance(value, Mapping):
        items: dict[str, object] = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise CanonicalJSONError("sampling.json.key", path=path, value=repr(k))
            nk = unicodedata.normalize("NFC", k)
            if nk in items:
                raise CanonicalJSONError("sampling.json.duplicate_key", key=nk, path=path)
            items[nk] = v
        out.append("{")
        for i, k in enumerate(sorted(items)):
            if i:
                out.append(",")
            out.append(_json_string(k, path))
            out.append(":")
            _emit(items[k], out, f"{path}.{k}", depth + 1)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, v in enumerate(value):
            if i:
                out.append(",")
            _emit(v, out, f"{path}[{i}]", depth + 1)
        out.append("]")
    else:
        raise CanonicalJSONError("sampling.json.type", type=type(value).__name__, path=path)


def _json_string(value: str, path: str) -> str:
    s = unicodedata.normalize("NFC", value)
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise CanonicalJSONError("sampling.json.string", path=path) from None
    escaped = _JSON_ESCAPE_RE.sub(
        lambda m: _JSON_ESCAPES.get(m.group(), f"\\u{ord(m.group()):04x}"), s)
    return f'"{escaped}"'


# ---------------------------------------------------------------- IDs and strata

def _as_ids(ids: Sequence[bytes] | Sequence[str] | np.ndarray, *, check: bool = True) -> np.ndarray:
    """A 1-D contiguous ``S`` array; ``check`` enforces the ID alphabet."""
    if isinstance(ids, np.ndarray) and ids.dtype.kind in "SU":
        if ids.ndim != 1:
            raise DrawInputError("sampling.input.shape", what="ids", expected="1-D",
                                 got=f"{ids.ndim}-D")
        if ids.dtype.kind == "U":
            try:
                ids = ids.astype(f"S{max(ids.dtype.itemsize // 4, 1)}")
            except UnicodeEncodeError:
                return _as_ids(ids.tolist(), check=check)
        arr = np.ascontiguousarray(ids)
    else:
        raw: list[bytes] = []
        for row, x in enumerate(ids):
            if isinstance(x, str):
                try:
                    x = x.encode("ascii")
                except UnicodeEncodeError:
                    raise EntityIdError(row=row, value=repr(x)) from None
            if not isinstance(x, bytes) or not x or not _printable(x):
                raise EntityIdError(row=row, value=repr(x))
            raw.append(x)
        width = max((len(x) for x in raw), default=1)
        arr = np.array(raw, dtype=f"S{width}") if raw else np.empty(0, dtype="S1")
    if check:
        _check_ids(arr)
    return arr


def id_array(ids: Sequence[str] | Sequence[bytes]) -> np.ndarray:
    """IDs as a 1-D ``S`` array, checked against the ID alphabet (printable ASCII).

    >>> id_array(["A1", "B"]).tolist()
    [b'A1', b'B']
    """
    if not isinstance(ids, np.ndarray) and len(ids) and all(type(x) is str for x in ids):
        return _as_ids(np.array(ids, dtype="U"))
    return _as_ids(ids)


def _printable(x: bytes) -> bool:
    return all(0x21 <= c <= 0x7E for c in x)


_ID_BYTE = np.full(256, 2, np.uint8)
_ID_BYTE[0] = 0
_ID_BYTE[0x21:0x7F] = 1


def _lowest_non_nul(u: np.ndarray) -> int:
    """The smallest byte other than NUL (256 when all are NUL), a block at a time into one
    reused buffer: NUL - 1 wraps to 0xFF."""
    flat = u.reshape(-1)
    buf = np.empty(min(len(flat), _CHECK_BLOCK * 16), np.uint8)
    low = 0xFF
    for a in range(0, len(flat), len(buf)):
        part = buf[:min(len(buf), len(flat) - a)]
        np.subtract(flat[a:a + len(part)], 1, out=part)
        low = min(low, int(part.min()))
    return low + 1


def _check_ids(ids: np.ndarray) -> None:
    """Non-empty, bytes 0x21..0x7E only; NUL is numpy's trailing padding, never inside."""
    n, w = len(ids), ids.dtype.itemsize
    u = ids.view(np.uint8).reshape(n, w)
    if n and int(u.max()) <= 0x7E and _lowest_non_nul(u) >= 0x21:
        # every byte is printable or NUL (NUL - 1 wraps to 0xFF); then the IDs are valid when
        # none is empty and no NUL precedes a printable byte, i.e. when the printable bytes
        # number exactly the lengths up to each ID's last printable byte
        lengths = np.char.str_len(ids)
        if int(lengths.min()) > 0 and int(np.count_nonzero(u)) == int(lengths.sum(dtype=np.int64)):
            return
    for a in range(0, n, _CHECK_BLOCK):
        v = _ID_BYTE[u[a:a + _CHECK_BLOCK]]
        bad = (v.max(axis=1) > 1) | (v[:, 0] == 0)
        if w > 1:
            bad |= (v[:, 1:] > v[:, :-1]).any(axis=1)
        if bad.any():
            row = a + int(np.argmax(bad))
            raise EntityIdError(row=row, value=repr(ids[row]))


def _as_key(key: bytes, what: str) -> bytes:
    if not isinstance(key, (bytes, bytearray)) or len(key) != 32:
        got = len(key) if isinstance(key, (bytes, bytearray)) else type(key).__name__
        raise DrawInputError("sampling.input.key_length", what=what, expected=32, got=got)
    return bytes(key)


def _norm_keys(stratum_keys: Sequence[str]) -> list[str]:
    keys: list[str] = []
    seen: set[str] = set()
    for k in stratum_keys:
        if not isinstance(k, str) or not k:
            raise DrawInputError("sampling.stratum.key", value=repr(k))
        nk = unicodedata.normalize("NFC", k)
        if nk in seen:
            raise DrawInputError("sampling.stratum.duplicate", key=nk)
        seen.add(nk)
        keys.append(nk)
    return keys


def _key_order(keys: Sequence[str]) -> list[int]:
    return sorted(range(len(keys)), key=lambda i: keys[i].encode("utf-8"))


def _as_codes(stratum_of: np.ndarray | Sequence[int], n_strata: int, n: int) -> np.ndarray:
    """Stratum indices as the narrowest unsigned type (uint16 sorts by radix)."""
    codes = np.asarray(stratum_of)
    if codes.shape != (n,) or (n and codes.dtype.kind not in "iu"):
        raise DrawInputError("sampling.input.shape", what="stratum_of",
                             expected=f"({n},) integers", got=f"{codes.shape} {codes.dtype}")
    if n:
        lo, hi = int(codes.min()), int(codes.max())
        if lo < 0 or hi >= n_strata:
            row = int(np.argmax((codes < 0) | (codes >= n_strata)))
            raise DrawInputError("sampling.stratum.index", row=row, value=int(codes[row]),
                                 count=n_strata)
    return codes.astype(np.uint16 if n_strata <= 1 << 16 else np.uint32, copy=False)


def _as_quotas(quotas: Sequence[int], keys: Sequence[str], counts: np.ndarray) -> list[int]:
    if len(quotas) != len(keys):
        raise DrawInputError("sampling.stratum.count", keys=len(keys), quotas=len(quotas))
    out = [_non_negative("quota", q) for q in quotas]
    for key, k, size in zip(keys, out, counts.tolist()):
        if k > size:
            raise QuotaError("sampling.quota.exceeds", key=key, quota=k, size=size)
    return out


def stratum_sizes(stratum_of: np.ndarray | Sequence[int], n_strata: int) -> list[int]:
    """Eligible entities per stratum index, to feed :func:`quota`.

    >>> stratum_sizes(np.array([0, 2, 2]), 3)
    [1, 0, 2]
    """
    codes = _as_codes(stratum_of, n_strata, len(stratum_of))
    return np.bincount(codes, minlength=n_strata).tolist()


# ---------------------------------------------------------------- digests and commitment

def population_digest(ids: Sequence[bytes] | np.ndarray) -> str:
    """D_s: SHA-256 over the IDs in ascending byte order, each followed by a newline.

    >>> population_digest([b"B", b"A"]) == hashlib.sha256(b"A\\nB\\n").hexdigest()
    True
    """
    arr = _as_ids(ids)
    return _grouped_digests(arr, np.zeros(len(arr), np.uint16), 1)[0]


def _grouped_digests(ids: np.ndarray, codes: np.ndarray, n_strata: int) -> list[str]:
    """Digest of every stratum with one string sort; rejects duplicate IDs anywhere."""
    return _groups(ids, codes, n_strata, with_order=False)[0]


def _groups(ids: np.ndarray, codes: np.ndarray, n_strata: int, *,
            with_order: bool) -> tuple[list[str], np.ndarray | None, np.ndarray]:
    """The strata's digests, the row order that grouped them (stratum index, then ID; None
    when the rows already are, or when not ``with_order``) and the IDs in that order;
    rejects duplicate IDs anywhere."""
    n, w = len(ids), ids.dtype.itemsize
    if n == 0:
        return [hashlib.sha256(b"").hexdigest()] * n_strata, None, ids
    if bool((ids[1:] > ids[:-1]).all()):
        # already strictly ascending (a frozen snapshot): distinct, and a stable grouping
        # by stratum keeps every stratum in order
        order = None if n_strata == 1 else np.argsort(codes, kind="stable")
        grouped = ids if order is None else np.take(ids, order)
    else:
        cw = codes.dtype.itemsize
        comp = np.empty((n, w + cw), np.uint8)
        comp[:, :w] = ids.view(np.uint8).reshape(n, w)
        comp[:, w:] = codes.astype(f">u{cw}").view(np.uint8).reshape(n, cw)
        keyed = comp.view(f"S{w + cw}").ravel()
        order = np.argsort(keyed, kind="stable") if with_order else None
        comp = (keyed[order] if with_order else np.sort(keyed)).view(np.uint8).reshape(n, w + cw)
        sid = np.ascontiguousarray(comp[:, :w]).view(f"S{w}").ravel()
        same = sid[1:] == sid[:-1]
        if same.any():
            raise EntityIdError("sampling.id.duplicate", value=repr(sid[int(np.argmax(same))]))
        sorted_codes = np.ascontiguousarray(comp[:, w:]).view(f">u{cw}").ravel()
        del comp, keyed
        by_code = None if n_strata == 1 else np.argsort(sorted_codes.astype(codes.dtype), kind="stable")
        grouped = sid if by_code is None else np.take(sid, by_code)
        if order is not None and by_code is not None:
            order = order[by_code]
    ends = np.cumsum(np.bincount(codes, minlength=n_strata)).tolist()
    return _digests_of_groups(grouped, ends), order, grouped


def _digests_of_groups(grouped: np.ndarray, ends: list[int]) -> list[str]:
    """SHA-256 of each group's records (ID then newline), the groups one after another in
    ``grouped`` and ending at ``ends``.  The records are built a block at a time in one small
    buffer: a whole copy would touch as much new memory again as the IDs."""
    n, w = len(grouped), grouped.dtype.itemsize
    hashes = [hashlib.sha256() for _ in ends]
    starts = [0, *ends[:-1]]
    buf = np.empty(min(n, _DIGEST_BLOCK), np.dtype([("id", f"S{w}"), ("nl", np.uint8)]))
    buf["nl"] = 0x0A
    for a in range(0, n, len(buf)):
        b = min(a + len(buf), n)
        buf["id"][:b - a] = grouped[a:b]
        segments = []
        s = bisect.bisect_right(ends, a)
        while s < len(ends) and starts[s] < b:
            if ends[s] > starts[s]:
                segments.append((s, max(starts[s], a) - a, min(ends[s], b) - a))
            s += 1
        _hash_records(hashes, buf[:b - a].view(np.uint8), w + 1, segments)
    return [h.hexdigest() for h in hashes]


def _hash_records(hashes: list[Any], flat: np.ndarray, stride: int, segments: list[tuple[int, int, int]]) -> None:
    """Feed fixed-``stride`` records to the hashes, the NUL padding of short IDs left out:
    ``segments`` (hash, first row, end row) cover the rows of ``flat`` in order.

    Short IDs are rare and come in runs (sorted IDs group by length): full records are hashed
    in place, and only the runs of padded ones are compacted. Many short runs fall back to
    compacting everything at once."""
    n = len(flat) // stride
    padded = np.flatnonzero(flat.reshape(n, stride)[:, stride - 2] == 0) if n else np.zeros(0, np.intp)
    breaks = np.flatnonzero(np.diff(padded) != 1) + 1
    if len(breaks) + 1 > n // 32 + 16:
        compact = flat[flat != 0]
        lengths = stride - np.count_nonzero(flat.reshape(n, stride) == 0, axis=1)
        offsets = np.concatenate(([0], np.cumsum(lengths))).tolist()
        view = memoryview(compact)
        for s, a, b in segments:
            hashes[s].update(view[offsets[a]:offsets[b]])
        return
    starts = padded[np.concatenate(([0], breaks))].tolist() if len(padded) else []
    stops = (padded[np.concatenate((breaks - 1, [len(padded) - 1]))] + 1).tolist() if len(padded) else []
    runs = list(zip(starts, stops))[::-1]
    view = memoryview(flat)
    row = 0
    for s, _, end in segments:
        h = hashes[s]
        while runs and runs[-1][0] < end:
            a, b = runs[-1]
            h.update(view[row * stride:a * stride])
            stop = min(b, end)
            part = flat[a * stride:stop * stride]
            h.update(part[part != 0])
            row = stop
            if b <= end:
                runs.pop()
            else:
                runs[-1] = (end, b)
        h.update(view[row * stride:end * stride])
        row = end


def summarise(ids: np.ndarray, stratum_of: np.ndarray, stratum_keys: Sequence[str],
              quotas: Sequence[int]) -> list[StratumSummary]:
    """Sizes, quotas and population digests per stratum, in key order (for the commitment)."""
    return summarise_groups(ids, stratum_of, stratum_keys, quotas)[0]


def summarise_groups(ids: np.ndarray, stratum_of: np.ndarray, stratum_keys: Sequence[str],
                     quotas: Sequence[int]) -> tuple[list[StratumSummary], np.ndarray | None, np.ndarray]:
    """:func:`summarise`, with the grouping it hashed: the rows in order of stratum index, then
    ID (None when they already are in that order), and the IDs in that order, so that a freeze
    stores each stratum's members without sorting them again.

    >>> s, order, grouped = summarise_groups([b"C", b"A", b"B"], [1, 0, 1], ["x", "y"], [1, 1])
    >>> order.tolist(), grouped.tolist(), [x.size for x in s]
    ([1, 2, 0], [b'A', b'B', b'C'], [1, 2])
    >>> s[1].digest == hashlib.sha256(b"B\\nC\\n").hexdigest()
    True
    """
    arr = _as_ids(ids)
    keys = _norm_keys(stratum_keys)
    codes = _as_codes(stratum_of, len(keys), len(arr))
    counts = np.bincount(codes, minlength=len(keys))
    ks = _as_quotas(quotas, keys, counts)
    digests, order, grouped = _groups(arr, codes, len(keys), with_order=True)
    return [StratumSummary(keys[i], int(counts[i]), ks[i], digests[i]) for i in _key_order(keys)], order, grouped


_HEX64 = re.compile(r"[0-9a-f]{64}")


def commitment(parameters: Mapping[str, object], strata: Sequence[StratumSummary]) -> str:
    """C: hex SHA-256 of the canonical commit object, published before the seed exists."""
    if not isinstance(parameters, Mapping):
        raise CanonicalJSONError("sampling.json.type", type=type(parameters).__name__,
                                 path="$.parameters")
    keys = _norm_keys([s.key for s in strata])
    rows = []
    for key, s in zip(keys, strata):
        size = _non_negative("size", s.size)
        k = _non_negative("quota", s.quota)
        if k > size:
            raise QuotaError("sampling.quota.exceeds", key=key, quota=k, size=size)
        if not isinstance(s.digest, str) or not _HEX64.fullmatch(s.digest):
            raise DrawInputError("sampling.summary.digest", key=key, value=repr(s.digest))
        rows.append({"key": key, "size": size, "quota": k, "digest": s.digest})
    rows.sort(key=lambda r: str(r["key"]).encode("utf-8"))
    body = {"algorithm": ALGORITHM, "parameters": parameters, "strata": rows}
    return hashlib.sha256(canonical_json(body)).hexdigest()


# ---------------------------------------------------------------- seed and keys

def normalise_public_value(public_value: str) -> str:
    """NFC, then strip :data:`WHITESPACE` (including the ideographic space U+3000).

    >>> normalise_public_value("\\u3000 2025年 第1批\\n")
    '2025年 第1批'
    """
    if not isinstance(public_value, str):
        raise DrawInputError("sampling.seed.public_value")
    v = unicodedata.normalize("NFC", public_value).strip(WHITESPACE)
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:
        raise DrawInputError("sampling.seed.public_value") from None
    if not v:
        raise DrawInputError("sampling.seed.public_value")
    return v


def derive_seed(commitment_hex: str, round_no: int, public_value: str) -> bytes:
    """seed = H("shuangsuiji/seed/v1" || 0x00 || C || u32(round) || H(V)).

    The commitment is fixed before V is known, so nobody can steer the result; the
    round number makes every re-draw a new, recorded draw rather than a silent re-roll.
    """
    if not isinstance(commitment_hex, str) or not re.fullmatch(r"[0-9a-fA-F]{64}", commitment_hex):
        raise DrawInputError("sampling.seed.commitment", value=repr(commitment_hex))
    if isinstance(round_no, bool) or not isinstance(round_no, (int, np.integer)) \
            or not 1 <= round_no <= 0xFFFFFFFF:
        raise DrawInputError("sampling.seed.round", value=repr(round_no))
    v = normalise_public_value(public_value).encode("utf-8")
    return hashlib.sha256(SEED_DOMAIN + b"\x00" + bytes.fromhex(commitment_hex)
                          + int(round_no).to_bytes(4, "big") + hashlib.sha256(v).digest()).digest()


def subkey(seed: bytes, label: str) -> bytes:
    """K_label = H(seed || label): independent keys for the entity and inspector draws.

    >>> subkey(bytes(32), "entity") == hashlib.sha256(bytes(32) + b"entity").digest()
    True
    """
    if not isinstance(label, str) or not label:
        raise DrawInputError("sampling.input", what=f"label={label!r}")
    return hashlib.sha256(_as_key(seed, "seed") + label.encode("utf-8")).digest()


# ---------------------------------------------------------------- tickets

def tickets(key: bytes, ids: np.ndarray, *, workers: int | None = None) -> np.ndarray:
    """T(x) = first 8 bytes of H(key || x), big-endian, as uint64, for every row.

    ``workers=None`` uses every available core from :data:`PARALLEL_MIN` IDs up, in
    forked processes writing to shared memory; ``workers=1`` stays in-process; an
    explicit ``workers > 1`` forks even for small inputs.

    >>> h = hashlib.sha256(bytes(32) + b"A").digest()
    >>> int(tickets(bytes(32), [b"A"])[0]) == int.from_bytes(h[:8], "big")
    True
    """
    return _tickets(_as_key(key, "key"), _as_ids(ids, check=not isinstance(ids, np.ndarray)),
                    workers)


def start_tickets(key: bytes, ids: np.ndarray, *, workers: int | None = None) -> PendingTickets:
    """:func:`tickets`, begun in forked workers now and finished by :meth:`PendingTickets.result`,
    so that this process can do other work while they hash (``workers=None``: the forked
    workers are one fewer than the cores; this process takes its share in ``result``).

    >>> pending = start_tickets(bytes(32), [b"A", b"B"])
    >>> pending.result().tolist() == tickets(bytes(32), [b"A", b"B"]).tolist()
    True
    """
    return PendingTickets(_as_key(key, "key"), _as_ids(ids, check=not isinstance(ids, np.ndarray)), workers)


def _tickets(key: bytes, arr: np.ndarray, workers: int | None) -> np.ndarray:
    return PendingTickets(key, arr, workers).result()


class PendingTickets:
    """Tickets of ``arr`` under way: block 0 is left to this process, the forked workers
    start at blocks 1, 2 … and every worker then claims the next free block."""

    def __init__(self, key: bytes, arr: np.ndarray, workers: int | None) -> None:
        self._key, self._arr = key, arr
        n = len(arr)
        procs = _worker_count(workers, n)
        self._children: list[multiprocessing.process.BaseProcess] = []
        if procs <= 1:
            self._out, self._claimed, self._block = np.empty(n, np.uint64), None, max(n, 1)
            return
        self._out = np.frombuffer(mmap.mmap(-1, n * 8), dtype=np.uint64)
        self._block = max(1, min(_SCHED_BLOCK, -(-n // (procs * 4))))
        ctx = multiprocessing.get_context("fork")
        self._claimed = ctx.Value("q", procs)
        self._children = [ctx.Process(target=_hash_worker, args=(key, arr, self._out, self._claimed, self._block, i),
                                      daemon=True) for i in range(1, procs)]
        try:
            for p in self._children:
                p.start()
        except BaseException:
            self.cancel()
            raise

    @classmethod
    def shared(cls, key: bytes, arr: np.ndarray) -> PendingTickets:
        """Tickets of ``arr`` (in memory shared with a process the caller forks, which may
        fill it first) hashed by that process, which calls :meth:`work`, and by this one in
        :meth:`result`; the caller hands the process over with :meth:`attach`.

        >>> import threading
        >>> pending = PendingTickets.shared(bytes(32), np.array([b"A", b"B"], "S18"))
        >>> worker = threading.Thread(target=pending.work)
        >>> worker.start(); worker.join()
        >>> pending.result().tolist() == tickets(bytes(32), [b"A", b"B"]).tolist()
        True
        """
        self = cls.__new__(cls)
        n = len(arr)
        self._key, self._arr, self._children = _as_key(key, "key"), arr, []
        self._out = np.frombuffer(mmap.mmap(-1, max(n, 1) * 8), dtype=np.uint64)[:n]
        self._block = max(1, min(_SCHED_BLOCK, -(-n // 8)))
        self._claimed = multiprocessing.get_context("fork").Value("q", 2)
        return self

    def work(self) -> None:
        """The forked process's share of :meth:`shared` tickets: block 1, then any left."""
        _hash_worker(self._key, self._arr, self._out, self._claimed, self._block, 1)

    def attach(self, process: multiprocessing.process.BaseProcess) -> None:
        self._children.append(process)

    def result(self) -> np.ndarray:
        """Hash this process's share, wait for the workers; a worker that died is an error."""
        try:
            if self._claimed is None:
                _hash_range(self._key, self._arr, self._out, 0, len(self._arr))
                return self._out
            _hash_worker(self._key, self._arr, self._out, self._claimed, self._block, 0)
            for p in self._children:
                p.join()
        finally:
            self.cancel()
        for p in self._children:
            if p.exitcode != 0:
                raise TicketWorkerError(exitcode=p.exitcode)
        return self._out

    def cancel(self) -> None:
        """Stop workers still running (a check failed before their tickets were needed)."""
        for p in self._children:
            if p.is_alive():
                p.terminate()
                p.join()


def _hash_worker(key: bytes, arr: np.ndarray, out: np.ndarray, claimed: Synchronized,
                 block: int, first: int) -> None:
    """Hash block ``first``, then claim blocks until none are left (balances slow cores)."""
    n, i = len(arr), first
    while i * block < n:
        _hash_range(key, arr, out, i * block, min((i + 1) * block, n))
        with claimed.get_lock():
            i = claimed.value
            claimed.value = i + 1


def _worker_count(workers: int | None, n: int) -> int:
    if workers is not None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise DrawInputError("sampling.input", what=f"workers={workers!r}")
        return min(workers, max(n // 2, 1))
    if n < PARALLEL_MIN or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, min(cores, n // (PARALLEL_MIN // 2)))


def _hash_range(key: bytes, ids: np.ndarray, out: np.ndarray, start: int, stop: int) -> None:
    """Hash rows [start, stop): one numpy-built message per ID, then hashlib in a list."""
    sha = hashlib.sha256
    kw, w = len(key), ids.dtype.itemsize
    prefix = np.frombuffer(key, np.uint8)
    for a in range(start, stop, _HASH_BLOCK):
        b = min(a + _HASH_BLOCK, stop)
        buf = np.empty((b - a, kw + w), np.uint8)
        buf[:, :kw] = prefix
        buf[:, kw:] = ids[a:b].view(np.uint8).reshape(b - a, w)
        msgs = buf.view(f"S{kw + w}").ravel().tolist()
        for i in range(0, b - a, _HASH_SUB):
            digests = b"".join([sha(m).digest() for m in msgs[i:i + _HASH_SUB]])
            first8 = np.frombuffer(digests, ">u8").reshape(-1, 4)[:, 0]
            out[a + i:a + i + len(first8)] = first8


def _ticket(key: bytes, entity_id: bytes) -> int:
    return int.from_bytes(hashlib.sha256(key + entity_id).digest()[:8], "big")


# ---------------------------------------------------------------- selection

def select(ids: np.ndarray, stratum_of: np.ndarray, stratum_keys: Sequence[str],
           quotas: Sequence[int], key: bytes, *, tickets: np.ndarray | None = None,
           workers: int | None = None) -> DrawResult:
    """Draw the ``quotas[i]`` entities with the smallest (ticket, ID) in each stratum.

    IDs must be distinct and valid (:func:`summarise` checks the whole population; here
    only the drawn IDs are checked, and a duplicate that would be drawn is rejected).
    ``tickets`` may be passed in when already computed with the same key.
    """
    key = _as_key(key, "key")
    arr = _as_ids(ids, check=False)
    keys = _norm_keys(stratum_keys)
    n = len(arr)
    codes = _as_codes(stratum_of, len(keys), n)
    counts = np.bincount(codes, minlength=len(keys))
    ks = _as_quotas(quotas, keys, counts)
    if tickets is None:
        t = _tickets(key, arr, workers)
    else:
        t = np.asarray(tickets)
        if t.shape != (n,) or t.dtype != np.uint64:
            raise DrawInputError("sampling.input.shape", what="tickets",
                                 expected=f"({n},) uint64", got=f"{t.shape} {t.dtype}")
    bounds = np.array([_prune_bound(int(m), k) for m, k in zip(counts, ks)], np.uint64)
    # a block at a time: the bound per row and the comparison stay in a few small buffers
    cand = np.concatenate([a + np.flatnonzero(t[a:a + _CHECK_BLOCK] <= bounds[codes[a:a + _CHECK_BLOCK]])
                           for a in range(0, n, _CHECK_BLOCK)] or [np.empty(0, np.intp)])
    cand_codes = codes[cand]
    cand = cand[np.argsort(cand_codes, kind="stable")]
    starts = np.concatenate(([0], np.cumsum(np.bincount(cand_codes, minlength=len(keys))))).tolist()
    chosen: list[np.ndarray] = []
    results: list[StratumResult] = []
    for s in _key_order(keys):
        k, size = ks[s], int(counts[s])
        if k == 0:
            results.append(StratumResult(keys[s], size, 0, None, None))
            continue
        rows = cand[starts[s]:starts[s + 1]]
        if len(rows) < k:
            rows = np.flatnonzero(codes == s)
        if k < len(rows):
            tt = t[rows]
            rows = rows[tt <= np.partition(tt, k - 1)[k - 1]]
        rows = _rank(rows, t, arr)[:k]
        chosen.append(rows)
        results.append(StratumResult(keys[s], size, k, int(t[rows[-1]]),
                                     arr[rows[-1]].decode("ascii")))
    selected = np.concatenate(chosen).astype(np.int64) if chosen else np.empty(0, np.int64)
    _check_ids(arr[selected])
    _reject_drawn_duplicates(selected, t, arr)
    return DrawResult(selected, t, results)


def _prune_bound(n: int, k: int) -> int:
    """A ticket bound that almost surely admits >= k of n uniform tickets.

    Only a speed-up: rows above it are skipped, and a stratum left with fewer than k
    candidates is redone from all its rows, so the result never depends on it.
    Mean k/n of the ticket range plus 8 standard deviations, in integers.
    """
    if k == 0:
        return 0
    if k >= n:
        return _U64_MAX
    mean = (k << 64) // n
    sd = math.isqrt((k * (n - k) << 128) // n**3)
    return min(mean + 8 * sd + (8 << 64) // n, _U64_MAX)


def _rank(rows: np.ndarray, t: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Rows ordered by (ticket, ID); equal tickets are ordered by ID bytes."""
    ct = t[rows]
    o = np.argsort(ct, kind="stable")
    rows, ct = rows[o], ct[o]
    if len(ct) > 1 and (ct[1:] == ct[:-1]).any():
        rows = rows[np.lexsort((ids[rows], ct))]
        rid = ids[rows]
        dup = (rid[1:] == rid[:-1])
        if dup.any():
            raise EntityIdError("sampling.id.duplicate", value=repr(rid[int(np.argmax(dup))]))
    return rows


def _reject_drawn_duplicates(selected: np.ndarray, t: np.ndarray, ids: np.ndarray) -> None:
    """An ID in two strata would have one ticket twice among the drawn rows."""
    st = np.sort(t[selected])
    if len(st) > 1 and (st[1:] == st[:-1]).any():
        sid = np.sort(ids[selected])
        dup = sid[1:] == sid[:-1]
        if dup.any():
            raise EntityIdError("sampling.id.duplicate", value=repr(sid[int(np.argmax(dup))]))


def is_drawn(key: bytes, entity_id: bytes, stratum: StratumResult) -> bool:
    """The one-hash inclusion check: (T(x), x) ≤ the stratum's threshold.

    The caller vouches that ``entity_id`` is an eligible member of ``stratum``.

    >>> k = bytes(32)
    >>> r = select([b"A", b"B", b"C"], [0, 0, 0], ["*"], [1], k)
    >>> [is_drawn(k, x, r.strata[0]) for x in (b"A", b"B", b"C")].count(True)
    1
    """
    key = _as_key(key, "key")
    x = _as_ids([entity_id])[0]
    if stratum.quota <= 0 or stratum.threshold_ticket is None or stratum.threshold_id is None:
        return False
    return (_ticket(key, x), x) <= (stratum.threshold_ticket, stratum.threshold_id.encode("ascii"))
