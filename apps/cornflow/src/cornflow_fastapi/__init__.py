"""Cornflow optimization server on FastAPI."""
