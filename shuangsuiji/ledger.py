"""The department ledger: sealed entries chained by SHA-256.

Each entry's content is canonical JSON holding ``seq``, ``prev_seal`` (the seal of the
department's previous entry, 64 zeros for the first) and a body; its seal is SHA-256 of
that content.  Editing, removing or reordering any entry breaks the chain, which
:func:`verify_chain` (pure) reports with the first difference.
"""
from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, text
from sqlalchemy.exc import IntegrityError

from . import i18n
from .errors import RetryableError, VerificationError
from .models import Bundle
from .sampling import JSON_INT_MAX
from .sampling import canonical_json as _reference_json

FORMAT = "shuangsuiji-ledger/2"
FORMAT_1 = "shuangsuiji-ledger/1"        # a publication entry holds its whole bundle
FORMATS = (FORMAT_1, FORMAT)
GENESIS = "0" * 64
_MAX_DEPTH = 64


def canonical(obj: Any) -> bytes:
    """Canonical JSON bytes (the rules of ``docs/algorithm.md``), fast for large records.

    A value made only of dicts with text keys, lists, NFC text, integers within ±(2**53 − 1),
    booleans and null is emitted by the C JSON encoder, whose output for such values is
    byte-identical to the reference emitter (sorted keys, no spaces, raw UTF-8, the same
    escapes); anything else goes through the reference, which normalises or rejects it.
    """
    if _plain(obj):
        try:
            return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            pass
    return _reference_json(obj)


def verbatim(text: str) -> bool:
    """Whether canonical JSON writes ``text`` between its quotes exactly as it is (printable
    ASCII without quote or backslash), so that fast emitters may format it directly.

    >>> verbatim("91330106MA2QXLLX5D"), verbatim('9"1'), verbatim("9\\x01"), verbatim("税")
    (True, False, False, False)
    """
    return text.isascii() and text.isprintable() and '"' not in text and "\\" not in text


def _plain(obj: Any) -> bool:
    nfc = unicodedata.is_normalized
    stack: list[tuple[Any, int]] = [(obj, 0)]
    while stack:
        v, depth = stack.pop()
        t = type(v)
        if t is str:
            if not v.isascii() and not nfc("NFC", v):
                return False
        elif t is dict:
            if depth >= _MAX_DEPTH:
                return False
            for k, x in v.items():
                if type(k) is not str or (not k.isascii() and not nfc("NFC", k)):
                    return False
                tx = type(x)
                if tx is str:
                    if not x.isascii() and not nfc("NFC", x):
                        return False
                elif tx is not bool and x is not None:
                    stack.append((x, depth + 1))
        elif t is list or t is tuple:
            if depth >= _MAX_DEPTH:
                return False
            stack.extend((x, depth + 1) for x in v)
        elif t is int:
            if not -JSON_INT_MAX <= v <= JSON_INT_MAX:
                return False
        elif v is not None and t is not bool:
            return False
    return True


def seal_of(content: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of ``content`` (a ``seal`` key is ignored)."""
    body = {k: v for k, v in content.items() if k != "seal"}
    return hashlib.sha256(canonical(body)).hexdigest()


def append(conn: Connection, *, department_id: int, task_id: int, kind: str, body: dict[str, Any]) -> int:
    """Append an entry to the department's chain; returns its sequence number.  A lost race
    on the (department, seq) key surfaces as a :class:`RetryableError`."""
    head = _next_head(conn, department_id, kind)
    _insert(conn, department_id, task_id, head, {**head, **body})
    return int(head["seq"])


def append_publication(conn: Connection, *, department_id: int, task_id: int, task_no: str,
                       body: dict[str, Any]) -> tuple[int, str]:
    """Append a publication: the audit bundle (the entry's head and ``body``, sealed on its
    own) is stored beside a chain entry that names it by its seal.  Returns (seq, the
    bundle's seal).

    The chain entry holds the same head (format, kind, department, seq, prev_seal,
    created_at) as the bundle, the task number and ``bundle_seal``, so the chain stays small
    however large the bundle is."""
    head = _next_head(conn, department_id, "publication")
    raw = canonical({**head, **body})
    bundle_seal = hashlib.sha256(raw).hexdigest()
    _insert(conn, department_id, task_id, head, {**head, "task_no": task_no, "bundle_seal": bundle_seal},
            bundle_content=raw.decode("utf-8"))
    return int(head["seq"]), bundle_seal


def _next_head(conn: Connection, department_id: int, kind: str) -> dict[str, Any]:
    """The head of the department's next entry: on PostgreSQL the department row is locked
    so that concurrent appends queue."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT id FROM department WHERE id = :d FOR UPDATE"), {"d": department_id})
    dept = conn.execute(text("SELECT name FROM department WHERE id = :d"), {"d": department_id}).scalar_one()
    last = conn.execute(text("SELECT seq, seal FROM bundle WHERE department_id = :d ORDER BY seq DESC LIMIT 1"),
                        {"d": department_id}).first()
    seq = 1 if last is None else int(last[0]) + 1
    prev = GENESIS if last is None else str(last[1])
    created = datetime.now(timezone.utc).replace(microsecond=0)
    return {"format": FORMAT, "kind": kind, "department": dept, "seq": seq, "prev_seal": prev,
            "created_at": created.isoformat()}


def _insert(conn: Connection, department_id: int, task_id: int, head: dict[str, Any], content: dict[str, Any],
            bundle_content: str | None = None) -> None:
    raw = canonical(content)
    try:
        with conn.begin_nested():
            conn.execute(insert(Bundle.__table__).values(
                department_id=department_id, seq=head["seq"], task_id=task_id, prev_seal=head["prev_seal"],
                seal=hashlib.sha256(raw).hexdigest(), content=raw.decode("utf-8"),
                created_at=datetime.fromisoformat(head["created_at"]), bundle_content=bundle_content))
    except IntegrityError as exc:
        raise RetryableError(detail=i18n.lazy("ledger.race", seq=head["seq"])) from exc


HEAD = ("format", "kind", "department", "seq", "prev_seal", "created_at")


def names_bundle(entry: dict[str, Any], bundle: dict[str, Any]) -> bool:
    """Whether the chain entry ``entry`` is the entry of the sealed audit ``bundle``: in
    format 1 the bundle is the entry itself; in format 2 the entry names the bundle's seal
    and has the bundle's head.

    >>> head = {"format": FORMAT, "kind": "publication", "department": "d", "seq": 3, "prev_seal": "0" * 64,
    ...         "created_at": "2026-11-22T00:00:00+00:00"}
    >>> b = {**head, "results": [], "seal": "b" * 64}
    >>> names_bundle({**head, "bundle_seal": "b" * 64, "seal": "e" * 64}, b)
    True
    >>> names_bundle({**head, "seq": 4, "bundle_seal": "b" * 64, "seal": "e" * 64}, b)
    False
    """
    if bundle.get("format") == FORMAT_1:
        return entry.get("seal") == bundle.get("seal")
    return (entry.get("kind") == "publication" and entry.get("bundle_seal") == bundle.get("seal")
            and all(entry.get(k) == bundle.get(k) for k in HEAD))


def write_chain(conn: Connection, department_id: int, path: Path, *, upto: int | None = None) -> int:
    """Write the department's chain (up to entry ``upto``) as JSON lines (:func:`sealed_text`),
    one entry at a time."""
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for content, seal in conn.execute(text(
                "SELECT content, seal FROM bundle WHERE department_id = :d AND seq <= :u ORDER BY seq"),
                {"d": department_id, "u": upto if upto is not None else 2**62}):
            fh.write(sealed_text(content, seal) + "\n")
            n += 1
    return n


def entries(conn: Connection, department_id: int) -> list[dict[str, Any]]:
    """The department's entries in order, each with its stored ``seal``."""
    return [load_entry(content, seal, seq) for seq, content, seal in conn.execute(text(
        "SELECT seq, content, seal FROM bundle WHERE department_id = :d ORDER BY seq"), {"d": department_id})]


def load_entry(content: str, seal: str, seq: int) -> dict[str, Any]:
    """A stored entry with its seal; content that is not a JSON object was tampered with."""
    try:
        entry = json.loads(content)
    except ValueError:
        entry = None
    if not isinstance(entry, dict):
        raise VerificationError(detail=i18n.lazy("ledger.unreadable", seq=seq))
    entry["seal"] = seal
    return entry


def sealed_text(content: str, seal: str) -> str:
    """A sealed entry as one line of JSON: its canonical content with ``"seal"`` appended last.

    Everything before the final ``,"seal":"…"}`` plus the closing brace is exactly the sealed
    bytes, so a reader can check the seal by hashing without re-serialising.

    >>> sealed_text('{"a":1}', "0" * 64) == '{"a":1,"seal":"' + "0" * 64 + '"}'
    True
    """
    return f'{content[:-1]},"seal":"{seal}"}}'


def text_matches_seal(text: str | bytes, seal: str) -> bool:
    """Whether ``text`` (or its UTF-8 bytes) is :func:`sealed_text` of content whose SHA-256
    is ``seal``.

    A ``False`` proves nothing (the file may just be formatted differently): callers then
    fall back to :func:`verify_entry`, which re-serialises.

    >>> line = sealed_text('{"a":1}', hashlib.sha256(b'{"a":1}').hexdigest())
    >>> text_matches_seal(line, line[-66:-2]), text_matches_seal(line.encode(), line[-66:-2])
    (True, True)
    """
    data = text.encode("utf-8") if isinstance(text, str) else text
    tail = f',"seal":"{seal}"}}'.encode("utf-8")
    if len(seal) != 64 or not data.endswith(tail):
        return False
    digest = hashlib.sha256(memoryview(data)[:-len(tail)])
    digest.update(b"}")
    return digest.hexdigest() == seal


def verify_entry(entry: dict[str, Any], text: str | bytes | None = None) -> None:
    """Check an entry's seal; ``text``, the JSON it was read from, allows the fast path."""
    seal = entry.get("seal")
    if text is not None and isinstance(seal, str) and text_matches_seal(text, seal):
        return
    expected = seal_of(entry)
    if entry.get("seal") != expected:
        raise VerificationError(detail=i18n.lazy("ledger.bad_seal", seq=entry.get("seq"), kind=entry.get("kind"),
                                                 found=entry.get("seal"), expected=expected))


def verify_chain(chain: Sequence[dict[str, Any]], *, complete: bool = True,
                 texts: Sequence[str | bytes | None] | None = None, sealed: Sequence[Any] = ()) -> None:
    """Check seals and links.  ``complete``: the chain must start at seq 1 (genesis).
    ``texts``: the JSON each entry was read from (see :func:`verify_entry`). ``sealed``:
    entries (the objects themselves) whose seal the caller has already checked."""
    prev_seal = None
    prev_seq = None
    done = {id(e) for e in sealed}
    for i, entry in enumerate(chain):
        if id(entry) not in done:
            verify_entry(entry, texts[i] if texts is not None else None)
        seq = entry.get("seq")
        if i == 0:
            if complete and (seq != 1 or entry.get("prev_seal") != GENESIS):
                raise VerificationError(detail=i18n.lazy("ledger.bad_start", seq=seq))
        else:
            if seq != prev_seq + 1:  # type: ignore[operator]
                raise VerificationError(detail=i18n.lazy("ledger.gap", after=prev_seq, seq=seq))
            if entry.get("prev_seal") != prev_seal:
                raise VerificationError(detail=i18n.lazy("ledger.broken_link", seq=seq))
        prev_seal, prev_seq = entry["seal"], seq


i18n.register({
    "ledger.race": {"zh": "同一部门的台账序号 {seq} 已被另一个并发操作占用", "en": "ledger sequence {seq} was taken by a concurrent operation"},
    "ledger.bad_seal": {"zh": "台账第 {seq} 条（{kind}）的封印不符：记录为 {found}，按内容计算应为 {expected}——内容已被改动",
                        "en": "ledger entry {seq} ({kind}) seal mismatch: recorded {found}, content hashes to {expected}: the content was altered"},
    "ledger.unreadable": {"zh": "台账第 {seq} 条的内容无法解析——内容已被改动", "en": "ledger entry {seq} cannot be parsed: the content was altered"},
    "ledger.bad_start": {"zh": "台账应从第 1 条（创世）开始，实际从第 {seq} 条开始——前面的条目缺失",
                         "en": "the ledger must start at entry 1 (genesis) but starts at {seq}: earlier entries are missing"},
    "ledger.gap": {"zh": "台账第 {after} 条之后应为第 {after}+1 条，实际为第 {seq} 条——条目被删除或调换了顺序",
                   "en": "ledger entry {after} is followed by entry {seq}: an entry was removed or reordered"},
    "ledger.broken_link": {"zh": "台账第 {seq} 条的前序封印与上一条不符——链条被改动",
                           "en": "ledger entry {seq} does not link to the previous entry's seal: the chain was altered"},
})
