"""Real concurrency for PostgreSQL tests: calls started at the same instant in their own threads."""

import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection


def run_together(calls: Sequence[Callable[[], Any]]) -> list[Any]:
    """Start every call at the same moment, each in its own thread with its own database
    connection; return what each returned or the exception it raised, in the order of `calls`."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = calls[index]()
        except Exception as error:  # noqa: BLE001 - the test decides what each outcome means
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
