"""Running work in several threads at once, each with its own database connection; and what
another connection sees."""

import threading

import psycopg
from django.db import connection

from inventory.models import Balance


def run_together(workers):
    """Run each callable in its own thread, all released at once by a barrier. Returns what each
    returned or raised, in the order of `workers`."""
    barrier = threading.Barrier(len(workers))
    results = [None] * len(workers)

    def run(index, work):
        try:
            barrier.wait(timeout=10)
            results[index] = work()
        except BaseException as error:
            results[index] = error
        finally:
            # Each thread has its own connection; leave none open for the test's flush.
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a writer is still blocked"
    return results


def quantity_seen_by_another_connection(item, location) -> int | None:
    """The balance's quantity as a new connection sees it: what is committed, and only that."""
    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        host=settings["HOST"],
        port=settings["PORT"] or None,
    ) as other:
        row = other.execute(
            f"SELECT quantity FROM {Balance._meta.db_table}"
            " WHERE item_id = %s AND location_id = %s",
            [item.pk, location.pk],
        ).fetchone()
    return row[0] if row else None
