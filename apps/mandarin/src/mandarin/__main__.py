"""`python -m mandarin`: the command line without the console script."""

from mandarin.cli import main

main()
