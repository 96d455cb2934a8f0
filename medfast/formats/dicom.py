"""DICOM in the registry: a file or a folder read by ``medfast.read_dicom``, one series to a ``Volume``.

``medfast.read`` returns one volume: a file or folder that holds one series
gives it; one that holds several raises ``InvalidArgumentError`` saying how
many, and ``medfast.read_dicom`` reads them all. DICOM is a source format:
there is no writer.
"""
from __future__ import annotations

import os

from ..errors import InvalidArgumentError, InvalidFileError

NAME = "dicom"
EXTENSIONS = (".dcm", ".dicom", ".ima")
_PREAMBLE_END = 132


def sniff(head, path=None):
    """True for a DICOM Part 10 file: ``DICM`` after the 128-byte preamble."""
    return head[128:_PREAMBLE_END] == b"DICM"


def _one(path, pixels):
    from ..dicom import read_dicom

    vols = read_dicom(path, pixels=pixels)
    if not vols:
        raise InvalidFileError(f"{os.fspath(path)}: no DICOM image series found")
    if len(vols) > 1:
        series = ", ".join(str(v.meta.get("SeriesNumber")) for v in vols)
        raise InvalidArgumentError(
            f"{os.fspath(path)}: holds {len(vols)} DICOM volumes (series {series}); medfast.read returns one: "
            f"medfast.read_dicom({os.fspath(path)!r}) returns them all"
        )
    return vols[0]


def read(path, head=None):
    """The one series a DICOM file or folder holds, as ``medfast.read_dicom`` reads it.

    Examples
    --------
    >>> import tempfile
    >>> from medfast.synth import write_ct_series
    >>> folder = tempfile.mkdtemp()
    >>> _ = write_ct_series(folder, shape=(16, 16, 4))
    >>> read(folder).shape
    (16, 16, 4)
    """
    return _one(path, pixels=True)


def read_header(path, head=None):
    """:func:`read` without the pixels (``read_dicom(..., pixels=False)``): a zero-stride placeholder.

    Examples
    --------
    >>> import tempfile
    >>> from medfast.synth import write_ct_series
    >>> folder = tempfile.mkdtemp()
    >>> _ = write_ct_series(folder, shape=(16, 16, 4))
    >>> read_header(folder).stored.strides
    (0, 0, 0)
    """
    return _one(path, pixels=False)
