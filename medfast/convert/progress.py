"""A one-line progress bar on a terminal: files scanned, series done, MB/s, time left.

Silent when the stream is not a terminal (a log file, a pipe, a test), so the
output of a batch job is only what it asked for.
"""
from __future__ import annotations

import sys
import time


def _clock(seconds):
    seconds = int(max(0, seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Progress:
    """Redraw at most every ``interval`` seconds; ``close()`` ends the line.

    ``update`` takes running totals: files scanned, series seen and done,
    source bytes seen and converted, and whether the walk has finished (the
    time left is a lower bound until it has).

    Examples
    --------
    >>> import io
    >>> p = Progress(io.StringIO())  # not a terminal: draws nothing
    >>> p.update(files=10, series=2, done=1, bytes_seen=10, bytes_done=5, walked=True)
    >>> p.stream.getvalue()
    ''
    """

    def __init__(self, stream=None, interval=0.2, enabled=None):
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.enabled, self.interval = enabled, interval
        self.start = time.monotonic()
        self._last = 0.0
        self._width = 0

    def line(self, files, series, done, bytes_seen, bytes_done, walked, failed=0):
        """The text of the bar for these totals."""
        elapsed = max(time.monotonic() - self.start, 1e-6)
        rate = bytes_done / elapsed
        left = (bytes_seen - bytes_done) / rate if rate > 0 else None
        eta = "--:--" if left is None else ("" if walked else ">") + _clock(left)
        text = f"scanned {files:,} files | series {done}/{series}{'' if walked else '+'}"
        if failed:
            text += f" ({failed} failed)"
        return text + f" | {rate / 1e6:.1f} MB/s | left {eta}"

    def update(self, force=False, **totals):
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        text = self.line(**totals)
        self.stream.write("\r" + text.ljust(self._width))
        self._width = len(text)
        self.stream.flush()

    def close(self):
        if self.enabled and self._width:
            self.stream.write("\n")
            self.stream.flush()
