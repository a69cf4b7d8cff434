"""Server-sent events: `data: {json}` lines ending with `data: [DONE]`, produced by a worker thread.

A generator that runs a model (or the agent graph) is driven from one dedicated thread, so the
context variables langchain and LangGraph keep stay in one place; the HTTP response reads from a queue.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

DONE = "data: [DONE]\n\n"
_END = object()


def sse(data: Any) -> str:
    """One SSE event carrying `data` as JSON."""
    return f"data: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


class ThreadedStream:
    """Iterate what `make()` yields, computed in a background thread.

    `first()` waits for the first item, so errors raised before anything was produced (a prompt that
    does not fit, an unknown index) surface while an HTTP error status can still be sent.
    """

    def __init__(self, make: Callable[[], Iterator[Any]]) -> None:
        self._items: queue.Queue[tuple[bool, Any]] = queue.Queue()
        self._stop = threading.Event()
        self._head: list[Any] = []
        threading.Thread(target=self._produce, args=(make,), name="agentlm-stream", daemon=True).start()

    def _produce(self, make: Callable[[], Iterator[Any]]) -> None:
        try:
            iterator = make()
            try:
                for item in iterator:
                    self._items.put((True, item))
                    if self._stop.is_set():
                        break
            finally:
                close = getattr(iterator, "close", None)
                if close is not None:
                    close()
        except BaseException as err:  # handed to the reading thread
            self._items.put((False, err))
        self._items.put((True, _END))

    def _next(self) -> Any:
        ok, item = self._items.get()
        if not ok:
            raise item
        return item

    def first(self) -> ThreadedStream:
        """Wait for the first item (raising the producer's error, if any); return self."""
        if not self._head:
            self._head.append(self._next())
        return self

    def __iter__(self) -> Iterator[Any]:
        try:
            while True:
                item = self._head.pop() if self._head else self._next()
                if item is _END:
                    return
                yield item
        finally:
            self._stop.set()
