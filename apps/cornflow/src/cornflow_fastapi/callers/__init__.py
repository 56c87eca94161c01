"""Who is calling: tokens, identity providers, and the permission check of every route."""
