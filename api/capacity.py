"""Shed load on heavy routes: a fixed number of them run at once per process, more get 429.

Simulations, reports, ranking runs and rule previews each hold a CPU and a database connection
for up to seconds. Without a limit, a few users repeating them starve every other request (and
the pool). A route joins the limit by adding :data:`HEAVY` to its ``dependencies`` and
:data:`HEAVY_RESPONSES` to its ``responses``; the slots are shared by every heavy route of the
process (``EQUIWAIT_HEAVY_CONCURRENCY``). A refusal is immediate — nothing queues — and says
when to retry.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from fastapi import Depends, Request

from api.errors import responses
from app.errors import TooManyRequests

logger = logging.getLogger(__name__)


@dataclass
class HeavySlots:
    """The heavy requests a process serves at once (kept on ``app.state.heavy_slots``).

    Taken and given back only on the event loop (the dependency is ``async``), so a plain
    counter needs no lock.
    """

    limit: int
    in_use: int = 0

    def try_take(self) -> bool:
        """Take a slot if one is free."""
        if self.in_use >= self.limit:
            return False
        self.in_use += 1
        return True

    def give_back(self) -> None:
        self.in_use -= 1


async def heavy_slot(request: Request) -> AsyncIterator[None]:
    """Hold one heavy slot while the request is served (until its answer is sent); 429 when
    none is free."""
    slots: HeavySlots = request.app.state.heavy_slots
    if not slots.try_take():
        retry_after = request.app.state.settings.retry_after_seconds
        logger.warning(
            "heavy route refused: %d of %d slots busy on %s %s",
            slots.in_use,
            slots.limit,
            request.method,
            request.url.path,
        )
        raise TooManyRequests(
            f"too many heavy requests at once ({slots.limit} in this process); retry later",
            headers={"Retry-After": str(retry_after)},
        )
    try:
        yield
    finally:
        slots.give_back()


#: ``dependencies=`` of a heavy route (or router).
HEAVY = [Depends(heavy_slot)]
#: ``responses=`` entries a heavy route adds for its 429.
HEAVY_RESPONSES = responses(429)
