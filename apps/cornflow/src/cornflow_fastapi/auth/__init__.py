"""Authentication (tokens, login, signup) and the per-route permission check."""
