"""Roles: the named sets of permissions users are given."""
