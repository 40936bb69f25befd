"""Code that runs in child processes of the concurrency and crash tests (spawned, so each child
builds its own engine; nothing here imports the test fixtures)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import event

from compounding.store.db import make_engine
from compounding.store.service import Store

NOW = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.timezone.utc)


def _clock() -> dt.datetime:
    return NOW


def create_batches(url: str, worker: int, count: int, result: dict, barrier, out) -> None:
    """Save ``count`` batches as fast as possible once every worker is ready; report the lot numbers."""
    store = Store(make_engine(url), clock=_clock, reference="0" * 64)
    lots, errors = [], []
    barrier.wait()
    for i in range(count):
        try:
            lots.append(store.create_batch("tech", kind="capsules", order={"worker": worker, "i": i},
                                           result=result).lot_number)
        except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on any
            errors.append(f"{type(exc).__name__}: {exc}")
    out.put({"worker": worker, "lots": lots, "errors": errors, "retries": store.retries})
    store.close()


def save_and_hang(url: str, result: dict, stop_at: str, conn) -> None:
    """Save whole batches, then start one more and stop in the middle of its transaction.

    ``stop_at`` is "batch" (right after the batch row), "allocation" (after the 5th of 20
    allocation rows) or "commit" (everything written, COMMIT about to be sent). The child tells
    the parent it is there and blocks on the pipe until the parent kills it with SIGKILL.
    """
    store = Store(make_engine(url), clock=_clock, reference="0" * 64)
    allocations = [{"patient": f"Patient {chr(65 + i)}", "rx_number": f"RX{i}", "quantity": 1} for i in range(20)]
    for i in range(3):
        store.create_batch("tech", kind="capsules", order={"i": i}, result=result, allocations=allocations)
    seen = {"allocation": 0}

    def hang() -> None:
        conn.send("in the middle of a save")
        conn.recv()  # never answered: the parent kills this process

    def after_execute(_conn, _cursor, statement, *args) -> None:
        if stop_at == "batch" and statement.startswith("INSERT INTO batches"):
            hang()
        if stop_at == "allocation" and statement.startswith("INSERT INTO allocations"):
            seen["allocation"] += 1
            if seen["allocation"] == 5:
                hang()

    event.listen(store.engine, "after_cursor_execute", after_execute)
    if stop_at == "commit":
        event.listen(store.engine, "commit", lambda _conn: hang())
    store.create_batch("tech", kind="capsules", order={"i": 3}, result=result, allocations=allocations)
    conn.send("saved: the child was never stopped")
