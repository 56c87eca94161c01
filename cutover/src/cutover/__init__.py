"""Moving traffic from a Flask server to its FastAPI successor, safely."""
