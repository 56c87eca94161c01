"""Spaced-repetition reviews: the queue, answers, undo, offline sync and statistics."""
