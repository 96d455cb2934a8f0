"""dcm2niix's ``--progress y`` (and ``2``): the ``Progress: F`` lines Slicer reads, as its ``reportProgress`` prints them.

A conversion of one folder runs in three stages, weighted 5%, 45% and 50%:
finding the files (``Progress: 0`` before the search), reading each file's
header (after file i of n, where files holding several volumes are converted
at once: 0.05 + 0.45 i / n), and converting the series (after each:
0.5 + 0.5 c / n, c the files converted so far, one a file converted in the
second stage); then 1. A fraction is printed as a whole percentage rounded
down to a multiple of 5, and only when it changes. ``--progress 2`` also
prints how long each stage took.
"""
from __future__ import annotations

import math
import time

import numpy as np

_STAGE_1, _STAGE_2, _STAGE_3 = np.float32(0.05), np.float32(0.45), np.float32(0.5)
_STEP = 5  # percent


class Progress:
    """The progress lines of one folder's conversion; ``say`` prints a line. ``level`` 0 prints nothing.

    Examples
    --------
    >>> p = Progress(1, print)
    >>> p.start(); p.found(4); p.end_reading()
    Progress: 0
    Progress: 0.05
    Progress: 0.15
    Progress: 0.25
    Progress: 0.35
    >>> p.done(["a", "b", "c", "d"], in_reading=False); p.finish()
    Progress: 1
    """

    def __init__(self, level, say):
        self.level, self.say = level, say
        self.pct, self.files, self.read, self.converted = -1, 0, 0, 0
        self.seen, self.reading = set(), True
        self.clock = time.process_time()

    def _report(self, frac):
        if not self.level:
            return
        pct = math.floor(100.0 * float(frac) + 0.5) // _STEP * _STEP  # C's round of a positive number
        if pct != self.pct:
            self.pct = pct
            self.say(f"Progress: {float(np.float32(pct / 100.0)):g}")

    def _stage_line(self, text):
        if self.level > 1:
            now = time.process_time()
            self.say(f"{text} required {now - self.clock:f} seconds.")
            self.clock = now

    def start(self):
        """Before the folder is searched."""
        self._report(0.0)

    def found(self, count):
        """After ``Found N DICOM file(s)`` (and the list of ``-q l``)."""
        self.files = count
        self._stage_line("Stage 1 (Count number of DICOMs)")
        self._report(_STAGE_1)

    def read_through(self, index):
        """The headers of the files before ``index`` (in the search's order) are read."""
        for i in range(self.read, min(index, self.files)):
            self._report(_STAGE_1 + _STAGE_2 * np.float32(i) / np.float32(self.files))
        self.read = max(self.read, min(index, self.files))

    def end_reading(self):
        """Every header is read: the second stage ends."""
        if self.reading:
            self.read_through(self.files)
            self._stage_line("Stage 2 (Read DICOM headers, Convert 4D)")
            self.reading = False

    def done(self, files, in_reading):
        """A series of ``files`` is converted; ``in_reading``: in the second stage (one file holding volumes)."""
        if in_reading:
            self.converted += len(set(files) - self.seen)
            self.seen.update(files)
            return
        self.converted += len(files)
        self._report(_STAGE_2 + _STAGE_1 + _STAGE_3 * np.float32(self.converted) / np.float32(self.files))

    def finish(self):
        """Every series is converted."""
        self.end_reading()
        self._stage_line("Stage 3 (Convert 2D and 3D images)")
        self._report(1.0)
