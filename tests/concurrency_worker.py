"""A worker process for the concurrency tests: imports batches or updates tickets on a shared store.

    python tests/concurrency_worker.py import URL PREFIX BATCHES PER_BATCH
    python tests/concurrency_worker.py notes URL TICKETS ROUNDS ACTOR
    python tests/concurrency_worker.py assign URL TICKETS ROUNDS ACTOR
    python tests/concurrency_worker.py paused-import URL ORDER ROWS PAUSED [GO]
        one export of responses 0..ROWS-1 (ORDER: up or down), in two pieces: after the first is written the
        file PAUSED is created, and with GO the second waits until that file exists (an import stopped half-way)
Prints nothing on success; any exception goes to stderr and exits non-zero.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.storefill import FakeParsed, fill, records  # noqa: E402

from npscli.config import TicketSettings  # noqa: E402
from npscli.store.engine import open_store  # noqa: E402
from npscli.store.responses import import_parsed  # noqa: E402
from npscli.store.tickets import apply_action  # noqa: E402

T0 = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)


def main(argv: list[str]) -> int:
    mode, url = argv[0], argv[1]
    store = open_store(url)
    if mode == "import":
        prefix, batches, per_batch = argv[2], int(argv[3]), int(argv[4])
        for b in range(batches):
            rows = [
                {
                    "response_id": f"{prefix}-{b}-{i}",
                    "submitted_at": T0 + timedelta(minutes=b * per_batch + i),
                    "score": (b + i) % 11,
                    "location": "Downtown",
                }
                for i in range(per_batch)
            ]
            # every batch overlaps the previous one by re-sending its rows: they must count as duplicates
            if b:
                rows += [
                    {
                        "response_id": f"{prefix}-{b - 1}-{i}",
                        "submitted_at": T0 + timedelta(minutes=(b - 1) * per_batch + i),
                        "score": (b - 1 + i) % 11,
                        "location": "Downtown",
                    }
                    for i in range(per_batch)
                ]
            fill(store, rows, source="cron", actor="cron")
    elif mode == "paused-import":
        order, count, paused = argv[2], int(argv[3]), Path(argv[4])
        go = Path(argv[5]) if len(argv) > 5 else None
        numbers = range(count) if order == "up" else range(count - 1, -1, -1)
        frame = records(
            [
                {
                    "response_id": f"r{n}",
                    "submitted_at": T0 + timedelta(minutes=n),
                    "score": n % 11,
                    "location": "Downtown",
                }
                for n in numbers
            ]
        )
        half = count // 2

        class Paused(FakeParsed):
            def chunks(self):
                yield self.records.iloc[:half]
                paused.touch()  # (the first piece is in the store's transaction now)
                while go is not None and not go.exists():
                    time.sleep(0.01)
                yield self.records.iloc[half:]

        import_parsed(store, Paused(frame), source="cron", actor=f"cron-{order}", tickets=TicketSettings())
    elif mode in ("notes", "assign"):
        tickets, rounds, actor = int(argv[2]), int(argv[3]), argv[4]
        for r in range(rounds):
            for number in range(1, tickets + 1):
                if mode == "notes":
                    apply_action(
                        store,
                        number,
                        "note",
                        actor=actor,
                        now=T0 + timedelta(hours=r),
                        text=f"{actor} round {r}",
                    )
                else:
                    apply_action(store, number, "assign", actor=actor, now=T0, assignee=f"{actor}-{r}")
    store.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
