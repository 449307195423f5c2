"""Verification of an audit bundle: pure functions, no database, no clock.

What an outsider can check with the bundle alone: the seal, the commitment (hash of the
committed parameters and stratum digests), the seed (from commitment, round and public
value), every drawn entity's ticket and its inclusion proof against the stratum threshold,
the quota per stratum, the draw seals against the ledger entries and their links.  With the
population file beside the bundle, the whole draw is re-derived: stratum digests and sizes,
and exactly which entities had to be drawn.  Every failure names the first difference.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import i18n, ledger, sampling
from .errors import VerificationError


@dataclass
class Report:
    """What was checked; ``checks`` lists the passed steps in order."""

    checks: list[str] = field(default_factory=list)
    population_checked: bool = False
    teams_checked: bool = False

    def ok(self, code: str, **params: Any) -> None:
        self.checks.append(i18n.text(code, **params))


# tickets a caller began: the key (a guess at the first round's), the IDs stacked stratum
# after stratum in commitment order, the tickets under way
Hashed = tuple[bytes, np.ndarray, sampling.PendingTickets]


def fail(code: str, **params: Any) -> VerificationError:
    return VerificationError(detail=i18n.lazy(code, **params))


def verify_bundle(bundle: Mapping[str, Any],
                  population: Mapping[str, Sequence[bytes]] | Callable[[], Mapping[str, Sequence[bytes]]] | None = None,
                  *, text: str | bytes | None = None,
                  hashed: Hashed | None = None) -> Report:
    """Check a publication bundle (as loaded from its JSON file, with its ``seal``).

    ``population``: the population file's IDs per stratum, or a function returning them. The
    function is called once every check that needs the bundle alone has passed, so that a
    caller can read the file meanwhile.
    ``text``: the file's JSON text (or its bytes), whose seal is then checked by hashing it
    as written.
    ``hashed``: with ``population`` given as IDs, their tickets begun by the caller: a key
    (a guess at the first round's), the IDs stacked stratum after stratum in commitment
    order, and the tickets under way.  They are used only if the first record, once
    checked, gives that key; this process otherwise hashes them itself.
    """
    if isinstance(text, str):
        text = text.encode("utf-8")
    report = Report()
    as_written = text is not None and isinstance(bundle.get("seal"), str) and ledger.text_matches_seal(text, bundle["seal"])
    if not as_written:
        ledger.verify_entry(dict(bundle))
    report.ok("verify.ok_seal", seal=bundle["seal"])
    if bundle.get("format") not in ledger.FORMATS or bundle.get("kind") != "publication":
        raise fail("verify.format", found=f'{bundle.get("format")!r}/{bundle.get("kind")!r}',
                   known="、".join(ledger.FORMATS))
    commit_obj = bundle["commit_object"]
    commitment = hashlib.sha256(sampling.canonical_json(commit_obj)).hexdigest()
    if commitment != bundle["commitment"]:
        raise fail("verify.commitment", found=bundle["commitment"], expected=commitment)
    report.ok("verify.ok_commitment", commitment=commitment)
    strata = commit_obj["strata"]
    ids = None if callable(population) else population
    if ids is None:
        early = None
    elif hashed is not None:
        early = _adopted(hashed, strata, ids)
    else:
        early = _early_hashing(bundle, strata, ids)
    try:
        # with a population, the other core reads it or hashes its tickets: these stay in-process
        keys = _check_draws(bundle, text if as_written else None, commitment, strata,
                            workers=None if population is None else 1)
        _check_coverage(bundle)
        if callable(population):
            ids = population()
        if ids is not None:
            _check_population(bundle, strata, ids, keys, early, report)
    finally:
        if early is not None:
            early.tickets.cancel()
    for d in bundle["draws"]:
        report.ok("verify.ok_draw", round=d["record"]["round"], drawn=len(d["record"]["drawn"]))
    return report


def _check_draws(bundle: Mapping[str, Any], text: bytes | None, commitment: str,
                 strata: Sequence[Mapping[str, Any]], *, workers: int | None) -> list[bytes]:
    """Every draw record by itself, its seal and its ledger entry; the entity key of each.
    ``text``: the file's bytes when they hash to the bundle's seal as written."""
    record_seals = _record_seals(bundle, text) if text is not None else {}
    ledger_by_round = {e.get("round"): e for e in bundle.get("draw_ledger", []) if e.get("kind") == "draw"}
    for e in bundle.get("draw_ledger", []):
        ledger.verify_entry(e)
    keys = []
    for d in bundle["draws"]:
        rec = d["record"]
        keys.append(check_record(rec, commitment, strata, workers=workers))
        seal = record_seals.get(id(d))
        if seal != d["seal"]:
            seal = ledger.seal_of(rec)
        if seal != d["seal"]:
            raise fail("verify.draw_seal", round=rec["round"], found=d["seal"], expected=seal)
        entry = ledger_by_round.get(rec["round"])
        if entry is None or entry.get("draw_seal") != seal:
            raise fail("verify.draw_ledger", round=rec["round"])
    return keys


def _check_coverage(bundle: Mapping[str, Any]) -> None:
    """One current draw, the last; the entities and the results are exactly its drawn ones."""
    currents = [d for d in bundle["draws"] if d["current"]]
    if len(currents) != 1 or currents[0] is not bundle["draws"][-1]:
        raise fail("verify.current")
    drawn = [x["uscc"] for x in currents[0]["record"]["drawn"]]
    if [e["uscc"] for e in bundle["entities"]] != drawn:
        raise fail("verify.entities")
    covered = [r["uscc"] for r in bundle["results"]]
    if len(covered) != len(drawn) or set(covered) != set(drawn):      # drawn holds no duplicate
        raise fail("verify.results_cover")


def _check_population(bundle: Mapping[str, Any], strata: Sequence[Mapping[str, Any]],
                      ids: Mapping[str, Sequence[bytes]], keys: list[bytes], early: _Hashing | None,
                      report: Report) -> None:
    """The population's digests and sizes, then every draw again from it.  Tickets hashed
    ``early`` serve the first round when they were hashed under its key; otherwise they are
    hashed in forked workers now, while the digests are checked."""
    if early is not None and (not keys or early.key != keys[0]):
        early.tickets.cancel()
        early = None
    if early is None and keys:
        early = _hashing(keys[0], strata, ids)
    try:
        verify_population(strata, ids)
        report.population_checked = True
        report.ok("verify.ok_population", strata=len(strata), rows=sum(s["size"] for s in strata))
        for i, (d, key) in enumerate(zip(bundle["draws"], keys)):
            if early is None:
                check_redraw(d["record"], key, strata, ids)
            else:
                # tickets hashed early are used only now, the population matching the commitment
                _redraw(d["record"], key, strata, early.ids, early.codes,
                        tickets=_finished(early.tickets) if i == 0 else None)
    finally:
        if early is not None:
            early.tickets.cancel()


def _finished(tickets: sampling.PendingTickets) -> np.ndarray | None:
    """Tickets hashed beside the checks, or None (hashed again here) when a worker died: a
    helper process lost changes how long a verification takes, never its verdict."""
    try:
        return tickets.result()
    except sampling.TicketWorkerError:
        return None


@dataclass
class _Hashing:
    """The first round's re-draw tickets, begun in forked workers before the checks that
    make them usable: they are used once the round's key and the population are confirmed."""

    key: bytes
    ids: np.ndarray
    codes: np.ndarray
    tickets: sampling.PendingTickets


def _hashing(key: bytes, strata: Sequence[Mapping[str, Any]],
             population: Mapping[str, Sequence[bytes]]) -> _Hashing | None:
    stacked = _stacked(strata, population)
    return None if stacked is None else _Hashing(key, *stacked, sampling.start_tickets(key, stacked[0]))


def _adopted(hashed: Hashed, strata: Sequence[Mapping[str, Any]],
             population: Mapping[str, Sequence[bytes]]) -> _Hashing | None:
    """The caller's tickets as a :class:`_Hashing`, when its stacked IDs have the population's
    stratum sizes (their contents are checked by the digests before any ticket is used)."""
    key, arr, tickets = hashed
    try:
        sizes = [len(population[s["key"]]) for s in strata]
    except (KeyError, TypeError):
        sizes = None
    if sizes is None or sum(sizes) != len(arr):
        tickets.cancel()
        return None
    return _Hashing(key, arr, np.repeat(np.arange(len(strata), dtype=np.int32), sizes), tickets)


def _early_hashing(bundle: Mapping[str, Any], strata: Sequence[Mapping[str, Any]],
                   population: Mapping[str, Sequence[bytes]]) -> _Hashing | None:
    """:func:`_hashing` under the key the first record states, before any check of it."""
    try:
        rec = bundle["draws"][0]["record"]
        key = sampling.subkey(sampling.derive_seed(bundle["commitment"], int(rec["round"]), rec["public_value"]),
                              "entity")
    except (KeyError, IndexError, TypeError, ValueError, sampling.DrawInputError):
        return None
    return _hashing(key, strata, population)


def _record_seals(bundle: Mapping[str, Any], data: bytes) -> dict[int, str]:
    """Each draw record's seal, hashed from the record's own bytes inside the bundle file.

    Only for a file whose text hashes to the bundle's seal as written: it is then the
    canonical JSON of the content, in which every value is written as its own canonical JSON,
    so a record's text is a substring, found from the canonical prefix before ``draws``.
    A draw that cannot be located is left out, and a hash that disagrees is recomputed from
    the parsed record by the caller: this path can only confirm a seal, never refute one.
    """
    content = {k: v for k, v in bundle.items() if k != "seal"}
    prefix = b"{" + b"".join(ledger.canonical(k) + b":" + ledger.canonical(content[k]) + b","
                             for k in sorted(content) if k < "draws") + b'"draws":['
    if not isinstance(bundle.get("draws"), list) or not data.startswith(prefix):
        return {}
    view = memoryview(data)
    out: dict[int, str] = {}
    pos = len(prefix)
    for d in bundle["draws"]:
        if not isinstance(d, dict) or set(d) != {"current", "record", "seal"}:
            break
        head = b'{"current":' + ledger.canonical(d["current"]) + b',"record":'
        tail = b',"seal":' + ledger.canonical(d["seal"]) + b"}"
        if not data.startswith(head, pos):
            break
        end = data.find(tail, pos + len(head))
        if end < 0:
            break
        out[id(d)] = hashlib.sha256(view[pos + len(head):end]).hexdigest()
        pos = end + len(tail) + 1
    return out


def verify_population(strata: Sequence[Mapping[str, Any]], population: Mapping[str, Sequence[bytes]]) -> None:
    keys = [s["key"] for s in strata]
    if sorted(population) != sorted(keys) and set(population) - set(keys):
        raise fail("verify.pop_keys", extra="、".join(sorted(set(population) - set(keys))))
    for s in strata:
        ids = population.get(s["key"], [])
        if len(ids) != s["size"]:
            raise fail("verify.pop_size", key=s["key"], found=len(ids), expected=s["size"])
        digest = sampling.population_digest(ids)
        if digest != s["digest"]:
            raise fail("verify.pop_digest", key=s["key"])


def verify_draw_record(rec: Mapping[str, Any], commitment: str, strata: Sequence[Mapping[str, Any]],
                       population: Mapping[str, Sequence[bytes]] | None) -> None:
    """Seed, tickets, inclusion proofs and quotas; the full re-draw when the population is given."""
    key = check_record(rec, commitment, strata)
    if population is not None:
        check_redraw(rec, key, strata, population)


def check_record(rec: Mapping[str, Any], commitment: str, strata: Sequence[Mapping[str, Any]], *,
                 workers: int | None = None) -> bytes:
    """What a draw record proves by itself: seed, tickets, inclusion proofs and quotas.
    Returns the entity key, which :func:`check_redraw` needs."""
    if rec["commitment"] != commitment:
        raise fail("verify.rec_commitment", round=rec["round"])
    seed = sampling.derive_seed(commitment, int(rec["round"]), rec["public_value"])
    if seed.hex() != rec["seed"]:
        raise fail("verify.seed", round=rec["round"], found=rec["seed"], expected=seed.hex())
    key = sampling.subkey(seed, "entity")
    results = []
    for i, s in enumerate(rec["strata"]):
        if s["key"] != strata[i]["key"] or s["quota"] != strata[i]["quota"] or s["size"] != strata[i]["size"]:
            raise fail("verify.rec_strata", round=rec["round"], key=s["key"])
        tt = s["threshold_ticket"]
        results.append(sampling.StratumResult(key=s["key"], size=s["size"], quota=s["quota"],
                                              threshold_ticket=None if tt is None else int(tt, 16),
                                              threshold_id=s["threshold_id"]))
    _check_drawn(rec["drawn"], key, results, workers)
    return key


def check_redraw(rec: Mapping[str, Any], key: bytes, strata: Sequence[Mapping[str, Any]],
                 population: Mapping[str, Sequence[bytes]]) -> None:
    """The whole draw again from the population: exactly the recorded entities, in order."""
    _redraw(rec, key, strata, *_stack(strata, population))


def _stack(strata: Sequence[Mapping[str, Any]], population: Mapping[str, Sequence[bytes]]) -> tuple[np.ndarray, np.ndarray]:
    """The population's IDs, stratum after stratum in commitment order, and each row's stratum."""
    parts = [np.asarray(population[s["key"]], dtype="S18") for s in strata]
    arr = np.concatenate(parts) if parts else np.zeros(0, "S18")
    return arr, np.repeat(np.arange(len(strata), dtype=np.int32), [len(p) for p in parts])


def _stacked(strata: Sequence[Mapping[str, Any]],
             population: Mapping[str, Sequence[bytes]]) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`_stack` ahead of the population checks, or None for a population they will refuse."""
    try:
        return _stack(strata, population)
    except (KeyError, TypeError, ValueError, UnicodeError):
        return None


def _redraw(rec: Mapping[str, Any], key: bytes, strata: Sequence[Mapping[str, Any]], arr: np.ndarray,
            codes: np.ndarray, *, tickets: np.ndarray | None = None) -> None:
    redo = sampling.select(arr, codes, [s["key"] for s in strata], [s["quota"] for s in strata], key,
                           tickets=tickets)
    expected = [x.decode() for x in arr[redo.selected].tolist()]
    found = [x["uscc"] for x in rec["drawn"]]
    if expected != found:
        first = next((i for i, (a, b) in enumerate(zip(expected, found)) if a != b), min(len(expected), len(found)))
        raise fail("verify.redraw", round=rec["round"], position=first + 1,
                   expected=expected[first] if first < len(expected) else "—",
                   found=found[first] if first < len(found) else "—")


def _check_drawn(drawn: Sequence[Mapping[str, Any]], key: bytes, results: Sequence[sampling.StratumResult],
                 workers: int | None = None) -> None:
    """Each drawn entity once, its ticket, its inclusion proof; the count per stratum.

    Vectorised over all drawn entities; the first entity (in drawing order) that fails is
    reported, with its first failing check.
    """
    usccs = [x["uscc"] for x in drawn]
    arr = sampling.id_array(usccs)
    strata = np.array([int(x["stratum"]) for x in drawn], dtype=np.int64)
    if len(strata) and (strata.min() < 0 or strata.max() >= len(results)):
        raise IndexError("stratum index out of range")
    recorded = [x["ticket"] for x in drawn]
    computed = sampling.tickets(key, arr, workers=workers)
    hexed = _hex16(computed)
    dup = np.zeros(len(arr), bool)
    if len(set(usccs)) != len(usccs):
        _, first = np.unique(arr, return_index=True)
        dup[:] = True
        dup[first] = False
    bad_ticket = _differing(recorded, hexed)
    thr_t = np.array([0 if r.threshold_ticket is None else r.threshold_ticket for r in results], np.uint64)
    thr_id = np.array([(r.threshold_id or "").encode("ascii") for r in results] or [b""])
    live = np.array([r.quota > 0 and r.threshold_ticket is not None and r.threshold_id is not None
                     for r in results], dtype=bool)
    tt = thr_t[strata] if len(strata) else np.zeros(0, np.uint64)
    included = live[strata] & ((computed < tt) | ((computed == tt) & (arr <= thr_id[strata])))
    failing = dup | bad_ticket | ~included
    if failing.any():
        i = int(np.argmax(failing))
        u = usccs[i]
        if dup[i]:
            raise fail("verify.duplicate", uscc=u)
        if bad_ticket[i]:
            raise fail("verify.ticket", uscc=u, found=recorded[i], expected=hexed[i].decode())
        raise fail("verify.not_included", uscc=u, key=results[int(strata[i])].key)
    per_stratum = np.bincount(strata, minlength=len(results)) if len(results) else np.zeros(0, np.int64)
    for i, s in enumerate(results):
        if int(per_stratum[i]) != s.quota:
            raise fail("verify.quota", key=s.key, found=int(per_stratum[i]), expected=s.quota)


_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", np.uint8)


def _hex16(values: np.ndarray) -> np.ndarray:
    """Each uint64 as its 16 lowercase hex digits (the record's ticket format), an ``S16`` array.

    >>> _hex16(np.array([255, 2**64 - 1], np.uint64)).tolist()
    [b'00000000000000ff', b'ffffffffffffffff']
    """
    octets = np.asarray(values, np.uint64).astype(">u8").view(np.uint8).reshape(-1, 8)
    out = np.empty((len(octets), 16), np.uint8)
    out[:, 0::2] = _HEX_DIGITS[octets >> 4]
    out[:, 1::2] = _HEX_DIGITS[octets & 15]
    return out.view("S16").ravel()


def _differing(recorded: Sequence[object], hexed: np.ndarray) -> np.ndarray:
    """Where a recorded value is not exactly the computed hex text.

    >>> _differing(["00ff", "0x0f", 15, "0f"], np.array([b"00ff", b"000f", b"000f", b"000f"])).tolist()
    [False, True, True, True]
    """
    if all(type(x) is str for x in recorded):
        joined = "".join(recorded)    # type: ignore[arg-type]
        width = hexed.dtype.itemsize
        if joined.isascii() and len(joined) == width * len(recorded) and \
                (np.fromiter(map(len, recorded), np.int64, len(recorded)) == width).all():    # type: ignore[arg-type]
            # hex digits hold no NUL, so equal S values are equal bytes
            return np.frombuffer(joined.encode("ascii"), f"S{width}") != hexed
    return np.array([type(a) is not str or a != b for a, b in zip(recorded, hexed.astype("U").tolist())], dtype=bool)


def verify_teams(rec: Mapping[str, Any], doc: Mapping[str, Any]) -> None:
    """Re-run the assignment from the sealed input document and compare the teams."""
    from . import assignment, teams

    digest = hashlib.sha256(ledger.canonical(dict(doc))).hexdigest()
    if digest != rec["assign_input_digest"]:
        raise fail("verify.assign_input", round=rec["round"])
    if [u for u, _ in doc["entities"]] != [x["uscc"] for x in rec["drawn"]]:
        raise fail("verify.assign_entities", round=rec["round"])
    inputs, rules = teams.to_arrays(dict(doc))
    seed = bytes.fromhex(rec["seed"])
    got = assignment.assign(inputs, rules, assignment.derive_key(seed))
    officers = doc["officers"]
    for row, t in enumerate(rec["teams"]):
        members = [officers[o][0] for o in got.teams[row].tolist()]
        experts = [officers[o][0] for o in (got.experts[row].tolist() if got.experts.size else []) if o >= 0]
        if members != t["members"] or experts != t["experts"]:
            raise fail("verify.team", round=rec["round"], uscc=t["uscc"], expected="、".join(members),
                       found="、".join(t["members"]))


i18n.register({
    "verify.ok_seal": {"zh": "封印正确：{seal}", "en": "seal matches: {seal}"},
    "verify.ok_commitment": {"zh": "承诺值正确：{commitment}", "en": "commitment matches: {commitment}"},
    "verify.ok_population": {"zh": "总体文件与承诺一致：{strata} 层，{rows} 户", "en": "population file matches the commitment: {strata} strata, {rows} entities"},
    "verify.ok_draw": {"zh": "第 {round} 轮抽取复核一致：{drawn} 户", "en": "round {round} re-derived: {drawn} entities"},
    "verify.format": {"zh": "不是可核验的公示审计包：格式/类型为 {found}，本版本支持的台账格式为 {known}",
                      "en": "not a publication bundle this version can verify: format/kind {found}; known ledger formats {known}"},
    "verify.commitment": {"zh": "承诺值不符：记录为 {found}，按承诺内容计算为 {expected}", "en": "commitment mismatch: recorded {found}, the committed content hashes to {expected}"},
    "verify.pop_keys": {"zh": "总体文件含有未承诺的分层：{extra}", "en": "the population file has strata that were not committed: {extra}"},
    "verify.pop_size": {"zh": "分层 {key} 的总体数量为 {found}，承诺为 {expected}", "en": "stratum {key} has {found} entities in the population file, {expected} committed"},
    "verify.pop_digest": {"zh": "分层 {key} 的总体摘要与承诺不符（名单被改动）", "en": "stratum {key}: population digest differs from the commitment (the list was changed)"},
    "verify.rec_commitment": {"zh": "第 {round} 轮抽取记录的承诺值与任务不符", "en": "round {round}: the draw's commitment differs from the task's"},
    "verify.seed": {"zh": "第 {round} 轮种子不符：记录为 {found}，由承诺值与公开随机值推导为 {expected}", "en": "round {round}: seed mismatch: recorded {found}, derived {expected}"},
    "verify.rec_strata": {"zh": "第 {round} 轮分层 {key} 的数量或抽取数与承诺不符", "en": "round {round}: stratum {key} size or quota differs from the commitment"},
    "verify.duplicate": {"zh": "主体 {uscc} 被重复抽中", "en": "entity {uscc} drawn twice"},
    "verify.ticket": {"zh": "主体 {uscc} 的签号不符：记录为 {found}，计算为 {expected}", "en": "entity {uscc}: ticket mismatch: recorded {found}, computed {expected}"},
    "verify.not_included": {"zh": "主体 {uscc} 的签号超过分层 {key} 的入选阈值，不应被抽中", "en": "entity {uscc}: its ticket is above stratum {key}'s threshold: it must not be drawn"},
    "verify.quota": {"zh": "分层 {key} 抽中 {found} 户，应为 {expected} 户", "en": "stratum {key}: {found} drawn, {expected} required"},
    "verify.redraw": {"zh": "第 {round} 轮复抽结果不同：第 {position} 位应为 {expected}，记录为 {found}", "en": "round {round}: re-derived draw differs at position {position}: expected {expected}, recorded {found}"},
    "verify.draw_seal": {"zh": "第 {round} 轮抽取记录的封印不符：记录为 {found}，内容计算为 {expected}", "en": "round {round}: draw seal mismatch: recorded {found}, content hashes to {expected}"},
    "verify.draw_ledger": {"zh": "第 {round} 轮抽取不在台账中或台账封印不符", "en": "round {round}: the draw is missing from the ledger or its ledger seal differs"},
    "verify.current": {"zh": "有效抽取轮次不唯一或不是最后一轮", "en": "the current draw is not unique or not the last round"},
    "verify.entities": {"zh": "公示主体名单与有效抽取结果不一致", "en": "the published entity list differs from the current draw"},
    "verify.results_cover": {"zh": "检查结果与抽中主体不一一对应", "en": "results do not correspond one-to-one to the drawn entities"},
    "verify.assign_input": {"zh": "第 {round} 轮人员匹配输入与封存摘要不符", "en": "round {round}: the assignment input differs from its sealed digest"},
    "verify.assign_entities": {"zh": "第 {round} 轮人员匹配的主体顺序与抽取结果不符", "en": "round {round}: the assignment's entities differ from the draw"},
    "verify.team": {"zh": "第 {round} 轮主体 {uscc} 的检查组不符：应为 {expected}，记录为 {found}", "en": "round {round}, entity {uscc}: team differs: expected {expected}, recorded {found}"},
})
