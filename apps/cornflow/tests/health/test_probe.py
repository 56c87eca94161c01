"""/health/ asks the backend at most once per interval, however many polls arrive."""

import asyncio

from cornflow_fastapi.health.probe import SharedProbe


class Backend:
    def __init__(self) -> None:
        self.calls = 0
        self.alive = True

    async def is_alive(self) -> bool:
        self.calls += 1
        await asyncio.sleep(0.01)
        return self.alive


async def test_concurrent_polls_share_one_probe() -> None:
    backend = Backend()
    probe = SharedProbe(backend.is_alive, interval=60)

    answers = await asyncio.gather(*(probe() for _ in range(50)))

    assert answers == [True] * 50
    assert backend.calls == 1


async def test_a_new_probe_once_the_interval_has_passed() -> None:
    backend = Backend()
    now = [100.0]
    probe = SharedProbe(backend.is_alive, interval=1.0, clock=lambda: now[0])

    assert await probe() is True
    backend.alive = False
    now[0] += 0.5
    assert await probe() is True
    now[0] += 0.6
    assert await probe() is False
    assert backend.calls == 2


async def test_interval_zero_asks_every_time() -> None:
    backend = Backend()
    probe = SharedProbe(backend.is_alive, interval=0)

    for _ in range(3):
        await probe()

    assert backend.calls == 3
