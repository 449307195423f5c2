"""The schema: 一单 (items), 两库 (entities, inspectors), tasks, draws, results, bundles.

SQLModel declares the tables; bulk work goes through SQLAlchemy Core on ``Model.__table__``.
Rows that a sealed draw or a published result depends on are never deleted: registries are
updated in place (status, enabled) and every change is logged in ``registry_change``.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, ForeignKeyConstraint, Index, LargeBinary, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel


class Department(SQLModel, table=True):
    __tablename__ = "department"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    cross_unit: bool = True
    rotation_days: int = 365


class Unit(SQLModel, table=True):
    """A supervising unit (管辖单位), e.g. a 市场监管所."""

    __tablename__ = "unit"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)


class Item(SQLModel, table=True):
    """A random-inspection item (一单)."""

    __tablename__ = "item"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=500)
    sub_item: str = Field(default="", max_length=500)
    legal_basis: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    department_id: int = Field(foreign_key="department.id", index=True)
    target_type: str = Field(default="", max_length=100)
    method: str = Field(default="onsite", max_length=20)
    ratio: str | None = Field(default=None, max_length=40)
    frequency: str = Field(default="", max_length=100)
    qualification: str | None = Field(default=None, max_length=100)
    category: str = Field(default="general", max_length=10)
    enabled: bool = True
    row_hash: str = Field(default="", max_length=64)


class Entity(SQLModel, table=True):
    """A market entity of the inspection-object registry (检查对象名录库)."""

    __tablename__ = "entity"
    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(max_length=18, unique=True)
    name: str = Field(max_length=300)
    entity_type: str = Field(default="enterprise", max_length=20)
    industry: str | None = Field(default=None, max_length=5)
    region: str = Field(max_length=6, index=True)
    address: str = Field(default="", max_length=500)
    status: str = Field(default="active", max_length=20)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    risk: str | None = Field(default=None, max_length=1)
    tags: str = Field(default="", max_length=500)
    last_inspected: date | None = None
    enabled: bool = True
    row_hash: str = Field(default="", max_length=64)


class Inspector(SQLModel, table=True):
    """An enforcement officer (执法检查人员) or, with ``expert``, a member of the expert library."""

    __tablename__ = "inspector"
    id: int | None = Field(default=None, primary_key=True)
    cert_no: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=100)
    department_id: int = Field(foreign_key="department.id", index=True)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    qualifications: str = Field(default="", max_length=500)
    status: str = Field(default="on_duty", max_length=20)
    capacity: int | None = None
    expert: bool = False
    id_card: str | None = Field(default=None, max_length=18)
    phone: str | None = Field(default=None, max_length=30)
    row_hash: str = Field(default="", max_length=64)


class Conflict(SQLModel, table=True):
    """A declared conflict of interest (回避): the inspector must not inspect the entity."""

    __tablename__ = "conflict"
    __table_args__ = (UniqueConstraint("inspector_id", "entity_id", "valid_from", name="uq_conflict"),)
    id: int | None = Field(default=None, primary_key=True)
    inspector_id: int = Field(foreign_key="inspector.id", index=True)
    entity_id: int = Field(foreign_key="entity.id", index=True)
    reason: str = Field(default="", max_length=500)
    valid_from: date | None = None
    valid_to: date | None = None


class Inspection(SQLModel, table=True):
    """A past inspection (imported history or a completed task): drives rotation and windows."""

    __tablename__ = "inspection"
    id: int | None = Field(default=None, primary_key=True)
    entity_id: int = Field(foreign_key="entity.id")
    department_id: int | None = Field(default=None, foreign_key="department.id")
    inspected_on: date
    task_id: int | None = Field(default=None, foreign_key="task.id")


class InspectionMember(SQLModel, table=True):
    __tablename__ = "inspection_member"
    inspection_id: int = Field(foreign_key="inspection.id", primary_key=True)
    inspector_id: int = Field(foreign_key="inspector.id", primary_key=True)


class ImportBatch(SQLModel, table=True):
    __tablename__ = "import_batch"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)
    file_name: str = Field(max_length=500)
    file_sha256: str = Field(max_length=64)
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    imported_at: datetime


class RegistryChange(SQLModel, table=True):
    """Append-only log of every change a re-import made to a registry row."""

    __tablename__ = "registry_change"
    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="import_batch.id", index=True)
    kind: str = Field(max_length=20)
    key: str = Field(max_length=64, index=True)
    field: str = Field(max_length=40)
    old: str | None = Field(default=None, sa_column=Column(Text))
    new: str | None = Field(default=None, sa_column=Column(Text))


class Plan(SQLModel, table=True):
    """An annual plan (年度抽查计划)."""

    __tablename__ = "plan"
    id: int | None = Field(default=None, primary_key=True)
    plan_no: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=300)
    year: int
    department_id: int = Field(foreign_key="department.id")
    created_at: datetime


class Task(SQLModel, table=True):
    """An inspection task (抽查任务).  ``spec`` is its canonical JSON definition."""

    __tablename__ = "task"
    id: int | None = Field(default=None, primary_key=True)
    task_no: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=300)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    department_id: int = Field(foreign_key="department.id", index=True)
    spec: str = Field(sa_column=Column(Text, nullable=False))
    state: str = Field(default="draft", max_length=20)
    commitment: str | None = Field(default=None, max_length=64)
    frozen_at: datetime | None = None
    commit_object: str | None = Field(default=None, sa_column=Column(Text))
    inspection_end: date | None = None
    published_at: datetime | None = None
    created_at: datetime


class TaskStratum(SQLModel, table=True):
    """A frozen stratum: its eligible USCCs in ascending order (fixed 18-byte fields), the
    matching entity ids (int64) and their units on the freeze day (int32, -1 for none; NULL
    for tasks frozen before migration 0006), each a compressed block (:mod:`.packing`)."""

    __tablename__ = "task_stratum"
    task_id: int = Field(foreign_key="task.id", primary_key=True)
    idx: int = Field(primary_key=True)
    key: str = Field(max_length=300)
    size: int
    quota: int
    digest: str = Field(max_length=64)
    members: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    member_ids: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    member_units: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


class TaskExclusion(SQLModel, table=True):
    """Entities excluded at freeze, by reason (counted and listed internally)."""

    __tablename__ = "task_exclusion"
    task_id: int = Field(foreign_key="task.id", primary_key=True)
    reason: str = Field(max_length=40, primary_key=True)
    count: int
    members: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Draw(SQLModel, table=True):
    """A sealed draw.  Re-draws add rows (round 2, 3 …) with a reason; none is ever deleted."""

    __tablename__ = "draw"
    __table_args__ = (UniqueConstraint("task_id", "round_no", name="uq_draw_round"),)
    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    round_no: int
    public_value: str = Field(max_length=500)
    source: str = Field(max_length=20)
    seed: str = Field(max_length=64)
    reason: str | None = Field(default=None, sa_column=Column(Text))
    algorithm: str = Field(max_length=40)
    current: bool = True
    drawn: int = 0
    as_of: date
    assign_input: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    seal: str = Field(max_length=64)
    created_at: datetime
    created_by: str = Field(default="", max_length=100)


class DrawStratum(SQLModel, table=True):
    __tablename__ = "draw_stratum"
    draw_id: int = Field(foreign_key="draw.id", primary_key=True)
    idx: int = Field(primary_key=True)
    threshold_ticket: str | None = Field(default=None, max_length=16)
    threshold_id: str | None = Field(default=None, max_length=18)


class DrawEntity(SQLModel, table=True):
    """One drawn entity; ``ticket`` is 16 hex digits (uint64 does not fit BIGINT).

    Sealed, append-only rows written only by a draw: they carry no foreign keys (migration
    0007).  Their draw, entity and officers cannot be deleted (triggers), and ``audit``
    rebuilds every draw from these rows and compares it with the seal.  SQLite keeps them in
    their primary key's tree (``WITHOUT ROWID``, migration 0008)."""

    __tablename__ = "draw_entity"
    __table_args__ = {"sqlite_with_rowid": False}
    draw_id: int = Field(primary_key=True)
    entity_id: int = Field(primary_key=True)
    stratum: int
    rank: int
    ticket: str = Field(max_length=16)


class DrawTeam(SQLModel, table=True):
    """A seat of a drawn entity's team; sealed like :class:`DrawEntity`, no foreign keys."""

    __tablename__ = "draw_team"
    __table_args__ = {"sqlite_with_rowid": False}
    draw_id: int = Field(primary_key=True)
    entity_id: int = Field(primary_key=True)
    seat: int = Field(primary_key=True)
    inspector_id: int
    role: str = Field(max_length=10)


class Result(SQLModel, table=True):
    """The current result of one inspected entity; every change is an appended ResultEvent.

    Its draw and entity must be a drawn row: a declared key on SQLite, a check per statement
    on PostgreSQL (migration 0008: a per-row key locked every drawn row), and on both they
    never change."""

    __tablename__ = "result"
    id: int | None = Field(default=None, primary_key=True)
    draw_id: int                                            # uq_result leads with draw_id
    entity_id: int
    codes: str = Field(default="", max_length=100)
    action: str = Field(default="", max_length=100)
    completed_on: date | None = None
    remarks: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    rectify_by: date | None = None
    state: str = Field(default="pending_entry", max_length=20)
    entered_by: str = Field(default="", max_length=100)
    version: int = 0
    __table_args__ = (UniqueConstraint("draw_id", "entity_id", name="uq_result"),
                      ForeignKeyConstraint(["draw_id", "entity_id"], ["draw_entity.draw_id", "draw_entity.entity_id"],
                                           name="fk_result_drawn").ddl_if(dialect="sqlite"))


class ResultEvent(SQLModel, table=True):
    __tablename__ = "result_event"
    id: int | None = Field(default=None, primary_key=True)
    result_id: int = Field(foreign_key="result.id", index=True)
    at: datetime
    actor: str = Field(max_length=100)
    action: str = Field(max_length=20)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    payload: str = Field(sa_column=Column(Text, nullable=False))


class Bundle(SQLModel, table=True):
    """A sealed ledger entry, chained per department by ``prev_seal``.

    A publication entry of ledger format 2 names its audit bundle by ``bundle_seal`` in its
    content and keeps the bundle (canonical JSON) in ``bundle_content``; in format 1 the
    entry's content was the bundle itself."""

    __tablename__ = "bundle"
    __table_args__ = (UniqueConstraint("department_id", "seq", name="uq_bundle_seq"),)
    id: int | None = Field(default=None, primary_key=True)
    department_id: int = Field(foreign_key="department.id")
    seq: int
    task_id: int = Field(foreign_key="task.id", index=True)
    prev_seal: str = Field(max_length=64)
    seal: str = Field(max_length=64, unique=True)
    content: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime
    bundle_content: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class EntitySnapshot(SQLModel, table=True):
    """A columnar copy of the entity registry (see :mod:`shuangsuiji.snapshot`)."""

    __tablename__ = "entity_snapshot"
    id: int | None = Field(default=None, primary_key=True)
    rows: int
    max_id: int
    meta: str = Field(sa_column=Column(Text, nullable=False))
    built_at: datetime


class EntitySnapshotPart(SQLModel, table=True):
    """One column of a snapshot, a block of rows at a time (:mod:`.packing` of little-endian numpy data)."""

    __tablename__ = "entity_snapshot_part"
    snapshot_id: int = Field(foreign_key="entity_snapshot.id", primary_key=True)
    name: str = Field(max_length=40, primary_key=True)
    chunk: int = Field(primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class SnapshotState(SQLModel, table=True):
    """The one snapshot that matches the entity table now; triggers on ``entity`` clear it."""

    __tablename__ = "snapshot_state"
    id: int = Field(primary_key=True)
    snapshot_id: int | None = None


Index("ix_inspection_entity_date", Inspection.entity_id, Inspection.inspected_on)
Index("ix_inspection_date", Inspection.inspected_on, Inspection.entity_id)      # migration 0011
Index("ix_entity_last_inspected", Entity.last_inspected, sqlite_where=text("last_inspected IS NOT NULL"),
      postgresql_where=text("last_inspected IS NOT NULL"), postgresql_include=["id"])
