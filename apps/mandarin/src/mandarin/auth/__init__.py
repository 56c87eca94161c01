"""Accounts and credentials: our JWTs, Supabase tokens and the legacy Flask session cookie."""
