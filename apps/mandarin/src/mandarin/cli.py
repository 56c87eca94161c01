"""placeholder until the command line lands."""


def main() -> None:
    raise SystemExit("not implemented yet")
