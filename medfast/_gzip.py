"""gzip for ``.nii.gz``: written with zlib-ng at dcm2niix's level on several threads, read with ISA-L.

dcm2niix ``-z y`` (the PyPI build, no ``pigz`` on PATH) deflates the whole
file in one call of zlib-ng 2.3 at level 6. medfast writes with the same
library at the same level, so the file is the size of dcm2niix's (measured
1.000x on every corpus file, 1.004x on the phantom CT); ISA-L level 3,
the writer before, was 1.0-1.2x and 1.57x. No faster library or level stays
within 2% on every file: the README's "Compression" section has the table.

Speed comes from cores instead: the stream is cut into fixed blocks counted
from its first byte (256 KiB for the first 4 MiB, then 1 MiB), compressed in
parallel, each primed with the last 32 KiB of the block before it and ended by
a sync flush (pigz's scheme), so the blocks join into one deflate stream.
Each block's bytes depend only on the data, never on the thread count or
timing, and the header carries mtime 0 and no file name: the same data gives
the same file. Reading stays on ISA-L, the fastest streaming inflate at hand
(1.1x zlib-ng, 1.8x zlib on the corpus).
"""
from __future__ import annotations

import collections
import io
import os
import struct

from .errors import InvalidFileError

#: zlib-ng level: dcm2niix's (its ``-6``, zlib's default).
LEVEL = 6
#: Uncompressed bytes a compression task takes.
BLOCK = 1 << 20
#: The first RAMP bytes go in quarter blocks, so that a file of a few MiB (most MR series) still
#: spreads over the cores; later blocks are full size, whose restarts cost less (1.004x on the CT).
SMALL_BLOCK, RAMP = 1 << 18, 1 << 22
#: Deflate's window: how much of the previous block primes the next.
WINDOW = 1 << 15
GZIP_MAGIC = b"\x1f\x8b"
# magic, deflate, no flags, mtime 0, no extra flags, OS 255 "unknown" (as dcm2niix writes it)
_HEADER = GZIP_MAGIC + struct.pack("<BBIBB", 8, 0, 0, 0, 255)


def _threads():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def is_gzip(head):
    """True when ``head`` (the first bytes of a file) starts a gzip stream."""
    return bytes(head[:2]) == GZIP_MAGIC


def _deflate_block(block, primer, level, final):
    """One block as raw deflate, byte-aligned unless ``final``; with its CRC-32 and length."""
    from zlib_ng import zlib_ng as z

    if primer:
        comp = z.compressobj(level, z.DEFLATED, -15, 8, z.Z_DEFAULT_STRATEGY, primer)
    else:  # the first block: nothing precedes it
        comp = z.compressobj(level, z.DEFLATED, -15)
    body = comp.compress(block) + comp.flush(z.Z_FINISH if final else z.Z_SYNC_FLUSH)
    return body, z.crc32(block), len(block)


class _BlockWriter(io.BufferedIOBase):
    """Binary gzip writer: fixed blocks deflated on a thread pool, written in order as one stream."""

    def __init__(self, raw, closefd, threads, level):
        super().__init__()
        self._raw, self._closefd = raw, closefd
        self._threads, self._level = threads, level
        self._pending = bytearray()
        self._offset = 0  # where the pending block starts in the uncompressed stream
        self._previous = b""  # the last block handed out: its tail primes the next
        self._inflight = collections.deque()
        self._pool = None
        self._crc = self._size = 0
        raw.write(_HEADER)

    def writable(self):
        return True

    def write(self, data):
        if self.closed:
            raise ValueError("write to a closed gzip writer")
        view = memoryview(data).cast("B")
        pos = 0
        while pos < len(view):
            # a full block goes out only once more data follows, so the last block is the final one
            if len(self._pending) == self._block_size():
                self._submit(final=False)
            take = min(self._block_size() - len(self._pending), len(view) - pos)
            self._pending += view[pos : pos + take]
            pos += take
        return len(view)

    def _block_size(self):
        return SMALL_BLOCK if self._offset < RAMP else BLOCK

    def _submit(self, final):
        block, primer = self._pending, memoryview(self._previous)[-WINDOW:]
        self._pending, self._previous = bytearray(), block
        self._offset += len(block)
        args = (block, primer, self._level, final)
        if self._threads == 1 or (final and not self._inflight):  # nothing to overlap with
            self._emit(_deflate_block(*args))
            return
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="medfast-gzip")
        self._inflight.append(self._pool.submit(_deflate_block, *args))
        # bounded look-ahead: at most two blocks a thread in memory
        while len(self._inflight) > (0 if final else 2 * self._threads):
            self._emit(self._inflight.popleft().result())

    def _emit(self, result):
        from zlib_ng import zlib_ng as z

        body, crc, length = result
        self._raw.write(body)
        self._crc = z.crc32_combine(self._crc, crc, length)
        self._size += length

    def close(self):
        if self.closed:
            return
        try:
            self._submit(final=True)
            self._raw.write(struct.pack("<II", self._crc, self._size & 0xFFFFFFFF))
            self._raw.flush()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
            if self._closefd:
                self._raw.close()
            super().close()


def open_write(target, *, threads=None, level=LEVEL):
    """Open a gzip writer on a path or a binary file object.

    Parameters
    ----------
    target : str, os.PathLike or binary file object
        Where the compressed stream goes.
    threads : int, optional
        Compression threads; default: the CPUs this process may use.
        The bytes written do not depend on it.
    level : int
        zlib-ng level (0-9); the default, 6, is dcm2niix's.

    Returns
    -------
    file object
        Binary writer; ``close()`` writes the last block and the trailer.

    Examples
    --------
    >>> import gzip, io
    >>> buf = io.BytesIO()
    >>> with open_write(buf) as f:
    ...     _ = f.write(b"medfast" * 100)
    >>> gzip.decompress(buf.getvalue()) == b"medfast" * 100
    True
    """
    if not 0 <= level <= 9:
        raise ValueError(f"gzip level must be 0-9, not {level}")
    threads = _threads() if threads is None else max(1, int(threads))
    if isinstance(target, (str, bytes)) or hasattr(target, "__fspath__"):
        return _BlockWriter(open(target, "wb"), True, threads, level)
    return _BlockWriter(target, False, threads, level)


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
