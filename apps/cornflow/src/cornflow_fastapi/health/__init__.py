"""GET /health/: is Cornflow usable, and is its solving backend reachable."""
