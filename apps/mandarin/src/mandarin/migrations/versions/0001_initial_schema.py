"""Initial schema: identity, content, the movie-method layer and learning state.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 05:49:43.242731
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "courses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("target_lang", sa.String(length=16), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("content_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courses")),
        sa.UniqueConstraint("slug", name=op.f("uq_courses_slug")),
    )
    op.create_table(
        "sound_slots",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "initial",
                "final",
                name="slot_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("key", sa.String(length=16), nullable=False),
        sa.Column(
            "actor_category",
            sa.Enum(
                "male",
                "female",
                "fictional",
                "god",
                name="actor_category",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("description", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sound_slots")),
        sa.UniqueConstraint("kind", "key", name=op.f("uq_sound_slots_kind_key")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("supabase_user_id", sa.Uuid(), nullable=True),
        sa.Column("legacy_user_id", sa.Integer(), nullable=True),
        sa.Column("display_name", sa.String(length=100), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("day_start_hour", sa.SmallInteger(), nullable=False),
        sa.Column("new_per_day", sa.Integer(), nullable=False),
        sa.Column("reviews_per_day", sa.Integer(), nullable=False),
        sa.Column(
            "scheduler",
            sa.Enum(
                "sm2",
                "fsrs",
                name="scheduler",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("desired_retention", sa.Numeric(precision=3, scale=2), nullable=False),
        sa.Column(
            "fsrs_parameters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("token_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("day_start_hour BETWEEN 0 AND 23", name=op.f("ck_users_day_start_hour")),
        sa.CheckConstraint(
            "desired_retention > 0 AND desired_retention < 1", name=op.f("ck_users_retention")
        ),
        sa.CheckConstraint("new_per_day >= 0", name=op.f("ck_users_new_per_day")),
        sa.CheckConstraint("reviews_per_day >= 0", name=op.f("ck_users_reviews_per_day")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("legacy_user_id", name=op.f("uq_users_legacy_user_id")),
        sa.UniqueConstraint("supabase_user_id", name=op.f("uq_users_supabase_user_id")),
    )
    op.create_table(
        "phases",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("ordinal", sa.SmallInteger(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "characters",
                "words",
                "sentences",
                "paragraphs",
                "stories",
                "fluency",
                name="phase_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.CheckConstraint("ordinal >= 1", name=op.f("ck_phases_ordinal")),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_phases_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phases")),
        sa.UniqueConstraint("course_id", "ordinal", name=op.f("uq_phases_course_id_ordinal")),
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("device_label", sa.String(length=200), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["refresh_tokens.id"],
            name=op.f("fk_refresh_tokens_parent_id_refresh_tokens"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_refresh_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_tokens_token_hash")),
    )
    op.create_index(op.f("ix_refresh_tokens_family_id"), "refresh_tokens", ["family_id"])
    op.create_index(
        "ix_refresh_tokens_user_id_revoked_at", "refresh_tokens", ["user_id", "revoked_at"]
    )

    op.create_table(
        "user_actors",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("slot_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("image_url", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["slot_id"],
            ["sound_slots.id"],
            name=op.f("fk_user_actors_slot_id_sound_slots"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_actors_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_actors")),
        sa.UniqueConstraint("user_id", "slot_id", name=op.f("uq_user_actors_user_id_slot_id")),
    )
    op.create_index(op.f("ix_user_actors_slot_id"), "user_actors", ["slot_id"])

    op.create_table(
        "user_rooms",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("set_slot_id", sa.Uuid(), nullable=False),
        sa.Column("tone", sa.SmallInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("tone BETWEEN 1 AND 5", name=op.f("ck_user_rooms_tone")),
        sa.ForeignKeyConstraint(
            ["set_slot_id"],
            ["sound_slots.id"],
            name=op.f("fk_user_rooms_set_slot_id_sound_slots"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_rooms_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_rooms")),
        sa.UniqueConstraint(
            "user_id", "set_slot_id", "tone", name=op.f("uq_user_rooms_user_id_set_slot_id_tone")
        ),
    )
    op.create_index(op.f("ix_user_rooms_set_slot_id"), "user_rooms", ["set_slot_id"])

    op.create_table(
        "user_sets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("slot_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("image_url", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["slot_id"],
            ["sound_slots.id"],
            name=op.f("fk_user_sets_slot_id_sound_slots"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_sets_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sets")),
        sa.UniqueConstraint("user_id", "slot_id", name=op.f("uq_user_sets_user_id_slot_id")),
    )
    op.create_index(op.f("ix_user_sets_slot_id"), "user_sets", ["slot_id"])

    op.create_table(
        "levels",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("phase_id", sa.Uuid(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "unlock_rule",
            sa.Enum(
                "previous_completed",
                "always",
                name="unlock_rule",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("ordinal >= 1", name=op.f("ck_levels_ordinal")),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_levels_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["phase_id"], ["phases.id"], name=op.f("fk_levels_phase_id_phases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_levels")),
        sa.UniqueConstraint("course_id", "ordinal", name=op.f("uq_levels_course_id_ordinal")),
    )
    op.create_index(op.f("ix_levels_phase_id"), "levels", ["phase_id"])

    op.create_table(
        "enrollments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "paused",
                "completed",
                name="enrollment_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("current_level_id", sa.Uuid(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_enrollments_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["current_level_id"],
            ["levels.id"],
            name=op.f("fk_enrollments_current_level_id_levels"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_enrollments_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollments")),
        sa.UniqueConstraint("user_id", "course_id", name=op.f("uq_enrollments_user_id_course_id")),
    )
    op.create_index(op.f("ix_enrollments_course_id"), "enrollments", ["course_id"])

    op.create_table(
        "items",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "component",
                "character",
                "word",
                "sentence",
                "passage",
                name="item_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("hanzi", sa.String(length=800), nullable=False),
        sa.Column("hanzi_traditional", sa.String(length=800), nullable=True),
        sa.Column("sense_key", sa.String(length=64), nullable=False),
        sa.Column("pinyin_numbered", sa.Text(), nullable=True),
        sa.Column("keyword", sa.String(length=200), nullable=True),
        sa.Column("meaning", sa.Text(), nullable=True),
        sa.Column(
            "definitions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("frequency_rank", sa.Integer(), nullable=True),
        sa.Column("hsk2_level", sa.SmallInteger(), nullable=True),
        sa.Column("hsk3_level", sa.SmallInteger(), nullable=True),
        sa.Column("strokes", sa.SmallInteger(), nullable=True),
        sa.Column("audio_url", sa.String(length=500), nullable=True),
        sa.Column("introduced_level_id", sa.Uuid(), nullable=True),
        sa.Column("suggested_prop", sa.String(length=200), nullable=True),
        sa.Column("actor_slot_id", sa.Uuid(), nullable=True),
        sa.Column("set_slot_id", sa.Uuid(), nullable=True),
        sa.Column("tone", sa.SmallInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("hsk2_level BETWEEN 1 AND 6", name=op.f("ck_items_hsk2_level")),
        sa.CheckConstraint("hsk3_level BETWEEN 1 AND 7", name=op.f("ck_items_hsk3_level")),
        sa.CheckConstraint("tone BETWEEN 1 AND 5", name=op.f("ck_items_tone")),
        sa.ForeignKeyConstraint(
            ["actor_slot_id"],
            ["sound_slots.id"],
            name=op.f("fk_items_actor_slot_id_sound_slots"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["introduced_level_id"],
            ["levels.id"],
            name=op.f("fk_items_introduced_level_id_levels"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["set_slot_id"],
            ["sound_slots.id"],
            name=op.f("fk_items_set_slot_id_sound_slots"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
        sa.UniqueConstraint("hanzi", "sense_key", name=op.f("uq_items_hanzi_sense_key")),
    )
    op.create_index(op.f("ix_items_actor_slot_id"), "items", ["actor_slot_id"])
    op.create_index(op.f("ix_items_frequency_rank"), "items", ["frequency_rank"])
    op.create_index(op.f("ix_items_introduced_level_id"), "items", ["introduced_level_id"])
    op.create_index("ix_items_kind_frequency_rank", "items", ["kind", "frequency_rank"])
    op.create_index(op.f("ix_items_set_slot_id"), "items", ["set_slot_id"])

    op.create_table(
        "lessons",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("level_id", sa.Uuid(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "video",
                "item",
                "review",
                "reading",
                "quiz",
                name="lesson_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("video_url", sa.String(length=500), nullable=True),
        sa.Column("body_md", sa.Text(), nullable=True),
        sa.Column("est_minutes", sa.SmallInteger(), nullable=True),
        sa.CheckConstraint("ordinal >= 1", name=op.f("ck_lessons_ordinal")),
        sa.ForeignKeyConstraint(
            ["level_id"], ["levels.id"], name=op.f("fk_lessons_level_id_levels"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lessons")),
        sa.UniqueConstraint("level_id", "ordinal", name=op.f("uq_lessons_level_id_ordinal")),
    )
    op.create_table(
        "item_parts",
        sa.Column("parent_item_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("child_item_id", sa.Uuid(), nullable=False),
        sa.Column("ids_operator", sa.String(length=4), nullable=True),
        sa.ForeignKeyConstraint(
            ["child_item_id"],
            ["items.id"],
            name=op.f("fk_item_parts_child_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_item_id"],
            ["items.id"],
            name=op.f("fk_item_parts_parent_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("parent_item_id", "position", name=op.f("pk_item_parts")),
    )
    op.create_index(op.f("ix_item_parts_child_item_id"), "item_parts", ["child_item_id"])

    op.create_table(
        "lesson_items",
        sa.Column("lesson_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_lesson_items_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lesson_id"],
            ["lessons.id"],
            name=op.f("fk_lesson_items_lesson_id_lessons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("lesson_id", "item_id", name=op.f("pk_lesson_items")),
    )
    op.create_index(op.f("ix_lesson_items_item_id"), "lesson_items", ["item_id"])

    op.create_table(
        "lesson_progress",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("lesson_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "not_started",
                "in_progress",
                "completed",
                name="progress_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("seconds_watched", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("seconds_watched >= 0", name=op.f("ck_lesson_progress_seconds_watched")),
        sa.ForeignKeyConstraint(
            ["lesson_id"],
            ["lessons.id"],
            name=op.f("fk_lesson_progress_lesson_id_lessons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_lesson_progress_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "lesson_id", name=op.f("pk_lesson_progress")),
    )
    op.create_index(op.f("ix_lesson_progress_lesson_id"), "lesson_progress", ["lesson_id"])

    op.create_table(
        "review_cards",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "new",
                "learning",
                "review",
                "relearning",
                name="card_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("suspended", sa.Boolean(), nullable=False),
        sa.Column("buried_until", sa.Date(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reps", sa.Integer(), nullable=False),
        sa.Column("lapses", sa.Integer(), nullable=False),
        sa.Column("sm2_repetitions", sa.Integer(), nullable=False),
        sa.Column("sm2_easiness", sa.Numeric(precision=4, scale=2), nullable=False),
        sa.Column("sm2_interval_days", sa.Integer(), nullable=False),
        sa.Column("sm2_due_day", sa.Date(), nullable=True),
        sa.Column(
            "fsrs_phase",
            sa.Enum(
                "learning",
                "review",
                "relearning",
                name="fsrs_phase",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("fsrs_step", sa.SmallInteger(), nullable=True),
        sa.Column("fsrs_stability", sa.Double(), nullable=True),
        sa.Column("fsrs_difficulty", sa.Double(), nullable=True),
        sa.Column("fsrs_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fsrs_last_review_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("fsrs_step >= 0", name=op.f("ck_review_cards_fsrs_step")),
        sa.CheckConstraint("reps >= 0 AND lapses >= 0", name=op.f("ck_review_cards_counters")),
        sa.CheckConstraint("sm2_easiness >= 1.3", name=op.f("ck_review_cards_sm2_easiness")),
        sa.CheckConstraint(
            "sm2_interval_days >= 0", name=op.f("ck_review_cards_sm2_interval_days")
        ),
        sa.CheckConstraint("sm2_repetitions >= 0", name=op.f("ck_review_cards_sm2_repetitions")),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_review_cards_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_review_cards_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_cards")),
        sa.UniqueConstraint("user_id", "item_id", name=op.f("uq_review_cards_user_id_item_id")),
    )
    op.create_index(op.f("ix_review_cards_item_id"), "review_cards", ["item_id"])
    op.create_index("ix_review_cards_user_id_state", "review_cards", ["user_id", "state"])
    op.create_index(
        "ix_review_cards_user_id_suspended_due_at",
        "review_cards",
        ["user_id", "suspended", "due_at"],
    )

    op.create_table(
        "user_props",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("component_item_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["component_item_id"],
            ["items.id"],
            name=op.f("fk_user_props_component_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_props_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_props")),
        sa.UniqueConstraint(
            "user_id", "component_item_id", name=op.f("uq_user_props_user_id_component_item_id")
        ),
    )
    op.create_index(op.f("ix_user_props_component_item_id"), "user_props", ["component_item_id"])

    op.create_table(
        "user_scenes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("script_md", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_user_scenes_item_id_items"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_scenes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_scenes")),
        sa.UniqueConstraint("user_id", "item_id", name=op.f("uq_user_scenes_user_id_item_id")),
    )
    op.create_index(op.f("ix_user_scenes_item_id"), "user_scenes", ["item_id"])

    op.create_table(
        "review_logs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("card_id", sa.Uuid(), nullable=False),
        sa.Column("idempotency_key", sa.Uuid(), nullable=False),
        sa.Column("grade", sa.SmallInteger(), nullable=False),
        sa.Column(
            "scheduler",
            sa.Enum(
                "sm2",
                "fsrs",
                name="scheduler",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "source",
            sa.Enum(
                "online",
                "offline_sync",
                "anki_import",
                name="review_source",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("server_received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("device_id", sa.Uuid(), nullable=True),
        sa.Column("client_seq", sa.Integer(), nullable=True),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("affects_schedule", sa.Boolean(), nullable=False),
        sa.Column(
            "state_before",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "state_after",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("duration_ms >= 0", name=op.f("ck_review_logs_duration_ms")),
        sa.CheckConstraint("grade BETWEEN 0 AND 5", name=op.f("ck_review_logs_grade")),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["review_cards.id"],
            name=op.f("fk_review_logs_card_id_review_cards"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_review_logs_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_logs")),
        sa.UniqueConstraint(
            "user_id", "idempotency_key", name=op.f("uq_review_logs_user_id_idempotency_key")
        ),
    )
    op.create_index("ix_review_logs_card_id_reviewed_at", "review_logs", ["card_id", "reviewed_at"])
    op.create_index("ix_review_logs_user_id_reviewed_at", "review_logs", ["user_id", "reviewed_at"])


def downgrade() -> None:
    # Indexes and constraints go with their tables.
    for table in (
        "review_logs",
        "user_scenes",
        "user_props",
        "review_cards",
        "lesson_progress",
        "lesson_items",
        "item_parts",
        "lessons",
        "items",
        "enrollments",
        "levels",
        "user_sets",
        "user_rooms",
        "user_actors",
        "refresh_tokens",
        "phases",
        "users",
        "sound_slots",
        "courses",
    ):
        op.drop_table(table)
