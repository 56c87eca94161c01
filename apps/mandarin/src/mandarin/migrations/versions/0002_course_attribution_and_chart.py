"""Course attribution and source digest; the movie-method chart's sound slots.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 09:00:00.000000

The chart is fixed reference data (55 actors, 13 sets) every database needs before anyone can
cast an actor; the rows carry the ids `mandarin.mnemonics.chart.slot_id` derives, so they are
the same everywhere. The data is spelled out here, as migrations must not change with the code.
"""

import uuid

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_NAMESPACE = uuid.UUID("8f6f1c1e-4d5b-4f3c-9a57-6d2f0c1b7a10")

_ACTORS = {
    "male": (
        "Ø", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h",
        "zh", "ch", "sh", "r", "z", "c", "s",
    ),
    "female": ("bi", "pi", "mi", "di", "ti", "ni", "li", "ji", "qi", "xi", "yi"),
    "fictional": (
        "bu", "pu", "mu", "fu", "du", "tu", "nu", "lu", "gu", "ku", "hu",
        "zhu", "chu", "shu", "ru", "zu", "cu", "su", "wu",
    ),
    "god": ("nü", "lü", "ju", "qu", "xu", "yu"),
}  # fmt: skip

_ACTOR_LABELS = {
    "Ø": "no initial: a, e, ai, ou, er",
    "yi": "y(i)-: yi, ya, ye, you, yan, ying",
    "wu": "w(u)-: wu, wa, wo, wei, wan",
    "yu": "yu-: yu, yue, yuan, yun",
}

_SETS = {
    "Ø": "no final: bu, bi, ju, zhi, yi, wu",
    "a": "-a: ba, jia, hua",
    "o": "-o: bo, duo, yo",
    "e": "-e: ge, jie, jue",
    "ai": "-ai: bai, kuai",
    "ei": "-ei: bei, gui",
    "ao": "-ao: bao, jiao",
    "ou": "-ou: dou, jiu",
    "an": "-an: ban, jian, guan, juan",
    "en": "-(e)n: ben, jin, gun, jun",
    "ang": "-ang: bang, jiang, guang",
    "eng": "-(e)ng: beng, jing",
    "ong": "-ong: dong, jiong",
}


def _slots() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for category, keys in _ACTORS.items():
        for key in keys:
            rows.append(
                {
                    "id": uuid.uuid5(_NAMESPACE, f"initial:{key}"),
                    "kind": "initial",
                    "key": key,
                    "actor_category": category,
                    "description": _ACTOR_LABELS.get(key, f"{key}-"),
                }
            )
    for key, label in _SETS.items():
        rows.append(
            {
                "id": uuid.uuid5(_NAMESPACE, f"final:{key}"),
                "kind": "final",
                "key": key,
                "actor_category": None,
                "description": label,
            }
        )
    return rows


def upgrade() -> None:
    op.add_column(
        "courses",
        sa.Column(
            "attribution",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
    )
    op.add_column("courses", sa.Column("source_digest", sa.String(length=64), nullable=True))
    slots = sa.table(
        "sound_slots",
        sa.column("id", sa.Uuid()),
        sa.column("kind", sa.String()),
        sa.column("key", sa.String()),
        sa.column("actor_category", sa.String()),
        sa.column("description", sa.Text()),
    )
    op.bulk_insert(slots, _slots())


def downgrade() -> None:
    slots = sa.table("sound_slots", sa.column("id", sa.Uuid()))
    op.execute(slots.delete().where(slots.c.id.in_([row["id"] for row in _slots()])))
    # A plain DROP COLUMN (SQLite >= 3.35): a batch rebuild would drop the courses table and,
    # with foreign keys on, cascade into every phase, level and enrolment.
    op.drop_column("courses", "source_digest")
    op.drop_column("courses", "attribution")
