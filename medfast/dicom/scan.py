"""Fast per-file DICOM header scan: the few tags series grouping and sorting need.

``scan(path)`` reads the first bytes of a file, lets the ``scan_elements``
kernel walk the data elements to Pixel Data, and decodes the wanted tags into
exactly the values pydicom gives for them. pydicom stays the parser of record:
whatever the walk does not understand (deflated or odd transfer syntaxes, a
dataset whose VR encoding differs from its transfer syntax, unknown VRs,
non-ASCII text, values pydicom would have to repair) is read with
``pydicom.dcmread(stop_before_pixels=True)`` instead, and the header says so.

Values are plain Python types, so headers are cheap to compare, hash and
pickle: DS gives ``float``, IS ``int`` (``float`` when pydicom keeps a
non-integral IS), UI and the other strings ``str`` (stripped as pydicom strips
them), binary numbers ``int``/``float``; a multi-valued element gives a
``tuple``; an empty element gives what pydicom gives (``None``, or ``''`` for
string VRs). Each equals pydicom's value for the same keyword
(``pydicom``'s ``MultiValue`` compares equal to ``list(value)``).
"""
from __future__ import annotations

import functools
import os
import struct
from typing import NamedTuple

import numpy as np

from .. import _kernels
from ..errors import InvalidArgumentError, InvalidFileError, file_error, reading

__all__ = ["DEFAULT_TAGS", "Header", "scan"]

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
    "ProtocolName", "SeriesDescription", "DiffusionBValue", "Exposure", "GantryDetectorTilt",
)

IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
EXPLICIT_BE = "1.2.840.10008.1.2.2"
DEFLATED_LE = "1.2.840.10008.1.2.1.99"

# Kernel status codes (src/_scan.pyx).
_FOUND_PIXELS, _END, _END_OF_GROUP, _TRUNCATED = 0, 1, 2, -1

_CHUNK = 32768  # one read holds the whole header of most single-frame files (Siemens: ~17 KB)
_TS_TAG = 0x00020010
_META_WANTED = np.array([_TS_TAG], dtype=np.uint32)
_PIXEL_TAGS = (0x7FE00010, 0x7FE00008, 0x7FE00009)
_LUT_DESCRIPTORS = (0x00281101, 0x00281102, 0x00281103, 0x00283002)  # pydicom fixes their first value
_LONG_VRS = frozenset({b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"})


class Header(NamedTuple):
    """What ``scan`` found in one file.

    ``pixel_offset`` is the file offset of Pixel Data's value (-1 when the
    file has none, or when it is deflated); ``pixel_length`` its length
    (0xFFFFFFFF when encapsulated). ``values`` maps keyword to value, absent
    tags left out. ``used_fallback`` is True when pydicom read the header.
    """

    path: str
    transfer_syntax: str
    pixel_offset: int
    pixel_length: int
    values: dict
    used_fallback: bool


class _Fallback(Exception):
    """The fast path cannot give pydicom's answer for this file."""


# ---- value decoding: pydicom.values' rules, for the plain types above -------


# Non-ASCII bytes raise UnicodeDecodeError (a ValueError): scan falls back to pydicom,
# which decodes latin-1 or the SpecificCharacterSet.


def _multi(items):
    return items[0] if len(items) == 1 else tuple(items)


def _string(raw, little):  # AS CS DA DT TM: pydicom's multi_string
    items = raw.decode("ascii").rstrip(" \x00").split("\\")
    return items[0] if len(items) == 1 else tuple(items)


def _ae(raw, little):
    return _multi([s.strip() for s in raw.decode("ascii").split("\\")])


def _ui(raw, little):
    items = raw.decode("ascii").rstrip("\x00 ").split("\\")
    return items[0] if len(items) == 1 else tuple(items)


def _ur(raw, little):
    return raw.decode("ascii").rstrip()


def _ds(raw, little):
    # DSfloat(s) is float(s); a blank value stays a str
    items = raw.decode("ascii").strip().rstrip(" \x00").split("\\")
    if len(items) == 1:
        return float(items[0]) if items[0] else items[0]
    return tuple(float(s) if s.strip() else s for s in items)


def _is_item(s):
    if s.strip() == "":
        return s
    try:
        value = int(s)
    except ValueError:
        value = int(float(s))  # pydicom accepts "1.0"
    exact = float(s)
    return value if value == exact else exact  # pydicom's ISfloat when not integral


def _is(raw, little):
    return _multi([_is_item(s) for s in raw.decode("ascii").rstrip(" \x00").split("\\")])


def _text(raw):
    if b"\x1b" in raw:
        raise _Fallback  # ISO 2022 escape sequences
    return raw.decode("ascii")


def _multitext(raw, little):  # LO SH UC
    return _multi([s.rstrip("\x00 ") for s in _text(raw).split("\\")])


def _single(raw, little):  # LT ST UT
    return _text(raw).rstrip("\x00 ")


def _pn(raw, little):
    return _multi(_text(raw.rstrip(b"\x00 ")).split("\\"))


def _numbers(fmt):
    size = struct.calcsize("<" + fmt)  # standard sizes, as the unpacking below uses
    one = {True: struct.Struct("<" + fmt).unpack, False: struct.Struct(">" + fmt).unpack}

    def decode(raw, little):
        if len(raw) == size:
            return one[little](raw)[0]
        if len(raw) % size:
            raise _Fallback  # pydicom retries other VRs
        return struct.unpack(f"{'<' if little else '>'}{len(raw) // size}{fmt}", raw)

    return decode


def _bytes(raw, little):
    return raw


_DECODERS = {
    "AE": _ae, "AS": _string, "CS": _string, "DA": _string, "DT": _string, "TM": _string,
    "UI": _ui, "UR": _ur, "DS": _ds, "IS": _is, "LO": _multitext, "SH": _multitext,
    "UC": _multitext, "LT": _single, "ST": _single, "UT": _single, "PN": _pn,
    "US": _numbers("H"), "SS": _numbers("h"), "UL": _numbers("L"), "SL": _numbers("l"),
    "FL": _numbers("f"), "FD": _numbers("d"), "SV": _numbers("q"), "UV": _numbers("Q"),
    "OB": _bytes, "OD": _bytes, "OF": _bytes, "OL": _bytes, "OV": _bytes, "OW": _bytes,
}
# pydicom's value for an empty element: '' for string VRs except DS and IS, None otherwise.
_EMPTY = {vr: "" if vr in "AE AS CS DA DT LO LT PN SH ST TM UC UI UR UT".split() else None for vr in (*_DECODERS, "UN")}
_UN = 0x554E
# The explicit VR as the kernel packs it (two ASCII bytes, big-endian) -> (name, decoder).
_BY_CODE = {int.from_bytes(vr.encode(), "big"): (vr, decode) for vr, decode in _DECODERS.items()}


# ---- the wanted tags --------------------------------------------------------


class _Plan(NamedTuple):
    wanted: np.ndarray  # uint32, ascending
    keywords: tuple
    by_dictionary: tuple  # (VR, decoder) from the dictionary (implicit VR, UN); None if not decodable


@functools.lru_cache(maxsize=32)
def _plan(tags):
    from pydicom.datadict import dictionary_VR, keyword_for_tag, tag_for_keyword

    found = {}
    for tag in tags:
        number = tag_for_keyword(tag) if isinstance(tag, str) else tag
        keyword = keyword_for_tag(number) if isinstance(number, int) else ""
        if not keyword or number >> 16 == 0x0002 or number in _PIXEL_TAGS:
            raise InvalidArgumentError(f"tags: {tag!r} is not a public data set attribute")
        vr = dictionary_VR(number)
        if vr == "SQ" or number in _LUT_DESCRIPTORS:
            raise InvalidArgumentError(f"tags: {keyword} needs pydicom's own handling: read it with pydicom")
        found[number] = (keyword, vr)
    order = sorted(found)
    return _Plan(
        np.array(order, dtype=np.uint32),
        tuple(found[t][0] for t in order),
        tuple((found[t][1], _DECODERS[found[t][1]]) if found[t][1] in _DECODERS else None for t in order),
    )


# ---- the scan ---------------------------------------------------------------


def scan(path, tags=DEFAULT_TAGS):
    """Read the transfer syntax, the Pixel Data offset and a few tags of a DICOM file.

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
    plan = _plan(tuple(tags))
    path = os.fspath(path)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))  # cheaper than a file object
    try:
        data = os.read(fd, _CHUNK)
        eof = len(data) < _CHUNK
        raw_dataset = data[128:132] != b"DICM"
        if raw_dataset and not _looks_like_dataset(data):
            raise file_error(path, "preamble", data[128:132], "not DICOM: no 'DICM' prefix and no data element at the start")
        if not raw_dataset:
            try:
                return _scan_part10(fd, path, data, eof, plan)
            except _Fallback:
                pass
    finally:
        os.close(fd)
    return _fallback(path, plan, force=raw_dataset)


def _looks_like_dataset(data):
    """A raw data set (what pydicom reads with ``force=True``) starts with group 0002 or 0008."""
    return len(data) >= 8 and data[:2] in (b"\x02\x00", b"\x08\x00", b"\x00\x08")


def _walk(fd, data, eof, start, explicit, big, meta_only, wanted):
    """Run the kernel, reading more of the file while the walk needs it."""
    out = np.empty((len(wanted) + 1, 4), dtype=np.int64)
    while True:
        status = _kernels.scan_elements(data, start, explicit, big, meta_only, wanted, out)
        if eof or status not in (_TRUNCATED, _END):
            return status, out, data, eof
        # at least double; never more than the file holds (read() allocates what it is asked)
        left = os.fstat(fd).st_size - len(data)
        size = min(max(len(data), int(out[-1, 0]) - len(data) + _CHUNK), left)
        more = os.read(fd, size) if size > 0 else b""
        eof = len(more) >= left
        data += more


def _scan_part10(fd, path, data, eof, plan):
    status, out, data, eof = _walk(fd, data, eof, 132, True, False, True, _META_WANTED)
    offset, length = int(out[0, 0]), int(out[0, 1])
    if status != _END_OF_GROUP or offset < 0:
        raise _Fallback  # no data set, no transfer syntax, or an odd meta group
    try:
        ts = _ui(data[offset:offset + length], True) if length else ""
    except ValueError as err:  # not ASCII
        raise _Fallback from err
    start = int(out[-1, 0])
    if ts == IMPLICIT_LE:
        explicit, big = False, False
    elif ts == EXPLICIT_BE:
        explicit, big = True, True
    elif ts == DEFLATED_LE or not isinstance(ts, str):
        raise _Fallback
    else:
        explicit, big = True, False  # every other transfer syntax is explicit VR little endian
    first = data[start:start + 6]
    # pydicom switches encoding when the first element disagrees with the transfer syntax,
    # and reads a command group (0000) implicitly.
    if len(first) < 6 or first[:2] == b"\x00\x00" or all(0x40 < c < 0x5B for c in first[4:6]) != explicit:
        raise _Fallback
    status, out, data, eof = _walk(fd, data, eof, start, explicit, big, False, plan.wanted)
    if status == _FOUND_PIXELS:
        pixel_offset, pixel_length = int(out[-1, 0]), int(out[-1, 1])
    elif status == _END:
        pixel_offset, pixel_length = -1, 0
    else:
        raise _Fallback
    values = {}
    little = not big
    try:
        for (offset, length, code, _), by_dictionary, keyword in zip(out[:-1].tolist(), plan.by_dictionary, plan.keywords):
            if offset < 0:
                continue
            kind = _BY_CODE.get(code) if explicit else by_dictionary
            if code == _UN:  # pydicom's replace_un_with_known_vr, for public tags
                kind = by_dictionary if length < 0xFFFF else ("UN", _bytes)
            if kind is None:
                raise _Fallback  # AT, an unknown VR, an ambiguous dictionary VR: pydicom's rules apply
            vr, decode = kind
            values[keyword] = decode(data[offset:offset + length], little) if length else _EMPTY[vr]
    except (ValueError, OverflowError) as err:  # non-ASCII, a number pydicom repairs or retries
        raise _Fallback from err
    return Header(path, ts, pixel_offset, pixel_length, values, False)


# ---- the pydicom fallback ---------------------------------------------------


def _fallback(path, plan, force):
    import pydicom

    from .._io import BoundedFile
    from pydicom.errors import BytesLengthException, InvalidDicomError

    with reading(path, "DICOM header"):
        try:
            with BoundedFile(path) as f:  # a claimed 4 GB length must not allocate 4 GB
                ds = pydicom.dcmread(f, stop_before_pixels=True, force=force)
                meta = getattr(ds, "file_meta", None)
                ts = str(meta.get("TransferSyntaxUID", "")) if meta is not None else ""
                pixel_offset, pixel_length = (-1, 0) if ts == DEFLATED_LE else _pixel_at(f, ds)
        except (InvalidDicomError, BytesLengthException, struct.error, RecursionError) as err:
            raise InvalidFileError(f"{path}: cannot read DICOM header: {type(err).__name__}: {err}") from err
    values = {}
    for tag, keyword in zip(plan.wanted.tolist(), plan.keywords):
        if tag in ds:
            try:
                values[keyword] = _plain(ds[tag].value)
            except Exception as err:  # pydicom decodes values lazily: an error shows up here
                raise file_error(path, keyword, ds._dict[tag].value, f"pydicom cannot decode it: {err}") from err
    return Header(path, ts, pixel_offset, pixel_length, values, True)


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


def _plain(value):
    """pydicom's value as the plain types ``scan`` returns (MultiValue to tuple, DSfloat to float...)."""
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        return tuple(_plain(v) for v in value)
    if value is None:
        return None
    for kind in (bool, int, float, str, bytes):
        if isinstance(value, kind):
            return kind(value)
    return str(value)  # PersonName
