"""``ScannedHeader``: the ``Header`` interface over a file's bytes and the scanner's element table.

``medfast.dicom.scan`` reads a file once and lets the ``index_elements``
kernel list every element (nested ones too) as table rows; this module
decodes a value only when a rule asks for it, with pydicom's rules: the VR
from the file, or for implicit VR from the public dictionary and, for a
private tag, from pydicom's private dictionary by private creator; UN
replaced by the known VR; 'US or SS' by Pixel Representation; text in the
Specific Character Set. Where these rules cannot give pydicom's answer (ISO
2022 escapes, a value pydicom repairs or retries as another VR, an ambiguous
VR other than 'US or SS'), the element is read from pydicom's parse of the
file instead, and ``FALLBACKS`` counts it.
"""
from __future__ import annotations

import struct
import threading

from . import _dictionary
from .header import Header, as_header

#: How often pydicom answered instead of the scan: whole files, and single values.
FALLBACKS = {"files": 0, "values": 0}
_COUNT_LOCK = threading.Lock()

# Row columns and flags of the kernel's table (src/_scan.pyx).
TAG, VR, OFFSET, LENGTH, PARENT, END, FLAGS = range(7)
CONTAINER, ITEM, IMPLICIT, SPECULATIVE = 1, 2, 4, 8
UNDEFINED = 0xFFFFFFFF
_SPECIFIC_CHARACTER_SET = 0x00080005
_PIXEL_REPRESENTATION = 0x00280103


def count_fallback(kind):
    """Count one pydicom fallback (``'files'`` or ``'values'``)."""
    with _COUNT_LOCK:
        FALLBACKS[kind] += 1


class NeedsPydicom(Exception):
    """The scan's rules cannot give pydicom's answer for this value."""


# ---- values: pydicom.values' rules, as the plain types of medfast.dicom.header -------------------

def _multi(items):
    return items[0] if len(items) == 1 else tuple(items)


def _latin1(raw):
    return raw.decode("latin-1")  # pydicom's default_encoding ("iso8859") for the non-text VRs


def _string(raw, little, enc):  # AS CS DA DT TM (no datetime conversion): multi_string
    return _multi(_latin1(raw).rstrip(" \x00").split("\\"))


def _ae(raw, little, enc):
    return _multi([s.strip() for s in _latin1(raw).split("\\")])


def _ur(raw, little, enc):
    return _latin1(raw).rstrip()


def _ds(raw, little, enc):
    items = _latin1(raw).strip().rstrip(" \x00").split("\\")
    if len(items) == 1:
        return float(items[0]) if items[0] else items[0]
    return tuple(float(s) if s else s for s in items)


def _is_item(s):
    if s.strip() == "":
        return s
    try:
        value = int(s)
    except ValueError:
        value = int(float(s))  # pydicom accepts "1.0"
    exact = float(s)
    return value if value == exact else exact  # pydicom's ISfloat when not integral


def _is(raw, little, enc):
    return _multi([_is_item(s) for s in _latin1(raw).rstrip(" \x00").split("\\")])


def _text(raw, enc):
    """Bytes in the character set: ASCII as any set decodes it, else the one codec; ISO 2022 escapes to pydicom."""
    if raw.isascii():
        if b"\x1b" in raw:
            raise NeedsPydicom
        return raw.decode("ascii")
    if enc is None or b"\x1b" in raw:
        raise NeedsPydicom
    try:
        return raw.decode(enc)
    except (UnicodeError, LookupError) as err:  # pydicom warns and replaces
        raise NeedsPydicom from err


def _multitext(raw, little, enc):  # LO SH UC
    return _multi([s.rstrip("\x00 ") for s in _text(raw, enc).split("\\")])


def _single(raw, little, enc):  # LT ST UT
    return _text(raw, enc).rstrip("\x00 ")


def _person_name(value):
    groups = value.split("=")  # alphabetic, ideographic, phonetic: pydicom drops empty trailing groups
    while groups and not groups[-1]:
        groups.pop()
    return "=".join(groups)


def _pn(raw, little, enc):
    return _multi([_person_name(v) for v in _text(raw.rstrip(b"\x00 "), enc).split("\\")])


def _ui(raw, little, enc):
    return _multi(_latin1(raw).rstrip("\x00 ").split("\\"))


def _numbers(fmt):
    size = struct.calcsize("<" + fmt)

    def decode(raw, little, enc):
        if len(raw) % size:
            raise NeedsPydicom  # pydicom raises or retries
        values = struct.unpack(f"{'<' if little else '>'}{len(raw) // size}{fmt}", raw)
        return values[0] if len(values) == 1 else values

    return decode


def _at(raw, little, enc):
    if len(raw) % 4:
        raise NeedsPydicom
    pairs = struct.unpack(f"{'<' if little else '>'}{len(raw) // 2}H", raw)
    return _multi([(pairs[i] << 16) | pairs[i + 1] for i in range(0, len(pairs), 2)])


def _bytes(raw, little, enc):
    return raw


DECODERS = {
    "AE": _ae, "AS": _string, "CS": _string, "DA": _string, "DT": _string, "TM": _string,
    "UI": _ui, "UR": _ur, "DS": _ds, "IS": _is, "LO": _multitext, "SH": _multitext,
    "UC": _multitext, "LT": _single, "ST": _single, "UT": _single, "PN": _pn, "AT": _at,
    "US": _numbers("H"), "SS": _numbers("h"), "UL": _numbers("L"), "SL": _numbers("l"),
    "FL": _numbers("f"), "FD": _numbers("d"), "SV": _numbers("q"), "UV": _numbers("Q"),
    "OB": _bytes, "OD": _bytes, "OF": _bytes, "OL": _bytes, "OV": _bytes, "OW": _bytes, "UN": _bytes,
}
# pydicom's value for an empty element: '' for the string VRs except DS and IS (None), None otherwise.
EMPTY = {vr: "" if vr in "AE AS CS DA DT LO LT PN SH ST TM UC UI UR UT".split() else None for vr in DECODERS}
VR_NAMES = {int.from_bytes(vr.encode(), "big"): vr for vr in (*DECODERS, "SQ")}


# ---- the dictionary ---------------------------------------------------------------------------

def dictionary_vr(tag):
    """pydicom's ``dictionary_VR``: the public dictionary, then the repeating groups; None when unknown."""
    vr = _dictionary.PUBLIC.get(tag)
    if vr is None and not (tag >> 16) & 1:
        for first, second, repeated_vr, _ in _dictionary.REPEATERS:
            if (tag ^ first) & second == 0:
                return repeated_vr
    return vr


def private_vr(tag, creator):
    """pydicom's private dictionary VR of ``tag`` under ``creator``, or None."""
    from ._private_dictionary import PRIVATE

    entries = PRIVATE.get(creator) if isinstance(creator, str) else None
    if not entries:
        return None
    group, element = f"{tag >> 16:04X}", f"{tag & 0xFFFF:04X}"
    for key in (group + element, f"{group}xx{element[-2:]}", f"{group[:2]}xxxx{element[-2:]}"):
        if key in entries:
            return entries[key]
    return None


def _encoding(charset):
    """The Python codec of a SpecificCharacterSet value; None when pydicom would need its ISO 2022 handling."""
    terms = charset if isinstance(charset, tuple) else (charset,)
    codec = _dictionary.PYTHON_ENCODING.get(terms[0] if terms else "")
    return codec if codec is not None and len(terms) == 1 else None


# ---- the header -------------------------------------------------------------------------------

class ScannedFile:
    """One file's header bytes and element table, shared by its ``ScannedHeader`` and those of its items.

    ``rows`` is the table as a flat int64 memoryview, cell (r, c) at ``7 * r + c``:
    indexing it makes one int, where converting the table to lists made thousands.
    """

    __slots__ = ("path", "data", "rows", "little", "parsed", "lock")

    def __init__(self, path, data, rows, little):
        self.path, self.data, self.rows, self.little = path, data, rows, little
        self.parsed = None  # pydicom's parse, read when a value needs it
        self.lock = threading.Lock()

    def __reduce__(self):  # a volume's headers travel to other processes (bulk, Dask): bytes, not views or locks
        return _restore_file, (self.path, self.data, self.rows.tobytes(), self.little)

    def dataset_header(self):
        """pydicom's parse of the header (no pixels) as a DatasetHeader: the parser of record, for what the scan leaves to it."""
        with self.lock:
            if self.parsed is None:
                from ._pydicom import ensure

                ensure()
                import pydicom

                from .._io import BoundedFile
                from ..errors import reading
                from .header import DatasetHeader

                with reading(self.path, "DICOM header"), BoundedFile(self.path) as f:
                    self.parsed = DatasetHeader(pydicom.dcmread(f, stop_before_pixels=True), self.path)
            return self.parsed


def _restore_file(path, data, rows, little):
    return ScannedFile(path, data, memoryview(rows).cast("q"), little)


class ScannedHeader(Header):
    """A ``Header`` over a ``ScannedFile``: the data set (``row`` -1) or one item (``row`` its table row).

    Examples
    --------
    >>> from pydicom.data import get_testdata_file
    >>> from medfast.dicom.scan import read_header
    >>> h = read_header(get_testdata_file("CT_small.dcm")).header
    >>> type(h).__name__, h.get("PixelSpacing"), h.get("Rows"), "EchoTime" in h
    ('ScannedHeader', (0.661468, 0.661468), 128, False)
    """

    __slots__ = ("file", "row", "parent", "_children", "_values", "_items", "_encoding", "_last")

    def __init__(self, file, row=-1, parent=None, children=None):
        super().__init__(file.path)
        self.file, self.row, self.parent = file, row, parent
        self._children = children  # tag -> row, the last of a repeated tag (as pydicom keeps it)
        self._values = {}
        self._items = {}
        self._encoding = False  # not looked up yet
        self._last = None

    # ---- the table --------------------------------------------------------------------------

    def children(self):
        """tag -> row of this data set's elements."""
        if self._children is None:
            rows, found = self.file.rows, {}
            r, end = self.row + 1, rows[7 * self.row + END] if self.row >= 0 else len(rows) // 7
            while r < end:
                found[rows[7 * r + TAG]] = r
                r = rows[7 * r + END]
            self._children = found
        return self._children

    def _vr_of(self, r, tag, code, length, end, flags):
        """pydicom's VR for row ``r`` of this data set (its cells given)."""
        if not flags & IMPLICIT:
            vr = VR_NAMES[code]
            if vr != "UN":
                return vr
            if length == UNDEFINED:  # pydicom's replace_un_with_known_vr
                return dictionary_vr(tag) or ("SQ" if end > r + 1 else "UN")
            if (tag >> 16) & 1:
                return self._private_vr(tag)
            return (dictionary_vr(tag) or "UN") if length < 0xFFFF else "UN"
        vr = dictionary_vr(tag)
        if vr is None:
            if length == UNDEFINED and (flags & CONTAINER) and end > r + 1:
                return "SQ"  # pydicom looks ahead: an item follows
            return self._private_vr(tag) if (tag >> 16) & 1 else ("UL" if tag & 0xFFFF == 0 else "UN")
        if vr == "US or SS":
            return "SS" if self._pixel_representation() == 1 else "US"
        return vr

    def _private_vr(self, tag):
        element = tag & 0xFFFF
        if 0x0010 <= element < 0x0100:
            return "LO"  # a private creator
        if not element & 0xFF00:
            return "UN"
        creator = self._value_of((tag & 0xFFFF0000) | (element >> 8))
        return private_vr(tag, creator) or "UN"

    def _pixel_representation(self):
        """pydicom's choice for 'US or SS': the nearest Pixel Representation up the items, else 0 (no pixels here)."""
        header = self
        while header is not None:
            value = header._value_of(_PIXEL_REPRESENTATION)
            if value is not None:
                return value
            header = header.parent
        return 0

    def encoding(self):
        """The Python codec of the Specific Character Set in force here (None: only ASCII is decoded here)."""
        if self._encoding is False:
            if _SPECIFIC_CHARACTER_SET in self.children():
                self._encoding = None  # while its own value is read (a text VR asks again): ASCII only
                self._encoding = _encoding(self._value_of(_SPECIFIC_CHARACTER_SET) or "")
            else:
                self._encoding = self.parent.encoding() if self.parent is not None else "iso8859"
        return self._encoding

    def _value_of(self, tag):
        """The plain value of a tag of this data set (no sequence), or None when absent."""
        found = self._element(tag)
        return None if found is None else found[1]

    def _decode(self, r):
        """``(vr, plain value)`` of row ``r``; sequences give ``('SQ', None)``."""
        file = self.file
        tag, code, offset, length, _, end, flags = file.rows[7 * r:7 * r + 7]
        vr = self._vr_of(r, tag, code, length, end, flags)
        if vr == "SQ":
            if length and not flags & CONTAINER:
                raise NeedsPydicom  # pydicom parses bytes the walk did not take for items
            return "SQ", None
        if length == UNDEFINED:
            raise NeedsPydicom  # an undefined length that pydicom reads as bytes
        decode = DECODERS.get(vr)
        if decode is None:
            raise NeedsPydicom  # another ambiguous VR: pydicom's correction applies
        if not length:
            return vr, EMPTY[vr]
        raw = file.data[offset:offset + length]
        try:
            return vr, decode(raw, file.little, self.encoding() if vr in _TEXT else None)
        except ValueError:
            if vr != "DS":
                raise
            return vr, _multitext(raw, file.little, self.encoding())  # not numbers: pydicom retries as SH first

    # ---- pydicom, where the rules above stop -------------------------------------------------

    def _dataset_header(self):
        """This data set as pydicom parsed it (a DatasetHeader)."""
        if self.parent is None:
            return self.file.dataset_header()
        rows = self.file.rows
        seq_row = rows[7 * self.row + PARENT]
        index, r = 0, seq_row + 1
        while r != self.row:
            index, r = index + 1, rows[7 * r + END]
        items = self.parent._dataset_header().items(rows[7 * seq_row + TAG])
        return items[index] if index < len(items) else as_header(None, self.path)  # pydicom read fewer items

    def _from_pydicom(self, tag):
        count_fallback("values")
        return self._dataset_header()._element(tag)

    # ---- the primitives ----------------------------------------------------------------------

    def _element(self, tag):
        found = self._values.get(tag, _UNREAD)
        if found is not _UNREAD:
            return found
        r = (self._children if self._children is not None else self.children()).get(tag)
        if r is None:
            found = None
        else:
            try:
                found = self._decode(r)
            except (NeedsPydicom, ValueError, OverflowError, struct.error):
                found = self._from_pydicom(tag)
        self._values[tag] = found
        return found

    def items(self, key):
        from .header import tag_of

        tag = tag_of(key)
        found = self._items.get(tag)
        if found is None:
            element = self._element(tag)
            found = []
            if element is not None and element[0] == "SQ":
                rows, r = self.file.rows, self.children()[tag]
                if rows[7 * r + LENGTH] and not rows[7 * r + FLAGS] & CONTAINER:  # pydicom's own parse of the bytes
                    found = list(self._dataset_header().items(tag))
                else:
                    child, end = r + 1, rows[7 * r + END]
                    while child < end:
                        found.append(ScannedHeader(self.file, child, self))
                        child = rows[7 * child + END]
            self._items[tag] = found
        return found

    def sequences(self):
        for tag in sorted(self.children()):
            found = self._element(tag)
            if found is not None and found[0] == "SQ":
                yield tag, self.items(tag)

    def walk(self):
        for tag in sorted(self.children()):
            found = self._element(tag)
            if found is None:  # pydicom cannot decode it either: absent, as DatasetHeader gives it
                continue
            vr, value = found
            yield tag, vr, value
            if vr == "SQ":
                for item in self.items(tag):
                    yield from item.walk()

    def _last_values(self):
        if self._last is None:
            self._last = {tag: value for tag, vr, value in self.walk() if vr not in ("SQ", "OB", "OW", "UN")}
        return self._last


_TEXT = frozenset({"LO", "SH", "UC", "LT", "ST", "UT", "PN"})
_UNREAD = object()
