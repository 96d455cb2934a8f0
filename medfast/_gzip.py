"""Fast gzip through ISA-L (``isal``): multi-threaded deterministic writing, fast reading.

zlib at level 6 compresses at 10-15 MB/s and dominates ``.nii.gz`` output.
ISA-L level 3 gives a file within 5% of zlib-6's size (measured on the
corpus's T1 and field maps: 1.02-1.03x) at over ten times the speed, and
decompresses about twice as fast as zlib. The writer always goes through
``isal.igzip_threaded``: it compresses fixed 1 MiB blocks, each primed with
the previous block's last 32 KiB, so the bytes do not depend on the thread
count; its header carries mtime 0 and no file name, so the same data gives
the same file every time.
"""
from __future__ import annotations

import os

from .errors import InvalidFileError

#: ISA-L level whose ratio matches zlib's default level 6 within 1.05x.
LEVEL = 3
#: Uncompressed bytes a compression task takes (igzip_threaded's block).
BLOCK = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"


def _threads():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def is_gzip(head):
    """True when ``head`` (the first bytes of a file) starts a gzip stream."""
    return bytes(head[:2]) == GZIP_MAGIC


def open_write(target, *, threads=None, level=LEVEL):
    """Open a gzip writer on a path or a binary file object.

    Parameters
    ----------
    target : str, os.PathLike or binary file object
        Where the compressed stream goes.
    threads : int, optional
        Compression threads; default: the CPUs this process may use.
    level : int
        ISA-L level (0-3); the default matches zlib-6's ratio.

    Returns
    -------
    file object
        Buffered binary writer; ``close()`` writes the trailer.

    Examples
    --------
    >>> import gzip, io
    >>> buf = io.BytesIO()
    >>> with open_write(buf) as f:
    ...     _ = f.write(b"medfast" * 100)
    >>> gzip.decompress(buf.getvalue()) == b"medfast" * 100
    True
    """
    from isal import igzip_threaded

    threads = _threads() if threads is None else max(1, int(threads))
    return igzip_threaded.open(target, "wb", compresslevel=level, threads=threads, block_size=BLOCK)


def write_buffer(fileobj, buf):
    """Write a bytes-like object (e.g. an array's memory) to ``fileobj`` in blocks, without a copy.

    Examples
    --------
    >>> import io, numpy as np
    >>> out = io.BytesIO()
    >>> write_buffer(out, np.arange(3, dtype="<i2"))
    >>> out.getvalue()
    b'\\x00\\x00\\x01\\x00\\x02\\x00'
    """
    view = memoryview(buf).cast("B")
    for start in range(0, len(view), BLOCK):
        fileobj.write(view[start : start + BLOCK])


def open_read(source):
    """Open a gzip (or multi-member gzip) file for reading with ISA-L.

    Examples
    --------
    >>> import io, gzip
    >>> with open_read(io.BytesIO(gzip.compress(b"abc"))) as f:
    ...     f.read()
    b'abc'
    """
    from isal import igzip

    if isinstance(source, (str, bytes)) or hasattr(source, "__fspath__"):
        return igzip.open(os.fspath(source), "rb")
    return igzip.IGzipFile(fileobj=source, mode="rb")


def readinto_exact(fileobj, buf, path=None, what="data"):
    """Fill ``buf`` from ``fileobj`` (plain or gzip); raise ``InvalidFileError`` if it ends early.

    Reads straight into the caller's buffer (e.g. the output array), so no
    intermediate bytes object is made.

    Examples
    --------
    >>> import io, numpy as np
    >>> out = np.empty(2, np.uint8)
    >>> readinto_exact(io.BytesIO(b"ab"), out)
    >>> out.tolist()
    [97, 98]
    """
    from isal import isal_zlib

    view = memoryview(buf).cast("B")
    total, want = 0, len(view)
    while total < want:
        try:
            got = fileobj.readinto(view[total:])
        except (EOFError, OSError, isal_zlib.error) as err:  # truncated or corrupt gzip stream
            raise InvalidFileError(
                f"{os.fspath(path) if path is not None else '<stream>'}: {what}: cannot decompress: {err}"
            ) from err
        if not got:
            raise InvalidFileError(
                f"{os.fspath(path) if path is not None else '<stream>'}: {what}: "
                f"file ends after {total} of {want} bytes"
            )
        total += got
