"""Logging in and signing up: local passwords, LDAP and identity-provider tokens."""
