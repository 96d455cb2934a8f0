"""``--scheduler ADDRESS``: one ``dask.distributed`` task per series, same outputs as a local run.

Imported only when a scheduler is given, so dask is an optional extra
(``pip install medfast[dask]``). Each task is ``tasks.convert_series`` (or ``convert_image``) with the
series' file list and options; the worker reads the sources and writes the
outputs under temporary names in ``OUT/.medfast-work`` (workers must see the
same file system as the client, at the same paths); the client renames them
into place in order, exactly as a local run does.
"""
from __future__ import annotations

from ..errors import InvalidArgumentError, UnsupportedError

#: How long to try reaching the scheduler before giving up.
CONNECT_TIMEOUT = "10s"


class DaskExecutor:
    """The two calls the bulk engine makes on an executor, over a ``distributed.Client``."""

    def __init__(self, client, own=False):
        self.client, self.own = client, own
        self.futures = []

    def submit(self, fn, task):
        # pure=False: a series re-run after a kill must run again, not come from a cache
        future = self.client.submit(fn, task, pure=False, key=f"medfast-series-{task.key}-{task.index}")
        self.futures.append(future)
        return future

    def shutdown(self, wait=True, cancel_futures=False):
        if cancel_futures:  # a run stopped early (disk full, a signal): workers stop writing into its folder
            self.client.cancel([f for f in self.futures if not f.done()])
        if self.own:
            self.client.close()


def executor(address):
    """Connect to the scheduler at ``address`` (``tcp://host:8786``, or a ``distributed.Client``).

    Examples
    --------
    >>> from distributed import LocalCluster  # doctest: +SKIP
    >>> with LocalCluster(n_workers=2) as cluster:  # doctest: +SKIP
    ...     medfast.convert("archive/", "out/", scheduler=cluster.scheduler_address)
    """
    try:
        from distributed import Client
    except ImportError as err:
        raise UnsupportedError("--scheduler needs dask.distributed: pip install 'medfast[dask]'") from err
    if isinstance(address, Client):
        return DaskExecutor(address)
    try:
        client = Client(address, set_as_default=False, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as err:
        raise InvalidArgumentError(f"--scheduler {address}: cannot reach the Dask scheduler: {err}") from err
    return DaskExecutor(client, own=True)
