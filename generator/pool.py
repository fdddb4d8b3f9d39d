"""The worker processes of a build: started by a fork server, never forked from the caller.

Forking a process that runs threads (a Jupyter kernel, a test runner's worker, Arrow's or
DuckDB's thread pools) can leave the child with a lock or allocator state that a thread of the
parent held, and the child then hangs or crashes. The fork server is a fresh interpreter that
has imported the generator and nothing else; the workers are forked from it. Where there is no
fork server (Windows), workers are started afresh (spawn), which is safe too.
"""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes, safe to start from a process that runs threads."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return ProcessPoolExecutor(workers)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["generator.builder"])
    return ProcessPoolExecutor(workers, mp_context=context)
