"""The learner's 0-5 answer grade, shared by both engines (spec §3.1 step 4, §3.3)."""

from __future__ import annotations

MIN_GRADE = 0
MAX_GRADE = 5
PASSING_GRADE = 3
"""Grades below this are lapses: SM-2 starts the repetitions again (spec §3.1 step 6)."""


class InvalidGradeError(ValueError):
    """A grade that is not an integer from 0 to 5 (spec §3.3: the API answers 422)."""

    def __init__(self, grade: object) -> None:
        super().__init__(f"grade must be an integer from {MIN_GRADE} to {MAX_GRADE}, got {grade!r}")
        self.grade = grade


def validate_grade(grade: object) -> int:
    """Return grade as an int, or raise InvalidGradeError.

    bool is refused although it is an int subclass: `True` as a grade is a caller's bug, not a 1.
    Floats are refused even when integral, so that 4.0 coming from a float pipeline is noticed.
    """
    if isinstance(grade, bool) or not isinstance(grade, int):
        raise InvalidGradeError(grade)
    if not MIN_GRADE <= grade <= MAX_GRADE:
        raise InvalidGradeError(grade)
    return int(grade)
