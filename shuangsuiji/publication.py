"""Publication (一公开), the internal dispatch sheet, deadlines, verification and audit.

Nothing is public before results: the entity list and teams go only to the internal
dispatch sheet until every result is approved; ``publish`` then writes the bulletin
(CSV, XLSX, HTML), the population file and the sealed audit bundle, appends the bundle to the
department's ledger and records the inspections (for rotation and exclusion windows).
"""
from __future__ import annotations

import csv
import hashlib
import json
import shutil
import tempfile
import threading
import zlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, text

from . import bulletin, bundle, clock, gcpause, i18n, ledger, population_reader, results, snapshot, verify, workdays
from .beside import Beside
from .errors import StateError, VerificationError
from .importer import bulk_insert
from .sampling import canonical_json
from .store import Store
from .tabular import Column, write_table
from .teams import decode


@dataclass
class Published:
    task_no: str
    directory: Path
    files: dict[str, Path]
    seal: str
    seq: int


def _fname(task_no: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in task_no)


def publish(store: Store, task_no: str, out_dir: str | Path, *, actor: str, lang: str = "zh",
            encoding: str = "utf-8-sig", today: date | None = None) -> Published:
    """Publish a task whose results are all approved; returns the written files.

    ``actor`` (who publishes) is recorded on every result's publication event.
    """
    bulletin.check_encoding(encoding)
    out = Path(out_dir)
    today = today or clock.today()
    staging = _staging(out)
    committed = False
    try:
        with store.atomic() as conn:
            task = bundle.task_row(conn, task_no)
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT id FROM task WHERE id = :t FOR UPDATE"), {"t": task["id"]})
            if task["state"] == "published":
                raise StateError("publish.already", task=task_no)
            if task["state"] != "drawn":
                raise StateError("publish.not_drawn", task=task_no)
            draw = next(d for d in bundle.draw_rows(conn, task["id"]) if d["current"])
            pending = conn.execute(text("SELECT count(*) FROM result WHERE draw_id = :d AND state <> 'approved'"),
                                   {"d": draw["id"]}).scalar_one()
            if pending:
                raise StateError("publish.pending", task=task_no, count=int(pending))
            results.mark_published(conn, draw["id"], actor)
            res = results.results_record(conn, draw["id"])
            stem = _fname(task_no)
            pop_name = f"{stem}-population.csv.gz"
            pop_sha, pop_count = bundle.write_population_file(conn, task["id"], staging / pop_name)
            body = bundle.publication_content(conn, task, res, {"name": pop_name, "sha256": pop_sha,
                                                                "rows": pop_count})
            del res  # the body holds them
            seq, seal = ledger.append_publication(conn, department_id=task["department_id"], task_id=task["id"],
                                                  task_no=task_no, body=body)
            key = {"d": task["department_id"], "s": seq}
            bundle_name = f"{stem}-bundle.json"
            b = build_bulletin(task, body, today, bundle_name, seal, pop_name)
            del body  # before the sealed text is read back: a provincial bundle is hundreds of MB
            # the bulletin's files are written in a forked child while this process writes the
            # bundle, the chain and the inspection history: neither needs the other
            with Beside(bulletin.write_all, b, staging, stem, encoding, lang) as writing:
                content = conn.execute(text(
                    "SELECT bundle_content FROM bundle WHERE department_id = :d AND seq = :s"), key).scalar_one()
                with open(staging / bundle_name, "w", encoding="utf-8", newline="\n") as fh:
                    fh.write(ledger.sealed_text(content, seal))
                del content
                ledger.write_chain(conn, task["department_id"], staging / f"{stem}-ledger.jsonl")
                _record_inspections(conn, task, draw["id"])
                conn.execute(text("UPDATE task SET state = 'published', published_at = :p WHERE id = :t"),
                             {"p": datetime.now(timezone.utc), "t": task["id"]})
                writing.result()
        # Files reach the output folder only after the commit: a failed or killed transaction
        # leaves none behind.  Should moving fail now, the staged copies are kept (and
        # ``republish`` writes them again from the database).
        committed = True
        return Published(task_no=task_no, directory=out, files=_deliver(staging, out, stem), seal=seal, seq=seq)
    finally:
        if not committed or not any(staging.iterdir()):
            shutil.rmtree(staging, ignore_errors=True)


def _staging(out: Path) -> Path:
    return Path(tempfile.mkdtemp(prefix=".publish-", dir=out.parent if out.parent.exists() else None))


def _deliver(staging: Path, out: Path, stem: str) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    for p in sorted(staging.iterdir()):
        target = out / p.name
        shutil.move(str(p), target)
        files[p.name.removeprefix(stem + "-")] = target
    return files


def republish(store: Store, task_no: str, out_dir: str | Path, *, lang: str = "zh",
              encoding: str = "utf-8-sig") -> Published:
    """Write a published task's files again from the database, which stays untouched.

    For files lost after publication, or a crash between the publication's commit and the
    move of its files. The bundle is the sealed ledger entry, byte for byte, and its seal is
    checked first; the ledger file is the department's chain up to that entry; the population
    file is rebuilt from the frozen population and must hash to what the bundle records. The
    bulletin is built from the sealed results and the entity names as sealed (not today's
    registry), dated the day of publication in China Standard Time.
    """
    out = Path(out_dir)
    staging = _staging(out)
    try:
        conn = store.read()
        try:
            task = bundle.task_row(conn, task_no)
            if task["state"] != "published":
                raise StateError("republish.not_published", task=task_no)
            row = conn.execute(text("SELECT seq, content, seal, bundle_content FROM bundle WHERE task_id = :t "
                                    "ORDER BY seq DESC LIMIT 1"), {"t": task["id"]}).one()
            seq = int(row[0])
            entry = ledger.load_entry(row[1], row[2], seq)
            sealed = ledger.sealed_text(row[1], row[2])
            ledger.verify_entry(entry, sealed)
            if entry.get("kind") != "publication":
                raise StateError("republish.not_published", task=task_no)
            bundle_text, body = _stored_bundle(entry, row[3])
            sealed = bundle_text or sealed
            del row, bundle_text
            seal = body["seal"]
            stem = _fname(task_no)
            pop = body["population_file"]
            pop_sha, _rows = bundle.write_population_file(conn, task["id"], staging / pop["name"])
            if pop_sha != pop["sha256"]:
                raise VerificationError(detail=i18n.lazy("republish.population", found=pop_sha, sealed=pop["sha256"]))
            bundle_name = f"{stem}-bundle.json"
            with open(staging / bundle_name, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(sealed)
            del sealed
            ledger.write_chain(conn, task["department_id"], staging / f"{stem}-ledger.jsonl", upto=int(seq))
            b = build_bulletin(task, body, _cst_date(task["published_at"]), bundle_name, str(seal), pop["name"])
            del body
        finally:
            conn.rollback()
        bulletin.write_all(b, staging, stem, encoding, lang)
        return Published(task_no=task_no, directory=out, files=_deliver(staging, out, stem), seal=str(seal),
                         seq=int(seq))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _stored_bundle(entry: dict[str, Any], bundle_content: str | None) -> tuple[str | None, dict[str, Any]]:
    """The audit bundle of a publication entry whose own seal is checked: in ledger format 1
    the entry itself (no text: the entry's is the bundle's), in format 2 the stored bundle as
    its file's text and parsed, which must hash to the seal the entry names and have the
    entry's head."""
    sealed = None
    if entry.get("format") == ledger.FORMAT_1:
        body, bundle_seal = entry, entry["seal"]
    else:
        bundle_seal = entry.get("bundle_seal")
        if bundle_content is None or not isinstance(bundle_seal, str):
            raise verify.fail("publish.db_bundle_missing", seq=entry.get("seq"))
        sealed = ledger.sealed_text(bundle_content, bundle_seal)
        body = ledger.load_entry(bundle_content, bundle_seal, int(entry["seq"]))
        if not ledger.text_matches_seal(sealed, bundle_seal) or not ledger.names_bundle(entry, body):
            raise verify.fail("publish.db_bundle_changed", seq=entry.get("seq"), seal=bundle_seal)
    if not isinstance(body.get("results"), list) or not isinstance(body.get("population_file"), dict):
        raise verify.fail("publish.db_bundle_changed", seq=entry.get("seq"), seal=bundle_seal)
    return sealed, body


def _cst_date(stamp: Any) -> date:
    """A stored UTC timestamp (naive, or text on SQLite) as a date in China Standard Time."""
    moment = datetime.fromisoformat(stamp) if isinstance(stamp, str) else stamp
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(clock.CST).date()


def _record_inspections(conn: Connection, task: dict[str, Any], draw_id: int) -> None:
    """Published inspections become history: rotation and exclusion windows of later tasks use them.

    ``entity.last_inspected`` stays what the registry import said: rewriting half a million
    entity rows took 15 s (SQLite) and 45 s (PostgreSQL) of a provincial publication, and
    every reader takes the later of it and the entity's inspections (``registry.rows``)."""
    rows = [(int(e), task["department_id"], day, task["id"]) for e, day in conn.execute(text(
        "SELECT entity_id, completed_on FROM result WHERE draw_id = :d AND completed_on IS NOT NULL ORDER BY entity_id"),
        {"d": draw_id})]
    bulk_insert(conn, "inspection", ("entity_id", "department_id", "inspected_on", "task_id"), rows)
    ids = {int(e): int(i) for i, e in conn.execute(text("SELECT id, entity_id FROM inspection WHERE task_id = :t"),
                                                   {"t": task["id"]})}
    members = sorted({(ids[int(e)], int(i)) for e, i in conn.execute(text(
        "SELECT entity_id, inspector_id FROM draw_team WHERE draw_id = :d AND role <> 'expert'"), {"d": draw_id})
        if int(e) in ids})
    bulk_insert(conn, "inspection_member", ("inspection_id", "inspector_id"), members)


def build_bulletin(task: dict[str, Any], body: dict[str, Any], today: date, bundle_name: str, seal: str,
                   pop_name: str) -> bulletin.Bulletin:
    """The bulletin of a publication, from its sealed bundle ``body`` alone: the drawn entities,
    their names, results and items as sealed, so a republished bulletin is the published one."""
    current = next(d["record"] for d in body["draws"] if d["current"])
    titles = [s["key"] for s in current["strata"]]
    names = {e["uscc"]: e["name"] for e in body["entities"]}
    by_uscc = {r["uscc"]: r for r in body["results"]}
    rows = []
    for x in current["drawn"]:
        r = by_uscc[x["uscc"]]
        rows.append(bulletin.BulletinRow(
            name=names[x["uscc"]], uscc=x["uscc"],
            completed_on=date.fromisoformat(r["completed_on"]) if r["completed_on"] else None,
            result_codes=list(r["codes"]), result_text=r.get("action") or "", remarks=r.get("remarks") or "",
            stratum=titles[x["stratum"]]))
    commit = body["commit_object"]
    params = commit["parameters"]
    kind = i18n.text("publish.directed" if params["population"]["directed"] else "publish.undirected")
    items = [i["name"] for i in body["task"]["items"]]
    authority = "、".join([task["department"], *params["joint_departments"]])
    return bulletin.Bulletin(
        plan_no=task["plan_no"], plan_name=task["plan_name"], task_no=task["task_no"], task_name=task["name"],
        inspection_type=kind + ("：" + "、".join(items) if items else ""), authority=authority,
        published_on=today, rows=rows,
        strata=[bulletin.StratumInfo(key=s["key"], population=s["size"]) for s in commit["strata"]],
        verification=bulletin.Verification(commitment=body["commitment"], seed=current["seed"],
                                           public_value=current["public_value"], bundle_file=bundle_name,
                                           bundle_seal=seal, population_file=pop_name,
                                           round_no=int(current["round"])))


# -- dispatch (internal) ---------------------------------------------------------------------
DISPATCH_COLUMNS = [
    Column("rank", "序号", "No."), Column("uscc", "统一社会信用代码", "USCC"), Column("name", "名称", "Name"),
    Column("address", "住所", "Address"), Column("unit", "管辖单位", "Supervising unit"),
    Column("leader", "组长", "Team leader"), Column("members", "检查人员（姓名/执法证号）", "Inspectors (name/certificate)"),
    Column("experts", "专家", "Experts"),
]


def dispatch(store: Store, task_no: str, out: str | Path, *, lang: str = "zh") -> int:
    """Write the confidential dispatch sheet (entities and teams) of the current draw."""
    conn = store.read()
    try:
        task = bundle.task_row(conn, task_no)
        if task["state"] not in ("drawn", "published"):
            raise StateError("publish.not_drawn", task=task_no)
        draw = next(d for d in bundle.draw_rows(conn, task["id"]) if d["current"])
        people: dict[int, list[tuple[int, str, str, str]]] = {}
        for eid, seat, role, cert, name in conn.execute(text(
                "SELECT t.entity_id, t.seat, t.role, i.cert_no, i.name FROM draw_team t "
                "JOIN inspector i ON i.id = t.inspector_id WHERE t.draw_id = :d"), {"d": draw["id"]}):
            people.setdefault(int(eid), []).append((int(seat), role, cert, name))
        rows = []
        for rank, eid, uscc, name, address, unit in conn.execute(text(
                "SELECT de.rank, e.id, e.uscc, e.name, e.address, u.name FROM draw_entity de "
                "JOIN entity e ON e.id = de.entity_id LEFT JOIN unit u ON u.id = e.unit_id "
                "WHERE de.draw_id = :d ORDER BY de.rank"), {"d": draw["id"]}):
            team = sorted(people.get(int(eid), []))
            leader = next((f"{n}/{c}" for _, r, c, n in team if r == "leader"), "")
            members = "、".join(f"{n}/{c}" for _, r, c, n in team if r != "expert")
            experts = "、".join(f"{n}/{c}" for _, r, c, n in team if r == "expert")
            rows.append([rank + 1, uscc, name, address, unit or "", leader, members, experts])
    finally:
        conn.rollback()
    return write_table(out, DISPATCH_COLUMNS, rows, lang=lang)


# -- deadlines -------------------------------------------------------------------------------
@dataclass
class Due:
    task_no: str
    name: str
    inspection_end: date
    due: date
    estimated: bool
    status: str


def due(store: Store, today: date | None = None, *, workdays_limit: int = 20, soon: int = 5) -> list[Due]:
    """Tasks not yet published whose publication deadline is past or near."""
    today = today or clock.today()
    conn = store.read()
    rows = conn.execute(text("SELECT task_no, name, inspection_end FROM task WHERE state <> 'published' "
                             "AND inspection_end IS NOT NULL ORDER BY inspection_end, task_no")).all()
    conn.rollback()
    out = []
    for task_no, name, end in rows:
        end = end if isinstance(end, date) else date.fromisoformat(str(end))
        d = workdays.publication_deadline(end, workdays_limit)
        st = workdays.status(d, today, soon)
        out.append(Due(task_no, name, end, d.due, d.estimated, st))
    return [d for d in out if d.status != "ok"]


# -- verification and audit ----------------------------------------------------------------
@dataclass
class VerifyResult:
    checks: list[str] = field(default_factory=list)


def _population_bytes(path: Path, started: threading.Event | None = None) -> tuple[str, bytes | Exception]:
    """SHA-256 of the file as stored, and its decompressed bytes or the error that stopped it.
    ``started`` is set just before the inflate, which runs without the GIL."""
    try:
        raw = path.read_bytes()
    finally:
        if started is not None:
            started.set()
    try:
        unzipped: bytes | Exception = bundle.gunzip(raw)
    except (OSError, EOFError, zlib.error) as exc:
        unzipped = exc
    return hashlib.sha256(raw).hexdigest(), unzipped


def _population_of(path: Path, early: Future[tuple[str, bytes | Exception]] | None, sha256: str,
                   strata: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """The population file's IDs per stratum, its hash checked against the bundle's."""
    sha, unzipped = early.result() if early is not None else _population_bytes(path)
    del early
    if sha != sha256:
        raise VerificationError(detail=i18n.lazy("publish.pop_hash", file=path.name))
    try:
        if isinstance(unzipped, Exception):
            raise unzipped
        return bundle.read_population_bytes(unzipped, strata)
    except (ValueError, OSError, EOFError, zlib.error) as exc:
        raise VerificationError(detail=i18n.lazy("publish.bad_population", file=path.name,
                                                 error=str(exc)[:200])) from None


def _checked_population(path: Path, sha256: str, sha: str, ids: dict[str, np.ndarray] | str) -> dict[str, np.ndarray]:
    """What a forked reader found, judged as :func:`_population_of` judges the file."""
    if sha != sha256:
        raise VerificationError(detail=i18n.lazy("publish.pop_hash", file=path.name))
    if isinstance(ids, str):
        raise VerificationError(detail=i18n.lazy("publish.bad_population", file=path.name, error=ids))
    return ids


def _chain_checks(chain_file: Path, bundle_bytes: bytes, data: dict[str, Any]) -> list[str]:
    """The ledger file beside a bundle whose seal has been checked: the chain is whole and
    holds the bundle.  No file, no check."""
    if not chain_file.is_file():
        return []
    try:
        chain, lines = _ledger_entries(chain_file, bundle_bytes, data)
        ledger.verify_chain(chain, texts=lines, sealed=[data])   # verify_bundle checked its seal
        del lines
        by_seq = {e.get("seq"): e for e in chain}
        mine = by_seq.get(data["seq"])
        stray = next((e for e in data["draw_ledger"] if by_seq.get(e.get("seq"), {}).get("seal") != e.get("seal")), None)
    except _MALFORMED as exc:
        raise VerificationError(detail=i18n.lazy("publish.bad_bundle", file=chain_file.name,
                                                 error=repr(exc)[:200])) from None
    if mine is None or not ledger.names_bundle(mine, data):
        raise VerificationError(detail=i18n.lazy("publish.not_in_chain", seq=data["seq"]))
    if stray is not None:
        raise VerificationError(detail=i18n.lazy("publish.draw_not_in_chain", seq=stray.get("seq"),
                                                 round=stray.get("round")))
    return [i18n.text("publish.ok_chain", n=len(chain))]


def _beside(bundle_file: Path, suffix: str) -> Path:
    """The file published with a bundle: ``T-bundle.json`` → ``T{suffix}``."""
    return bundle_file.with_name(bundle_file.name.replace("-bundle.json", suffix))


def _ledger_entries(chain_file: Path, bundle_bytes: bytes,
                    data: dict[str, Any]) -> tuple[list[dict[str, Any]], list[bytes | None]]:
    """The ledger file's entries and their texts, a line (ending in LF) at a time. The line
    that is the bundle file itself, already parsed and seal-checked, becomes ``data`` without
    a second parse; a bundle is as large as the ledger's other lines together, so this halves
    the work."""
    chain: list[dict[str, Any]] = []
    texts: list[bytes | None] = []
    blob = chain_file.read_bytes()
    pos = 0
    while pos < len(blob):
        end = blob.find(b"\n", pos)
        end = len(blob) if end < 0 else end
        stop = end
        while stop > pos and blob[stop - 1] == 0x0D:
            stop -= 1
        if stop - pos == len(bundle_bytes) and blob.startswith(bundle_bytes, pos):
            chain.append(data)
            texts.append(None)
        else:
            raw = blob[pos:stop]
            if raw.strip():
                chain.append(json.loads(raw.decode("utf-8")))
                texts.append(raw)
        pos = end + 1
    return chain, texts


def verify_file(bundle_path: str | Path, *, store: Store | None = None,
                population_path: str | Path | None = None, ledger_path: str | Path | None = None) -> VerifyResult:
    """Verify a bundle file, with the population file and ledger file beside it when present,
    and against the database when ``store`` is given."""
    with gcpause.paused():
        return _verify_file(Path(bundle_path), store, population_path, ledger_path)


def _verify_file(path: Path, store: Store | None, population_path: str | Path | None,
                 ledger_path: str | Path | None) -> VerifyResult:
    guess = Path(population_path) if population_path else _beside(path, "-population.csv.gz")
    try:
        bundle_bytes = path.read_bytes().rstrip(b"\r\n")
    except OSError as exc:
        raise VerificationError(detail=i18n.lazy("publish.bad_bundle", file=path.name, error=str(exc)[:200])) from None
    beside = guess != path and guess.is_file()
    # the population file is read and split into strata by a forked worker while the bundle is
    # decoded and parsed (the JSON parser holds the GIL throughout); failing that, it is read,
    # hashed and unzipped by a thread meanwhile (the inflate runs without the GIL) and split
    # afterwards; the worker then hashes the tickets of the first round's re-draw under the key
    # its record states
    forked = population_reader.Reader.start(guess, population_reader.leading_strata(bundle_bytes),
                                            population_reader.leading_key(bundle_bytes)) if beside else None
    try:
        with ThreadPoolExecutor(1) as pool:
            early = _start_reading(pool, guess) if beside and forked is None else None
            data = _parse_bundle(path, bundle_bytes)
            chain = _Chain(Path(ledger_path) if ledger_path else _beside(path, "-ledger.jsonl"), bundle_bytes, data)
            try:
                pop_file = Path(population_path) if population_path else path.with_name(data["population_file"]["name"])
                population, hashed = _population_source(pool, pop_file, data, forked if pop_file == guess else None,
                                                        early if pop_file == guess else None, chain.check)
                del early                          # the reading holds the unzipped bytes
                report = verify.verify_bundle(data, population, text=bundle_bytes, hashed=hashed)
                del population, hashed
            except _MALFORMED as exc:
                raise VerificationError(detail=i18n.lazy("publish.bad_bundle", file=path.name,
                                                         error=repr(exc)[:200])) from None
    finally:
        if forked is not None:
            forked.cancel()
    out = VerifyResult(checks=list(report.checks))
    if not report.population_checked:
        out.checks.append(i18n.text("publish.no_population"))
    out.checks += chain.checks()
    if store is not None:
        out.checks += audit_task(store, data["task"]["task_no"], bundle_data=data)
    return out


def _start_reading(pool: ThreadPoolExecutor, path: Path) -> Future[tuple[str, bytes | Exception]]:
    """The population file read, hashed and unzipped in ``pool``, begun before the parse."""
    started = threading.Event()
    early = pool.submit(_population_bytes, path, started)
    # once the JSON parser holds the GIL, a thread that still needs it waits until the parse ends
    started.wait()
    return early


def _parse_bundle(path: Path, raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError as exc:                      # UnicodeDecodeError among them
        raise VerificationError(detail=i18n.lazy("publish.bad_bundle", file=path.name, error=str(exc)[:200])) from None
    if not isinstance(data, dict) or "seal" not in data or "commit_object" not in data:
        raise VerificationError(detail=i18n.lazy("publish.bad_bundle", file=path.name, error="format"))
    return data


_Population = dict[str, np.ndarray] | Callable[[], dict[str, np.ndarray]] | None


def _population_source(pool: ThreadPoolExecutor, pop_file: Path, data: dict[str, Any],
                       forked: population_reader.Reader | None,
                       early: Future[tuple[str, bytes | Exception]] | None,
                       meanwhile: Callable[[], None]) -> tuple[_Population, verify.Hashed | None]:
    """The population for :func:`verify.verify_bundle` and the tickets hashed for it: None
    without a file; the IDs (and the reader's tickets) when the forked reader read them whole
    and they hash as the bundle says; otherwise a function that judges what the reader found,
    or that runs ``meanwhile`` and then waits for the file read in ``pool`` (begun now, or
    ``early``)."""
    if not pop_file.is_file():
        return None, None
    sha256, strata = data["population_file"]["sha256"], data["commit_object"]["strata"]
    got = forked.result(strata) if forked is not None else None
    if got is not None:
        if got[0] == sha256 and not isinstance(got[1], str):
            # read during the parse, hashed since: the re-draw's tickets come in beside the bundle's checks
            hashed = None if forked.tickets is None else (forked.key, forked.stacked, forked.tickets)
            return got[1], hashed
        return partial(_checked_population, pop_file, sha256, *got), None
    reading = pool.submit(_population_of, pop_file, early, sha256, strata)

    def population() -> dict[str, np.ndarray]:
        meanwhile()
        return reading.result()
    return population, None


class _Chain:
    """The verdict on the ledger file beside a bundle, reached once: while the population file
    is still being split (:meth:`check`, which keeps a failure for later), or at the end."""

    def __init__(self, chain_file: Path, bundle_bytes: bytes, data: dict[str, Any]) -> None:
        self._args = (chain_file, bundle_bytes, data)
        self._verdict: list[str] | VerificationError | None = None

    def check(self) -> None:
        if self._verdict is None:
            try:
                self._verdict = _chain_checks(*self._args)
            except VerificationError as exc:
                self._verdict = exc

    def checks(self) -> list[str]:
        """The passed checks; a failure is raised now, after the bundle's own verdict."""
        self.check()
        if isinstance(self._verdict, VerificationError):
            raise self._verdict
        return self._verdict or []


# What a damaged or hand-made file can raise while being read: reported as a failed verification.
_MALFORMED = (KeyError, TypeError, ValueError, AttributeError, IndexError, OSError, EOFError, csv.Error)


def audit_task(store: Store, task_no: str, bundle_data: dict[str, Any] | None = None) -> list[str]:
    """Re-derive a task's draws and teams from the database and compare with the seals."""
    checks: list[str] = []
    conn = store.read()
    try:
        task = bundle.task_row(conn, task_no)
        commit = json.loads(task["commit_object"]) if task["commit_object"] else None
        if commit is None:
            return checks
        if hashlib.sha256(canonical_json(commit)).hexdigest() != task["commitment"]:
            raise verify.fail("verify.commitment", found=task["commitment"],
                              expected=hashlib.sha256(canonical_json(commit)).hexdigest())
        population = dict(bundle.population_rows(conn, task["id"]))
        verify.verify_population(commit["strata"], population)
        _check_strata_rows(conn, task["id"], commit["strata"])
        draws = bundle.draw_rows(conn, task["id"])
        rows = conn.execute(text("SELECT seq, content, seal, bundle_content FROM bundle WHERE task_id = :t "
                                 "ORDER BY seq"), {"t": task["id"]}).all()
        own = [ledger.load_entry(c, s, q) for q, c, s, _b in rows]
        _check_entries(conn, task["department_id"], own)
        entries = {(e["kind"], e.get("round")): e for e in own}
        stored = {(e["kind"], e.get("round")): r[3] for e, r in zip(own, rows)}    # keyed as entries
        del rows
        for d in draws:
            rec = bundle.draw_record_from_db(conn, task, d)
            verify.verify_draw_record(rec, task["commitment"], commit["strata"], population)
            verify.verify_teams(rec, decode(d["assign_input"]))
            seal = ledger.seal_of(rec)
            if seal != d["seal"]:
                raise VerificationError(detail=i18n.lazy("publish.db_draw_changed", round=d["round_no"],
                                                         stored=d["seal"], found=seal))
            e = entries.get(("draw", int(d["round_no"])))
            if e is None or e.get("draw_seal") != seal:
                raise verify.fail("verify.draw_ledger", round=d["round_no"])
            checks.append(i18n.text("publish.ok_db_draw", round=d["round_no"]))
        pub = entries.get(("publication", None))
        if pub is None and (task["state"] == "published" or bundle_data is not None):
            raise verify.fail("publish.db_no_publication", task=task_no)
        if pub is not None:
            pub = _stored_bundle(pub, stored[("publication", None)])[1]
            current = next(d for d in draws if d["current"])
            res = results.results_record(conn, current["id"])
            if ledger.canonical(res) != ledger.canonical(pub["results"]):
                raise verify.fail("publish.db_result_changed", task=task_no, uscc=_first_difference(res, pub["results"]))
            if bundle_data is not None and bundle_data["seal"] != pub["seal"]:
                raise VerificationError(detail=i18n.lazy("publish.bundle_not_db", task=task_no))
            checks.append(i18n.text("publish.ok_db_results"))
    finally:
        conn.rollback()
    return checks


def _check_strata_rows(conn: Connection, task_id: int, strata: list[dict[str, Any]]) -> None:
    """The stored strata (key, size, quota, digest) must be the committed ones."""
    stored = [(k, int(n), int(q), g) for k, n, q, g in conn.execute(text(
        "SELECT key, size, quota, digest FROM task_stratum WHERE task_id = :t ORDER BY idx"), {"t": task_id})]
    committed = [(s["key"], s["size"], s["quota"], s["digest"]) for s in strata]
    for i in range(max(len(stored), len(committed))):
        found = stored[i] if i < len(stored) else None
        expected = committed[i] if i < len(committed) else None
        if found != expected:
            raise verify.fail("publish.db_stratum_changed", key=(found or expected or ("?",))[0])


def _check_entries(conn: Connection, department_id: int, own: list[dict[str, Any]]) -> None:
    """The task's ledger entries: each seal, and each link to the department's previous entry."""
    for e in own:
        ledger.verify_entry(e)
        seq = int(e["seq"])
        prev = ledger.GENESIS if seq == 1 else conn.execute(text(
            "SELECT seal FROM bundle WHERE department_id = :d AND seq = :s"),
            {"d": department_id, "s": seq - 1}).scalar()
        if prev != e.get("prev_seal"):
            raise verify.fail("ledger.broken_link", seq=seq)


def _first_difference(found: list[dict[str, Any]], published: list[dict[str, Any]]) -> str:
    """The first entity whose result in the database differs from the published one."""
    a = {r["uscc"]: r for r in found}
    b = {r["uscc"]: r for r in published}
    for uscc in [*b, *a]:
        if a.get(uscc) != b.get(uscc):
            return uscc
    return "—"


def audit(store: Store) -> list[str]:
    """Check the whole database: every department's chain, every task's draws, teams and results."""
    checks: list[str] = []
    conn = store.read()
    depts = conn.execute(text("SELECT DISTINCT d.id, d.name FROM department d JOIN bundle b ON b.department_id = d.id "
                              "ORDER BY d.id")).all()
    task_nos = [t for (t,) in conn.execute(text("SELECT task_no FROM task WHERE state IN ('drawn', 'published') ORDER BY id"))]
    chains = {name: ledger.entries(conn, did) for did, name in depts}
    snapshot_ok = snapshot.check(conn)
    orphans = [int(d) for (d,) in conn.execute(text(
        "SELECT DISTINCT draw_id FROM draw_entity WHERE draw_id NOT IN (SELECT id FROM draw) UNION "
        "SELECT DISTINCT draw_id FROM draw_team WHERE draw_id NOT IN (SELECT id FROM draw) ORDER BY 1"))]
    conn.rollback()
    if orphans:
        raise verify.fail("publish.orphan_draw_rows", draws="、".join(map(str, orphans[:5])))
    if snapshot_ok is False:
        raise verify.fail("publish.snapshot_changed")
    if snapshot_ok:
        checks.append(i18n.text("publish.ok_snapshot"))
    for name, chain in chains.items():
        ledger.verify_chain(chain)
        checks.append(i18n.text("publish.ok_chain_dept", department=name, n=len(chain)))
    for t in task_nos:
        checks += [f"{t}: {c}" for c in audit_task(store, t)]
    return checks


i18n.register({
    "publish.already": {"zh": "任务 {task} 已公示，公示结果不可更改", "en": "task {task} is already published; published results cannot change"},
    "republish.not_published": {"zh": "任务 {task} 尚未公示，没有可重新生成的公示文件",
                                "en": "task {task} is not published: there are no publication files to write again"},
    "republish.population": {"zh": "按冻结总体重新生成的总体文件 SHA-256 为 {found}，与审计包封存的 {sealed} 不符：数据库中的冻结总体已被改动",
                             "en": "the population file rebuilt from the frozen population hashes to {found}, not {sealed} as sealed in the bundle: the frozen population in the database was changed"},
    "publish.not_drawn": {"zh": "任务 {task} 尚未抽取", "en": "task {task} has not been drawn"},
    "publish.pending": {"zh": "任务 {task} 还有 {count} 条检查结果未审核通过，不能公示（结果公示前名单保密）",
                        "en": "task {task} has {count} result(s) not yet approved; nothing is published before the results"},
    "publish.directed": {"zh": "定向抽查", "en": "directed random inspection"},
    "publish.undirected": {"zh": "不定向抽查", "en": "undirected random inspection"},
    "publish.bad_bundle": {"zh": "无法读取审计包 {file}：{error}", "en": "cannot read audit bundle {file}: {error}"},
    "publish.bad_population": {"zh": "总体文件 {file} 与承诺不符：{error}", "en": "population file {file} does not match the commitment: {error}"},
    "publish.pop_hash": {"zh": "总体文件 {file} 的 SHA-256 与审计包记载不符", "en": "population file {file}: SHA-256 differs from the bundle"},
    "publish.no_population": {"zh": "未找到总体文件：已核验种子、签号与入选阈值，但未复核“未抽中者”", "en": "no population file: seed, tickets and thresholds checked, but not who else should have been drawn"},
    "publish.not_in_chain": {"zh": "台账文件中第 {seq} 条不是本审计包", "en": "ledger entry {seq} in the ledger file is not this bundle"},
    "publish.draw_not_in_chain": {"zh": "审计包所载第 {round} 轮抽取的台账条目（第 {seq} 条）与台账文件中的该条不符",
                                  "en": "the ledger entry of round {round} (entry {seq}) in the bundle differs from that entry in the ledger file"},
    "publish.ok_chain": {"zh": "台账链条完整：{n} 条", "en": "ledger chain intact: {n} entries"},
    "publish.ok_chain_dept": {"zh": "{department} 台账链条完整：{n} 条", "en": "{department}: ledger chain intact, {n} entries"},
    "publish.db_draw_changed": {"zh": "数据库中第 {round} 轮抽取记录被改动：封存时为 {stored}，现为 {found}",
                                "en": "round {round} was changed in the database: sealed {stored}, now {found}"},
    "publish.ok_db_draw": {"zh": "数据库第 {round} 轮抽取与人员匹配复核一致", "en": "database round {round}: draw and teams re-derived"},
    "publish.db_result_changed": {"zh": "任务 {task} 的检查结果在公示后被改动：主体 {uscc} 的结果与公示审计包不符（被修改、删除或增加）",
                                  "en": "task {task}: the result of entity {uscc} was changed, deleted or added after publication (it differs from the bundle)"},
    "publish.db_stratum_changed": {"zh": "数据库中分层 {key} 的记录（数量、抽取数或总体摘要）与承诺不符",
                                   "en": "stratum {key} in the database (size, quota or population digest) differs from the commitment"},
    "publish.db_no_publication": {"zh": "任务 {task} 的公示条目不在数据库台账中（已被删除？）",
                                  "en": "task {task}: its publication entry is missing from the database ledger (deleted?)"},
    "publish.db_bundle_missing": {"zh": "数据库台账第 {seq} 条公示条目所指的审计包不在数据库中（已被删除？）",
                                  "en": "the audit bundle named by publication entry {seq} of the database ledger is missing (deleted?)"},
    "publish.db_bundle_changed": {"zh": "数据库中台账第 {seq} 条公示条目的审计包被改动：内容与条目记载的封存值 {seal} 不符",
                                  "en": "the audit bundle of publication entry {seq} was changed in the database: it does not match the seal {seal} its entry names"},
    "publish.bundle_not_db": {"zh": "该审计包不是数据库中任务 {task} 的公示审计包", "en": "this bundle is not the database's publication bundle of task {task}"},
    "publish.snapshot_changed": {"zh": "主体名录快照与检查对象名录库不一致（快照被改动或触发器被删除）；下次冻结前请运行 `shuangsuiji registry snapshot` 重建",
                                 "en": "the entity snapshot differs from the registry (edited, or its triggers dropped); rebuild it with `shuangsuiji registry snapshot` before the next freeze"},
    "publish.orphan_draw_rows": {"zh": "数据库中有不属于任何抽取的抽中主体或人员匹配记录（抽取编号 {draws}）：这些行是直接改动数据库产生的",
                                 "en": "the database holds drawn entities or team seats of no draw (draw ids {draws}): they were made by editing the database directly"},
    "publish.ok_snapshot": {"zh": "主体名录快照与名录库一致", "en": "entity snapshot matches the registry"},
    "publish.ok_db_results": {"zh": "数据库检查结果与公示审计包一致", "en": "database results match the published bundle"},
})
