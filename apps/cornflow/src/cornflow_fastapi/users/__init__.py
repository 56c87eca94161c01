"""Users, their roles and their profile endpoints."""
