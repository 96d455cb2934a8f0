"""One read of each DICOM file: its header as a ``Header``, and where its pixels are.

``read_header(path)`` reads the file's first bytes (more only while the walk
needs them), lets the ``index_elements`` kernel list every data element, nested
ones too, and wraps the bytes and the table in a ``ScannedHeader``, which
decodes values with pydicom's rules when a rule asks for them. pydicom stays
the parser of record: a file whose walk fails, or whose encoding the walk does
not follow (deflated, a data set whose VR encoding differs from its transfer
syntax, a raw data set without the Part 10 preamble), is read with
``pydicom.dcmread(stop_before_pixels=True)`` instead, and
``medfast.dicom.scanned.FALLBACKS`` counts it.

``scan(path, tags)`` gives a few top-level values as a dict of plain types
(DS ``float``, IS ``int``, strings ``str``, several values a ``tuple``),
each equal to pydicom's value for the same keyword.
"""
from __future__ import annotations

import functools
import os
import struct
from typing import NamedTuple

import numpy as np

from .. import _kernels
from ..errors import InvalidArgumentError, InvalidFileError, file_error, reading
from . import _dictionary
from .scanned import Record, ScannedFile, ScannedHeader, count_fallback

__all__ = ["DEFAULT_TAGS", "Header", "Scanned", "read_header", "scan"]

#: What grouping, sorting and geometry need (the tags dcm2niix reads per file).
DEFAULT_TAGS = (
    "SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID",
    "SeriesNumber", "AcquisitionNumber", "InstanceNumber",
    "ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing",
    "SliceThickness", "SpacingBetweenSlices", "SliceLocation", "PatientPosition",
    "Rows", "Columns", "NumberOfFrames", "SamplesPerPixel", "PhotometricInterpretation",
    "PlanarConfiguration", "BitsAllocated", "BitsStored", "HighBit", "PixelRepresentation",
    "RescaleSlope", "RescaleIntercept", "Modality", "Manufacturer", "ImageType",
    "EchoNumbers", "EchoTime", "RepetitionTime", "InversionTime", "FlipAngle",
    "AcquisitionTime", "AcquisitionDate", "AcquisitionDateTime", "ContentTime",
    "SeriesTime", "SeriesDate", "StudyDate", "StudyTime", "TriggerTime",
    "TemporalPositionIdentifier", "NumberOfTemporalPositions",
    "ProtocolName", "SeriesDescription", "DiffusionBValue",
    # what dcm2niix's isSameSet compares too (medfast.dicom.grouping)
    "Exposure", "SequenceName", "ReceiveCoilName", "ComplexImageComponent", "NumberOfAverages", "ScanningSequence",
    "ImageComments", "DiffusionGradientOrientation", "GantryDetectorTilt",
)

#: What each file is asked for besides: the tags of ``Record`` (decoded in one kernel call as the file is read).
RECORD_TAGS = DEFAULT_TAGS + (
    "SpecificCharacterSet", "PerFrameFunctionalGroupsSequence", "SharedFunctionalGroupsSequence",
    "ImagesInAcquisition", "NumberOfSlices", "MRAcquisitionType", "EchoPlanarPulseSequence",
)
#: The private tags the vendor rules read from each file (``series``, ``grouping``, ``ge``, ``philips``,
#: ``siemens``), and their private creators: the record finds their rows, their values decode when asked.
RECORD_PRIVATE = (
    0x00190010, 0x0019109C, 0x0019109E, 0x001910B3, 0x00210010, 0x00211175, 0x0021104F, 0x00290010, 0x00290011,
    0x00290012, 0x00291010, 0x00291110, 0x00291210, 0x00430010, 0x0043102F, 0x0043107C, 0x00510010, 0x0051100F,
    0x20010010, 0x20011008, 0x20050010, 0x2005100E, 0x20051030, 0x200510A0, 0x2005106F, 0x2005140F, 0x20051429,
)
#: Overlay Data of the 16 overlay groups (60xx,3000), which dcm2niix's overlays rule asks of every file: in the
#: record, their absence is known without indexing the data set's tags.
RECORD_OVERLAYS = tuple(0x60003000 + (j << 17) for j in range(16))
_RECORD = Record(RECORD_TAGS + RECORD_PRIVATE + RECORD_OVERLAYS)

IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
EXPLICIT_BE = "1.2.840.10008.1.2.2"
DEFLATED_LE = "1.2.840.10008.1.2.1.99"

# Kernel status codes (src/_scan.pyx).
_FOUND_PIXELS, _END, _END_OF_GROUP, _TRUNCATED, _TABLE_FULL = 0, 1, 2, -1, -4

_CHUNK = 32768  # one read holds the whole header of most single-frame files (Siemens: ~17 KB)
_ROWS = 1024  # first table size; grown while the walk asks, never past one row per 8 bytes
_TS_TAG = 0x00020010
_PIXEL_TAGS = (0x7FE00010, 0x7FE00008, 0x7FE00009)
_LUT_DESCRIPTORS = (0x00281101, 0x00281102, 0x00281103, 0x00283002)  # pydicom fixes their first value
_LONG_VRS = frozenset({b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"})


class Scanned(NamedTuple):
    """One file as the reader keeps it.

    ``header`` is a ``medfast.dicom.header.Header`` of the data set without
    pixels (a ``ScannedHeader``, or pydicom's ``DatasetHeader`` when
    ``used_fallback``); ``pixel_offset`` the file offset of Pixel Data's value
    (-1 when the file has none, or when it is deflated), ``pixel_length`` its
    length (0xFFFFFFFF when encapsulated).
    """

    path: str
    transfer_syntax: str
    pixel_offset: int
    pixel_length: int
    header: object
    used_fallback: bool


class Header(NamedTuple):
    """What ``scan`` found in one file: ``values`` maps keyword to value, absent tags left out."""

    path: str
    transfer_syntax: str
    pixel_offset: int
    pixel_length: int
    values: dict
    used_fallback: bool


class NotPart10(Exception):
    """The file has no 'DICM' prefix at byte 128 (it may still be a raw data set)."""


class _Fallback(Exception):
    """The walk cannot give pydicom's answer for this file."""


@functools.lru_cache(maxsize=None)
def _keyword_of(tag):
    return next(keyword for keyword, number in _dictionary.KEYWORDS.items() if number == tag)


def _keyword_tag(tag):
    number = _dictionary.KEYWORDS.get(tag) if isinstance(tag, str) else tag
    if not isinstance(number, int) or number >> 16 == 0x0002 or number in _PIXEL_TAGS or (number >> 16) & 1:
        raise InvalidArgumentError(f"tags: {tag!r} is not a public data set attribute")
    if _dictionary.PUBLIC.get(number) in (None, "SQ") or number in _LUT_DESCRIPTORS:
        raise InvalidArgumentError(f"tags: {tag!r} is not a plain public attribute: read it with pydicom")
    return number


def scan(path, tags=DEFAULT_TAGS):
    """Read the transfer syntax, the Pixel Data offset and a few top-level values of a DICOM file.

    Parameters
    ----------
    path : str or os.PathLike
        A DICOM file (Part 10 with the ``DICM`` prefix, or a raw data set).
    tags : sequence of str or int
        Keywords (or tags as ints) of the public, non-sequence attributes to
        return. ``DEFAULT_TAGS`` holds what series grouping and sorting need.

    Returns
    -------
    Header
        ``values`` holds each tag present at the top level, with the value
        pydicom gives for it (see the module docstring for the types).

    Raises
    ------
    InvalidFileError
        The file is not DICOM, or it is too broken for pydicom to read.
    InvalidArgumentError
        A tag is unknown, a sequence, or part of the file meta group.

    Examples
    --------
    >>> from pydicom.data import get_testdata_file
    >>> header = scan(get_testdata_file("CT_small.dcm"), tags=("Rows", "PixelSpacing"))
    >>> header.values
    {'Rows': 128, 'PixelSpacing': (0.661468, 0.661468)}
    >>> header.pixel_offset, header.used_fallback
    (6300, False)
    """
    wanted = [_keyword_tag(tag) for tag in tags]
    found = read_header(path, raw_dataset=True)
    values = {}
    for tag in wanted:
        element = found.header._element(tag)
        if element is not None:
            values[_keyword_of(tag)] = element[1]
    return Header(found.path, found.transfer_syntax, found.pixel_offset, found.pixel_length, values,
                  found.used_fallback)


def read_header(path, raw_dataset=False):
    """Read a DICOM file's header once: a ``Scanned`` record with its ``Header`` and where its pixels are.

    Parameters
    ----------
    path : str or os.PathLike
        A DICOM Part 10 file.
    raw_dataset : bool
        Accept a data set without the 128-byte preamble and 'DICM' prefix
        (pydicom's ``force=True``); otherwise such a file raises ``NotPart10``
        unless it opens as dcm2niix reads one (``starts_like_dcm2niix_dicom``).

    Examples
    --------
    >>> from pydicom.data import get_testdata_file
    >>> found = read_header(get_testdata_file("MR_small_implicit.dcm"))
    >>> found.header.get("Rows"), found.transfer_syntax, found.used_fallback
    (64, '1.2.840.10008.1.2', False)
    """
    path = os.fspath(path)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))  # cheaper than a file object
    try:
        data = os.read(fd, _CHUNK)
        if data[128:132] != b"DICM":
            if not raw_dataset and not starts_like_dcm2niix_dicom(data):
                raise NotPart10(path)
            if not _looks_like_dataset(data):
                raise file_error(path, "preamble", data[128:132], "not DICOM: no 'DICM' prefix and no data element at the start")
        else:
            try:
                return _read_part10(fd, path, data)
            except _Fallback:
                pass
    finally:
        os.close(fd)
    return _fallback(path, force=data[128:132] != b"DICM")


def starts_like_dcm2niix_dicom(data):
    """dcm2niix's "maybe DICOM" (isDICOMfile 2): no preamble, but the file opens on a group 0008 element.

    Such a file (an old ACR-NEMA-style export) is at least 256 bytes long and
    its first two bytes are 08 00 and the fourth 00 (element below 0100).
    It is read as a raw data set, as every reader of this module reads it
    with ``raw_dataset``.
    """
    return len(data) >= 256 and data[0] == 8 and data[1] == 0 and data[3] == 0


def _looks_like_dataset(data):
    """A raw data set (what pydicom reads with ``force=True``) starts with group 0002 or 0008."""
    return len(data) >= 8 and data[:2] in (b"\x02\x00", b"\x08\x00", b"\x00\x08")


def _walk(fd, data, start, explicit, big, meta_only):
    """Run the kernel, reading more of the file and growing the table while the walk needs it."""
    stop = np.empty(5, dtype=np.int64)
    rows = min(_ROWS, (len(data) - start) // 8 + 2)
    table = np.empty((rows, 7), dtype=np.int64)
    while True:
        status = _kernels.index_elements(data, start, explicit, big, meta_only, table, stop)
        if status == _TABLE_FULL:
            table = np.empty((min(4 * len(table), (len(data) - start) // 8 + 2), 7), dtype=np.int64)
            continue
        if status not in (_TRUNCATED, _END):
            return status, table[:int(stop[4])], stop, data
        # at least double; never more than the file holds (read() allocates what it is asked)
        left = os.fstat(fd).st_size - os.lseek(fd, 0, os.SEEK_CUR)
        if left <= 0:
            return status, table[:int(stop[4])], stop, data
        size = min(max(len(data), int(stop[0]) - len(data) + _CHUNK), left)
        data += os.read(fd, size)


def _read_part10(fd, path, data):
    status, table, stop, data = _walk(fd, data, 132, True, False, True)
    ts = None
    for tag, _, offset, length, parent, _, _ in table.tolist():  # the meta group: a few rows
        if tag == _TS_TAG and parent == -1:
            ts = data[offset:offset + length].decode("latin-1").rstrip("\x00 ")
    if status != _END_OF_GROUP or ts is None:
        raise _Fallback  # no data set, no transfer syntax, or an odd meta group
    start = int(stop[0])
    if ts == IMPLICIT_LE:
        explicit, big = False, False
    elif ts == EXPLICIT_BE:
        explicit, big = True, True
    elif ts == DEFLATED_LE or "\\" in ts:
        raise _Fallback
    else:
        explicit, big = True, False  # every other transfer syntax is explicit VR little endian
    first = data[start:start + 6]
    # pydicom switches encoding when the first element disagrees with the transfer syntax,
    # and reads a command group (0000) implicitly.
    if len(first) < 6 or first[:2] == b"\x00\x00" or (first[4:6].isalpha() and first[4:6].isupper()) != explicit:
        raise _Fallback
    status, table, stop, data = _walk(fd, data, start, explicit, big, False)
    if status == _FOUND_PIXELS:
        pixel_offset, pixel_length = int(stop[0]), int(stop[1])
        end = pixel_offset
    elif status == _END:
        pixel_offset, pixel_length, end = -1, 0, len(data)
    else:
        raise _Fallback
    file = ScannedFile(path, data[:end], memoryview(table.tobytes()).cast("q"), not big)  # no rows: still a view
    header = ScannedHeader(file)
    header.prime(_RECORD, *_RECORD.decode(data, table, big))
    return Scanned(path, ts, pixel_offset, pixel_length, header, False)


# ---- the pydicom fallback ---------------------------------------------------


def _fallback(path, force):
    from ._pydicom import ensure

    ensure()
    import pydicom
    from pydicom.errors import BytesLengthException, InvalidDicomError

    from .._io import BoundedFile
    from .header import DatasetHeader

    count_fallback("files")
    with reading(path, "DICOM header"):
        try:
            with BoundedFile(path) as f:  # a claimed 4 GB length must not allocate 4 GB
                ds = pydicom.dcmread(f, stop_before_pixels=True, force=force)
                meta = getattr(ds, "file_meta", None)
                ts = str(meta.get("TransferSyntaxUID", "")) if meta is not None else ""
                if not ts and force:  # a raw data set: the encoding pydicom found (dcm2niix guesses it the same way)
                    ts = _ENCODINGS.get(tuple(ds.original_encoding), "")
                pixel_offset, pixel_length = (-1, 0) if ts == DEFLATED_LE else _pixel_at(f, ds)
        except (InvalidDicomError, BytesLengthException, struct.error, RecursionError) as err:
            raise InvalidFileError(f"{path}: cannot read DICOM header: {type(err).__name__}: {err}") from err
    return Scanned(path, ts, pixel_offset, pixel_length, DatasetHeader(ds, path), True)


#: (implicit VR, little endian) -> the uncompressed transfer syntax of a raw data set
_ENCODINGS = {(True, True): "1.2.840.10008.1.2", (False, True): "1.2.840.10008.1.2.1", (False, False): "1.2.840.10008.1.2.2"}


def _pixel_at(f, ds):
    """Where Pixel Data's value starts, from the element header dcmread stopped before."""
    position = f.tell()
    head = f.read(12)
    if len(head) < 8:
        return -1, 0
    order = "little" if ds.original_encoding[1] else "big"
    tag = int.from_bytes(head[:2], order) << 16 | int.from_bytes(head[2:4], order)
    if tag not in _PIXEL_TAGS:
        return -1, 0
    # Pixel Data's VR is always a long one (OB OW OF OD UN); pydicom may have switched
    # to implicit VR mid-file, so look at the bytes rather than the transfer syntax.
    if head[4:6] in _LONG_VRS and head[6:8] == b"\x00\x00":
        return position + 12, int.from_bytes(head[8:12], order)
    return position + 8, int.from_bytes(head[4:8], order)
