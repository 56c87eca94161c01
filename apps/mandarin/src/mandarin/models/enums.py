"""The closed vocabularies stored in Mandarin's columns."""

from __future__ import annotations

from enum import StrEnum


class SchedulerKind(StrEnum):
    SM2 = "sm2"
    FSRS = "fsrs"


class ItemKind(StrEnum):
    COMPONENT = "component"
    CHARACTER = "character"
    WORD = "word"
    SENTENCE = "sentence"
    PASSAGE = "passage"


class PhaseKind(StrEnum):
    CHARACTERS = "characters"
    WORDS = "words"
    SENTENCES = "sentences"
    PARAGRAPHS = "paragraphs"
    STORIES = "stories"
    FLUENCY = "fluency"


class UnlockRule(StrEnum):
    PREVIOUS_COMPLETED = "previous_completed"
    ALWAYS = "always"


class LessonKind(StrEnum):
    VIDEO = "video"
    ITEM = "item"
    REVIEW = "review"
    READING = "reading"
    QUIZ = "quiz"


class SlotKind(StrEnum):
    """Movie-method sound slots: pinyin initials get actors, finals get sets."""

    INITIAL = "initial"
    FINAL = "final"


class ActorCategory(StrEnum):
    MALE = "male"
    FEMALE = "female"
    FICTIONAL = "fictional"
    GOD = "god"


class EnrollmentStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"


class ProgressStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class CardState(StrEnum):
    NEW = "new"
    LEARNING = "learning"
    REVIEW = "review"
    RELEARNING = "relearning"


class FsrsPhase(StrEnum):
    """FSRS's own card states; a new card is LEARNING at step 0 with no memory state yet."""

    LEARNING = "learning"
    REVIEW = "review"
    RELEARNING = "relearning"


class ReviewSource(StrEnum):
    ONLINE = "online"
    OFFLINE_SYNC = "offline_sync"
    ANKI_IMPORT = "anki_import"
