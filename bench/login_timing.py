"""Does a failed login tell an unknown user from a known one by its timing?

Sends sequential POST /login/ requests over real HTTP to a running server, alternating an unknown
username with a known username and a wrong password, and prints the median time of each and
their ratio. The two should be within 20% of each other: the server compares against a dummy
hash when the user does not exist, so both pay one password hash.

    uv run python bench/login_timing.py --base-url http://127.0.0.1:5000 --username admin
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

TOLERANCE = 0.20
WRONG_PASSWORD = "Not-the-passw0rd!"


@dataclass(frozen=True)
class LoginTiming:
    samples: int
    unknown_user_median_ms: float
    wrong_password_median_ms: float
    # Slower over faster, so 1.0 is identical and the tolerance reads the same either way.
    ratio: float
    within_tolerance: bool
    statuses: dict[str, list[int]]


def timed_login(client: httpx.Client, username: str) -> tuple[float, int]:
    body = {"username": username, "password": WRONG_PASSWORD}
    started = time.perf_counter()
    response = client.post("/login/", json=body)
    elapsed = time.perf_counter() - started
    return elapsed * 1000, response.status_code


def measure(base_url: str, known_username: str, samples: int, warmup: int) -> LoginTiming:
    unknown: list[float] = []
    wrong: list[float] = []
    statuses: dict[str, set[int]] = {"unknown_user": set(), "wrong_password": set()}
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for _ in range(warmup):
            timed_login(client, known_username)
            timed_login(client, f"nobody_{secrets.token_hex(6)}")
        # Alternating the two kinds spreads any drift of the machine over both equally.
        for _ in range(samples):
            elapsed, status = timed_login(client, f"nobody_{secrets.token_hex(6)}")
            unknown.append(elapsed)
            statuses["unknown_user"].add(status)
            elapsed, status = timed_login(client, known_username)
            wrong.append(elapsed)
            statuses["wrong_password"].add(status)
    unknown_median = statistics.median(unknown)
    wrong_median = statistics.median(wrong)
    ratio = max(unknown_median, wrong_median) / min(unknown_median, wrong_median)
    return LoginTiming(
        samples=samples,
        unknown_user_median_ms=unknown_median,
        wrong_password_median_ms=wrong_median,
        ratio=ratio,
        within_tolerance=ratio <= 1 + TOLERANCE,
        statuses={kind: sorted(codes) for kind, codes in statuses.items()},
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True, help="the running server, e.g. :5000")
    parser.add_argument("--username", required=True, help="a user that exists on that server")
    parser.add_argument("--samples", type=int, default=100, help="requests of each kind")
    parser.add_argument("--warmup", type=int, default=5, help="pairs sent first and dropped")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    options = parser.parse_args(argv)

    timing = measure(options.base_url, options.username, options.samples, options.warmup)
    print(f"login timing against {options.base_url}, {timing.samples} sequential requests each")
    print(f"  unknown user                median {timing.unknown_user_median_ms:8.1f} ms")
    print(f"  known user, wrong password  median {timing.wrong_password_median_ms:8.1f} ms")
    verdict = "within" if timing.within_tolerance else "NOT within"
    print(f"  ratio (slower/faster) {timing.ratio:.3f}: {verdict} {TOLERANCE:.0%}")
    print(f"  statuses: {timing.statuses}")
    if options.json:
        options.json.write_text(json.dumps(asdict(timing), indent=2))
    if any(codes != [400] for codes in timing.statuses.values()):
        print("  every failed login should answer 400", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
