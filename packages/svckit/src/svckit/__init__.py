"""Shared foundations of the service apps."""
