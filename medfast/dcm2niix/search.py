"""Which files dcm2niix reads from an input folder, in its order (``searchDirForDICOM``).

dcm2niix walks a folder in the order the file system lists it (``readdir``:
not sorted), going into each sub-folder where it meets it, at most ``-d``
levels down. It skips hidden entries and files named DICOMDIR, and keeps a
file that is at least 256 bytes long and either carries ``DICM`` at byte 128
or starts with a group 0008 element (DICOM without the Part 10 preamble).
That list is what ``Found N DICOM file(s)`` counts, and its order decides the
order in which dcm2niix converts.
"""
from __future__ import annotations

import os

_MIN_BYTES = 256


def is_candidate(path):
    """True when dcm2niix counts ``path`` as a DICOM file (its ``isDICOMfile`` > 0).

    Examples
    --------
    >>> import tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "a.dcm")
    >>> _ = open(path, "wb").write(bytes(128) + b"DICM" + bytes(200))
    >>> is_candidate(path), is_candidate(os.path.dirname(path))
    (True, False)
    """
    try:
        with open(path, "rb") as f:
            head = f.read(_MIN_BYTES)
    except OSError:
        return False
    if len(head) < _MIN_BYTES:
        return False
    return head[128:132] == b"DICM" or (head[0] == 8 and head[1] == 0 and head[3] == 0)


def find(folder, depth):
    """The DICOM files under ``folder`` (``depth`` folder levels down at most), in dcm2niix's order.

    Paths are ``folder`` joined to each name, as dcm2niix prints them.

    Examples
    --------
    >>> import tempfile
    >>> from medfast.synth import write_ct_series
    >>> folder = tempfile.mkdtemp()
    >>> _ = write_ct_series(os.path.join(folder, "ct"), (8, 8, 3))
    >>> len(find(folder, 0)), len(find(folder, 1))
    (0, 3)
    """
    found = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return found
    for entry in entries:
        path = os.path.join(folder, entry.name)
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            if depth > 0:
                found += find(path, depth - 1)
        elif entry.is_file() and entry.name.upper() != "DICOMDIR" and is_candidate(path):
            found.append(path)
    return found

