"""Non-DICOM sources of a bulk run (NIfTI, Analyze, NRRD, MINC, PAR/REC): the format registry's calls, in one place.

A file the registry reads is its own task: read with ``formats.read``,
written with ``formats.write`` in the ``--to`` format, named after the
source's stem and mirroring its folder relative to the source
(``in/sub/t1.nii.gz`` -> ``OUT/sub/t1.mnc``). The data file of a header/data
pair (``.img``, ``.REC``) travels with its header and is not a task of its own.
"""
from __future__ import annotations

import os

#: ``--to`` choice -> (extension of the main file, extensions of the files written beside it)
TARGETS = {"nii.gz": (".nii.gz", ()), "nii": (".nii", ()), "nrrd": (".nrrd", ()), "nhdr": (".nhdr", (".raw",)),
           "mnc": (".mnc", ())}


def detect(path):
    """The registry name of a file to convert on its own, or None (DICOM, a pair's data file, anything else)."""
    from .. import _io, formats

    if _io.companion_header(path) != path:  # .img / .REC beside their header: read through it
        return None
    return formats.detect(path)


def stem(rel):
    """``rel`` without the longest extension the registry knows (``sub/t1.nii.gz`` -> ``sub/t1``).

    Examples
    --------
    >>> stem("sub/T1.PAR"), stem("a/b.nii.gz"), stem("c.d")
    ('sub/T1', 'a/b', 'c.d')
    """
    from .. import formats

    lower = rel.lower()
    for ext in sorted((e for f in formats.FORMATS().values() for e in f.extensions), key=len, reverse=True):
        if lower.endswith(ext):
            return rel[: len(rel) - len(ext)]
    return rel


def outputs(to):
    """The suffixes one converted file gets in the ``--to`` format."""
    main, beside = TARGETS[to]
    return [main, *beside]


def convert_file(path, base, to):
    """Read ``path`` with the registry and write it as ``base`` + the ``--to`` extension; return the Volume."""
    from .. import formats

    vol = formats.read(path)
    formats.write(vol, base + TARGETS[to][0])
    return vol


def relative_name(f):
    """The folder-relative name a source file's output mirrors (``File.rel``), with ``/`` separators."""
    return os.fspath(f.rel).replace(os.sep, "/")
