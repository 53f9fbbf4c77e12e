"""Where parallel work runs: this process, local worker processes, or a Dask cluster."""

import os
from contextlib import contextmanager

__all__ = ["check_scheduler", "scheduler"]


def check_scheduler(spec):
    """``spec`` if it is ``none``, ``local:N`` (N >= 1) or ``tcp://HOST:PORT``.

    Raises
    ------
    ValueError
        For anything else, naming the valid forms.

    Examples
    --------
    >>> from skvideo_imb._recipes import check_scheduler
    >>> check_scheduler("local:2")
    'local:2'
    >>> check_scheduler("local:0")
    Traceback (most recent call last):
    ...
    ValueError: --scheduler must be 'none', 'local:N' (N >= 1) or 'tcp://HOST:PORT', got 'local:0'
    """
    kind, _, count = spec.partition(":")
    if spec == "none" or spec.startswith("tcp://") or (
            kind == "local" and count.isdigit() and int(count) >= 1):
        return spec
    raise ValueError(f"--scheduler must be 'none', 'local:N' (N >= 1) or 'tcp://HOST:PORT', "
                     f"got {spec!r}")


@contextmanager
def scheduler(spec, log=print):
    """Where the rows run: yields the ``n_jobs`` for :func:`run_reproduction`.

    ``none``: this process.  ``local:N``: a Dask ``LocalCluster`` of N worker processes
    sharing the cores (worker processes of joblib's loky when Dask is not installed).
    ``tcp://HOST:PORT``: the Dask scheduler there (its workers must see the data and the
    feature cache at the same paths).
    """
    if spec == "none":
        yield None
        return
    count = int(spec.partition(":")[2]) if spec.startswith("local:") else None
    try:
        import distributed
    except ImportError:
        if count is None:
            raise RuntimeError("--scheduler tcp://... needs Dask: pip install "
                               "'skvideo-imb[dask]'") from None
        log(f"scheduler: {count} local worker processes (joblib; install skvideo-imb[dask] "
            "for a Dask cluster)")
        yield count
        return
    import dask
    from joblib import parallel_backend

    from .._runtime import dask_worker_config
    cluster = None
    if count is not None:
        threads = max(1, (os.cpu_count() or 1) // count)
        with dask.config.set(dask_worker_config()):  # Dask's malloc setting halves torch
            cluster = distributed.LocalCluster(n_workers=count, threads_per_worker=threads,
                                               processes=True, dashboard_address=None)
    try:
        with distributed.Client(cluster or spec) as client:
            workers = client.scheduler_info()["workers"]
            log(f"scheduler: Dask at {client.scheduler.address}, {len(workers)} workers")
            with parallel_backend("dask"):
                yield -1
    finally:
        if cluster is not None:
            cluster.close()
