"""Bodies of the progress routes: enrolments, lesson progress and completion."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from mandarin.bodies import InputModel
from mandarin.courses.schemas import CourseSummary
from mandarin.models import EnrollmentStatus, LessonKind, ProgressStatus


class EnrolmentDetail(BaseModel):
    course: CourseSummary
    status: EnrollmentStatus
    started_at: datetime
    completed_at: datetime | None
    current_level_id: uuid.UUID | None
    lessons_total: int
    lessons_completed: int
    next_lesson_id: uuid.UUID | None = Field(
        description="The first lesson not completed yet (always unlocked); null when done"
    )


class LessonProgressDetail(BaseModel):
    lesson_id: uuid.UUID
    level_id: uuid.UUID
    level_ordinal: int
    ordinal: int
    kind: LessonKind
    title: str
    status: ProgressStatus
    unlocked: bool = Field(description="Enrolled, and the previous lesson is completed")
    seconds_watched: int
    started_at: datetime | None
    completed_at: datetime | None


class LessonCompletion(BaseModel):
    progress: LessonProgressDetail
    cards_created: int = Field(description="Review cards made by this call (0 when repeated)")
    next_lesson_id: uuid.UUID | None = Field(description="The lesson this one unlocked, if any")


class ProgressUpdate(InputModel):
    seconds_watched: Annotated[int, Field(ge=0, le=24 * 3600)] = Field(
        description="How far the learner got in the lesson's video"
    )
