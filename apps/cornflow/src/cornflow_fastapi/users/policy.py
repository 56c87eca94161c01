"""Cornflow's password and email rules, checked in the Flask server's order and words."""

from __future__ import annotations

import re

from disposable_email_domains import blocklist

SPECIAL_CHARACTERS = frozenset("!¡?¿#$%&'()*+-_./:;,<>=@[]^`{}|~\"\\")
_EMAIL = re.compile(r"\b[A-Za-z0-9._-]+@[A-Za-z0-9.-]+\.[A-Z|a-z]{2,}\b")


def password_problem(password: str | None) -> str | None:
    """The first rule the password breaks, or None (None passwords belong to LDAP/OID users)."""
    if password is None:
        return None
    if len(password) < 5:
        return "Password must contain at least 5 characters."
    if password.islower() or password.isupper():
        return "Password must contain uppercase and lowercase letters."
    if not any(char.isdigit() for char in password):
        return "Password must contain at least one number and one special character."
    if not any(char in SPECIAL_CHARACTERS for char in password):
        return "Password must contain at least one number and one special character."
    return None


def email_problem(email: str) -> str | None:
    """Why the email is refused, or None."""
    if _EMAIL.match(email) is None:
        return "Invalid email address."
    if email.split("@")[1] in blocklist:
        return "Invalid email address"
    return None
