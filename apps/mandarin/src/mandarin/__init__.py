"""Mandarin Blueprint learning backend."""
