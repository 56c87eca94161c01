"""Grants of actions on API views to roles, and the actions and views they refer to."""
