"""The JSON schemas a workflow publishes, and data checked against them."""
