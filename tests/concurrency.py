"""Running work in several threads at once, each with its own database connection."""

import threading

from django.db import connection


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
