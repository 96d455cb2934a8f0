"""A one-line progress bar on a terminal: a bar and percentage of source bytes converted, files/s, MB/s, time left.

Silent when the stream is not a terminal (a log file, a pipe, a test), so the
output of a batch job is only what it asked for. The walk usually finishes
long before the conversion (scanning is cheap); until it has, the total is
not known and the bar says so (``+`` after the count, no time left). The time
left is the bytes still to convert over the rate of the last ``WINDOW``
seconds, so start-up and the walk do not inflate it.
"""
from __future__ import annotations

import collections
import sys
import time

WINDOW = 10.0  # seconds of history behind the rate
_BAR = 20


def clock(seconds):
    """``H:MM:SS``.

    Examples
    --------
    >>> clock(35.4), clock(3725)
    ('0:00:35', '1:02:05')
    """
    seconds = int(round(max(0, seconds)))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Progress:
    """Redraw at most every ``interval`` seconds; ``close()`` ends the line.

    ``update`` takes running totals: files scanned and converted (or skipped),
    series seen and done, source bytes seen and done, failures, and whether
    the walk has finished.

    Examples
    --------
    >>> import io
    >>> p = Progress(io.StringIO())  # not a terminal: draws nothing
    >>> p.update(files=10, files_done=5, series=2, done=1, bytes_seen=10, bytes_done=5, walked=True)
    >>> p.stream.getvalue()
    ''
    """

    def __init__(self, stream=None, interval=0.2, enabled=None, clock=time.monotonic):
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.enabled, self.interval, self.now = enabled, interval, clock
        self.start = self.now()
        self._samples = collections.deque()  # (time, bytes done)
        self._last = None
        self._width = 0

    def rate(self, bytes_done):
        """Bytes a second over the last ``WINDOW`` seconds, from the last moment before progress resumed."""
        now = self.now()
        samples = self._samples
        if not samples or now > samples[-1][0]:
            samples.append((now, bytes_done))
        while len(samples) > 2 and now - samples[1][0] > WINDOW:
            samples.popleft()
        while len(samples) > 2 and samples[1][1] == samples[0][1]:  # a plateau (start-up, the walk) is not a rate
            samples.popleft()
        t0, b0 = samples[0]
        if now - t0 <= 0 or bytes_done <= b0:
            return None
        return (bytes_done - b0) / (now - t0)

    def line(self, files, files_done, series, done, bytes_seen, bytes_done, walked, failed=0):
        """The text of the bar for these totals."""
        elapsed = max(self.now() - self.start, 1e-6)
        rate = self.rate(bytes_done)
        fraction = bytes_done / bytes_seen if bytes_seen else 0.0
        filled = int(_BAR * fraction)
        more = "" if walked else "+"
        text = (f"[{'#' * filled}{'-' * (_BAR - filled)}] {100 * fraction:3.0f}%{more} | "
                f"{files_done:,}/{files:,}{more} files | series {done}/{series}{more} | "
                f"{files_done / elapsed:,.0f} files/s | {(rate or 0) / 1e6:.1f} MB/s")
        if walked and rate:
            text += f" | ETA {clock((bytes_seen - bytes_done) / rate)}"
        elif not walked:
            text += " | scanning"
        if failed:
            text += f" | {failed} failed"
        return text

    def update(self, force=False, **totals):
        if not self.enabled:
            return
        now = self.now()
        if not force and self._last is not None and now - self._last < self.interval:
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
            self._width = 0
