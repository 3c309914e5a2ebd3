"""One generation at a time on the device, without blocking the event loop or the threadpool."""

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from .errors import ServiceBusy

T = TypeVar("T")


class GenerationQueue:
    """Runs blocking model work in a worker thread, one job at a time, with a bounded waiting line.

    Waiting requests hold no thread (they wait on the limiter), so /health and /voices keep
    answering however many generations are queued.
    """

    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth
        self.depth = 0  # admitted jobs: running + waiting
        self._limiter = anyio.CapacityLimiter(1)

    async def run(self, func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run `func(*args, **kwargs)` in turn.

        Raises:
            ServiceBusy: the queue already holds max_depth jobs.
        """
        if self.max_depth and self.depth >= self.max_depth:
            raise ServiceBusy(
                f"The generation queue is full ({self.depth} requests); retry in a few seconds.",
                retry_after=max(1, self.depth // 2),
            )
        self.depth += 1
        try:
            return await anyio.to_thread.run_sync(partial(func, *args, **kwargs), limiter=self._limiter)
        finally:
            self.depth -= 1
