"""bundle: a publication's audit bundle is stored beside its chain entry

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22

Ledger format 2 (``shuangsuiji-ledger/2``): a publication's chain entry names its bundle by
the bundle's seal (``bundle_seal``) instead of holding the whole bundle, so the chain stays a
few hundred bytes an entry and the ledger file published with every bundle no longer carries
every earlier bundle of the department (about 200 MB each at provincial scale).  The bundle
itself, sealed as before, is kept in the new column of its entry's row, which the sealed-row
triggers of migration 0002 already cover (they refuse any UPDATE or DELETE of the row).
Entries written in format 1 are not touched and verify as before.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _has_column() -> bool:
    return "bundle_content" in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("bundle")}


def upgrade() -> None:
    if not _has_column():                          # a downgrade keeps a column holding bundles
        op.add_column("bundle", sa.Column("bundle_content", sa.Text(), nullable=True))


def downgrade() -> None:
    """The column goes only while it is empty: once it holds a sealed bundle, dropping it would
    delete that bundle, so it stays (earlier versions never read it) and the next upgrade
    finds it in place."""
    kept = op.get_bind().execute(sa.text("SELECT count(*) FROM bundle WHERE bundle_content IS NOT NULL")).scalar()
    if not kept:
        op.drop_column("bundle", "bundle_content")    # SQLite ≥ 3.35 drops a plain column in place
