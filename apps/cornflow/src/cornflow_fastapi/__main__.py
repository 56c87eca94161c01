"""`python -m cornflow_fastapi` runs the `cornflow` command line."""

from cornflow_fastapi.cli import main

main()
