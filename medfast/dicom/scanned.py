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

import bisect
import struct
import threading

import numpy as np

from .. import _kernels
from . import _dictionary
from .header import PER_FRAME, SHARED, Header, as_header, tag_of

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


# ---- the record: the values every file is asked for, decoded in one kernel call ------------------

_FLOATS, _INTEGERS, _SPLIT, _WHOLE, _ELSEWHERE, _FILE_VR = range(6)  # how the record holds a tag's value
_KINDS = {"DS": _FLOATS, "FL": _FLOATS, "FD": _FLOATS, "IS": _INTEGERS, "US": _INTEGERS, "SS": _INTEGERS,
          "UL": _INTEGERS, "SL": _INTEGERS, "AS": _SPLIT, "CS": _SPLIT, "DA": _SPLIT, "DT": _SPLIT, "TM": _SPLIT,
          "UI": _SPLIT, "LO": _SPLIT, "SH": _SPLIT, "LT": _WHOLE, "ST": _WHOLE, "UT": _WHOLE}
_WIDTH = 6  # numbers a tag may hold in the record (ImageOrientationPatient's six); more: decoded by _decode


class Record:
    """The public tags every file is asked for (grouping, sorting, geometry), decoded by one ``decode_values`` call.

    The kernel finds their rows in one pass over the top-level rows and
    decodes numbers and plain ASCII text; ``ScannedHeader.prime`` turns its
    output into the header's values, the values ``_decode`` would give. The
    rest (sequences, other text) is left to ``_decode``.

    Examples
    --------
    >>> record = Record(("Rows", "PixelSpacing", "Modality"))
    >>> [hex(t) for t in record.tags], record.first.tolist()
    (['0x80060', '0x280010', '0x280030'], [0, 0, 6, 12])
    """

    def __init__(self, keywords, ordered=True):
        tags = sorted({tag_of(k) for k in keywords}) if ordered else [tag_of(k) for k in keywords]
        names = [dictionary_vr(tag) for tag in tags]
        # a private tag: the VR the file gives (explicit VR files; pydicom's too but for UN)
        kinds = [_FILE_VR if (tag >> 16) & 1 else _KINDS.get(vr, _ELSEWHERE) for tag, vr in zip(tags, names)]
        widths = [_WIDTH if kind in (_FLOATS, _INTEGERS, _FILE_VR) else 0 for kind in kinds]
        self.tags = np.array(tags, np.int64)
        if any(kind == _ELSEWHERE and vr is None for kind, vr in zip(kinds, names)):
            raise ValueError("Record: a public tag without a VR in the dictionary")
        # a tag decoded elsewhere: UN, which the kernel never decodes (0 would read a mutated file's VR)
        self.vrs = np.array([0 if kind == _FILE_VR else int.from_bytes((vr if kind != _ELSEWHERE else "UN").encode(), "big")
                             for vr, kind in zip(names, kinds)], np.int64)
        self.first = np.concatenate([[0], np.cumsum(widths)]).astype(np.int64)
        self.entries = sum(kind in (_SPLIT, _WHOLE, _FILE_VR) for kind in kinds)  # text entries a record
        entry = iter(range(len(tags)))  # a tag's entry in the kernel's text (text VRs and the file's VR)
        # per tag: (tag, VR, where its value is: (first number, text entry) for the file's VR, how it is held)
        self.plan = [(tag, vr, (int(at), next(entry)) if kind == _FILE_VR else next(entry) if kind in (_SPLIT, _WHOLE)
                      else int(at), kind) for tag, vr, at, kind in zip(tags, names, self.first, kinds)]
        self.index = {tag: i for i, tag in enumerate(tags)}  # tag -> its place in plan and in decode's lists

    def decode(self, data, table, big_endian):
        """``(rows, counts, numbers, texts)`` as lists: the kernel's output for one file's header bytes and table."""
        n = len(self.plan)
        rows, counts, numbers = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(int(self.first[-1]))
        text = np.empty(len(data) + n, np.uint8)
        used = _kernels.decode_values(data, table, big_endian, self.tags, self.vrs, self.first, rows, counts, numbers,
                                      text)
        return rows.tolist(), counts.tolist(), numbers.tolist(), text[:used].tobytes().decode("ascii").split("\0")


class ItemsRecord:
    """Values read from the first item of sequences inside items (the functional groups of every frame) in one
    ``decode_items`` call: ``pairs`` of (sequence tag, tag), grouped by sequence.

    Examples
    --------
    >>> record = ItemsRecord([(0x00209113, 0x00200032), (0x00289110, 0x00280030), (0x00289110, 0x00180050)])
    >>> [(hex(seq), len(plan.plan)) for seq, _, plan in record.groups]
    [('0x209113', 1), ('0x289110', 2)]
    """

    class _Plan:
        __slots__ = ("plan", "index")

    def __init__(self, pairs):
        pairs = sorted(set(pairs))
        self.seqs = np.array([seq for seq, _ in pairs], np.int64)
        flat = Record([tag for _, tag in pairs], ordered=False)
        self.tags, self.vrs, self.first = np.array([tag for _, tag in pairs], np.int64), flat.vrs, flat.first
        self.entries = flat.entries
        self.groups = []  # (sequence tag, (first, last + 1) in pairs, the plan ScannedHeader.prime takes)
        for k, (seq, _) in enumerate(pairs):
            if not self.groups or self.groups[-1][0] != seq:
                self.groups.append((seq, [k, k], self._Plan()))
            self.groups[-1][1][1] = k + 1
        for _, (a, b), plan in self.groups:
            plan.plan = flat.plan[a:b]
            plan.index = {entry[0]: i for i, entry in enumerate(plan.plan)}

    def decode(self, data, table, big_endian, items):
        """``(seq_rows, rows, counts, numbers, texts)``: lists a row an item (texts: ``entries`` each)."""
        m, nk = len(items), len(self.tags)
        seq_rows, rows, counts = (np.empty((m, nk), np.int64) for _ in range(3))
        numbers, text = np.empty((m, int(self.first[-1]))), np.empty(len(data) + m * nk, np.uint8)
        used = _kernels.decode_items(data, table, big_endian, np.array(items, np.int64), self.seqs, self.tags,
                                     self.vrs, self.first, seq_rows, rows, counts, numbers, text)
        texts = text[:used].tobytes().decode("ascii").split("\0")
        e = self.entries
        return (seq_rows.tolist(), rows.tolist(), counts.tolist(), numbers.tolist(),
                [texts[i * e:(i + 1) * e] for i in range(m)])


_FRAMES = None  # the ItemsRecord of the functional groups (medfast.dicom.enhanced's), made at the first use


def _frame_record():
    global _FRAMES
    if _FRAMES is None:
        from . import enhanced

        pairs = [(tag_of(group), tag_of(keyword)) for group, keywords in enhanced._GROUPS.items() for keyword in keywords]
        classic = tag_of(enhanced._PHILIPS_PER_FRAME)
        pairs += [(classic, tag_of(k)) for k in (*enhanced._PHILIPS_CLASSIC, *enhanced._PHILIPS_PRIVATE.values())]
        _FRAMES = ItemsRecord(pairs)
    return _FRAMES


# ---- the header -------------------------------------------------------------------------------

class ScannedFile:
    """One file's header bytes and element table, shared by its ``ScannedHeader`` and those of its items.

    ``rows`` is the table as a flat int64 memoryview, cell (r, c) at ``7 * r + c``:
    indexing it makes one int, where converting the table to lists made thousands.
    """

    __slots__ = ("path", "data", "rows", "little", "parsed", "lock", "_row_order")

    def __init__(self, path, data, rows, little):
        self.path, self.data, self.rows, self.little = path, data, rows, little
        self.parsed = None  # pydicom's parse, read when a value needs it
        self.lock = threading.Lock()
        self._row_order = None

    def walk_is_row_order(self):
        """True when ``ScannedHeader.walk`` meets the elements in the order of the table's rows.

        That is: explicit VR (no VR from a dictionary), the tags of every
        level strictly ascending (the walk sorts them, and keeps one of a
        repeated tag), no UN (it may turn out a sequence pydicom parses) and
        no sequence whose items were left to pydicom.
        """
        if self._row_order is None:
            table = np.frombuffer(self.rows, np.int64).reshape(-1, 7)
            n = len(table)
            flags, vr, nxt = table[:, FLAGS], table[:, VR], table[:, END]
            has_next = (nxt < n) & ~(flags & ITEM).astype(bool)
            has_next[has_next] = table[nxt[has_next], PARENT] == table[has_next, PARENT]
            self._row_order = bool(
                not (flags & IMPLICIT).any() and not (vr == _VR_UN).any()
                and not ((vr == _VR_SQ) & ~(flags & CONTAINER).astype(bool) & (table[:, LENGTH] > 0)).any()
                and (table[nxt[has_next], TAG] > table[has_next, TAG]).all())
        return self._row_order

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

    __slots__ = ("file", "row", "parent", "_children", "_primed", "_values", "_items", "_encoding", "_last")

    def __init__(self, file, row=-1, parent=None, children=None):
        super().__init__(file.path)
        self.file, self.row, self.parent = file, row, parent
        self._children = children  # tag -> row, the last of a repeated tag (as pydicom keeps it)
        self._primed = None  # a record's decoded output (``prime``): its tags' values, made when asked
        self._values = {}
        self._items = {}
        self._encoding = False  # not looked up yet
        self._last = None

    # ---- the table --------------------------------------------------------------------------

    def children(self):
        """tag -> row of this data set's elements."""
        if self._children is None and self.row < 0:  # the data set: its rows are those without a parent
            table = np.frombuffer(self.file.rows, np.int64).reshape(-1, 7)
            top = np.flatnonzero(table[:, PARENT] == -1)
            self._children = dict(zip(table[top, TAG].tolist(), top.tolist()))
        if self._children is None:
            rows, found = self.file.rows, {}
            r, end = self.row + 1, rows[7 * self.row + END] if self.row >= 0 else len(rows) // 7
            while r < end:
                found[rows[7 * r + TAG]] = r
                r = rows[7 * r + END]
            self._children = found
        return self._children

    def private_blocks(self, group):
        # the data set's own tags, instead of asking for each of the 240 possible creators
        low, high = (group << 16) | 0x10, (group << 16) | 0xFF
        return sorted(tag & 0xFF for tag in self.children() if low <= tag <= high)

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
            self._encoding = None  # while its own value is read (a text VR asks again): ASCII only
            if self._element(_SPECIFIC_CHARACTER_SET) is not None:
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

    def prime(self, record, rows, counts, numbers, texts):
        """Keep ``record``'s decoded output (``Record.decode``'s lists): a tag's value is made when first asked.

        Most of a record's tags are never asked of a given file; making all
        of them up front was the largest cost of reading a header.
        """
        self._primed = (record.index, record.plan, rows, counts, numbers, texts)

    def _from_record(self, tag):
        """The record's answer for ``tag``: ``(vr, value)``, None when absent, the row (an int) of a value it
        left undecoded, or ``_UNREAD`` when the tag is not in the record."""
        index, plan, rows, counts, numbers, texts = self._primed
        i = index.get(tag)
        if i is None:
            return _UNREAD
        row, count = rows[i], counts[i]
        if row < 0:
            return None
        _, vr, at, kind = plan[i]
        if kind == _FILE_VR and count >= 0:  # decoded as the VR in the file says
            vr = VR_NAMES[self.file.rows[7 * row + VR]]
            kind = _KINDS[vr]
            at = at[1] if kind >= _SPLIT else at[0]
        if count == 1:
            value = texts[at] if kind >= _SPLIT else numbers[at]
            return vr, int(value) if kind == _INTEGERS else value
        if count > 1:
            if kind == _SPLIT:
                return vr, tuple(texts[at].split("\\"))
            values = numbers[at:at + count]
            return vr, tuple(map(int, values)) if kind == _INTEGERS else tuple(values)
        if count == 0:
            return vr, EMPTY[vr]
        return row

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

    def get(self, key, default=None):  # Header.get with the decoded values looked at first: the rules' hot path
        tag = key if key.__class__ is int else tag_of(key)
        found = self._values.get(tag, _UNREAD)
        if found is _UNREAD:
            found = self._element(tag)
        if found is None:
            return default
        return self.items(tag) if found[0] == "SQ" else found[1]

    def __contains__(self, key):
        tag = key if key.__class__ is int else tag_of(key)
        found = self._values.get(tag, _UNREAD)
        return (self._element(tag) if found is _UNREAD else found) is not None

    def _element(self, tag):
        found = self._values.get(tag, _UNREAD)
        if found is not _UNREAD:
            return found
        r = None
        if self._primed is not None:
            found = self._from_record(tag)
            if found.__class__ is int:
                r = found
            elif found is not _UNREAD:
                self._values[tag] = found
                return found
        if r is None:
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
        tag = tag_of(key)
        found = self._items.get(tag)
        if found is None:
            element = self._element(tag)
            found = []
            if element is not None and element[0] == "SQ":
                rows, r = self.file.rows, self._row_of(tag)
                if rows[7 * r + LENGTH] and not rows[7 * r + FLAGS] & CONTAINER:  # pydicom's own parse of the bytes
                    found = list(self._dataset_header().items(tag))
                else:
                    child, end = r + 1, rows[7 * r + END]
                    while child < end:
                        found.append(ScannedHeader(self.file, child, self))
                        child = rows[7 * child + END]
                    if self.row < 0 and tag in (PER_FRAME, SHARED) and found:
                        self._prime_groups(found)
            self._items[tag] = found
        return found

    def _row_of(self, tag):
        r = self._from_record(tag) if self._primed is not None else None
        return r if r.__class__ is int else self.children()[tag]

    def _prime_groups(self, frames):
        """Decode the functional groups' values of every frame item in one kernel call (``_frame_record``).

        Each group sequence found gets its items, the first one its values;
        a group absent from a frame is known absent; the rest stays lazy.
        """
        record, file = _frame_record(), self.file
        rows, big = file.rows, not file.little
        table = np.frombuffer(rows, np.int64).reshape(-1, 7)
        seq_rows, value_rows, counts, numbers, texts = record.decode(file.data, table, big, [f.row for f in frames])
        for frame, seqs, found, count, values, text in zip(frames, seq_rows, value_rows, counts, numbers, texts):
            for seq_tag, (a, _), plan in record.groups:
                s = seqs[a]
                if s < 0:
                    frame._values[seq_tag] = None
                    continue
                code, flags = rows[7 * s + VR], rows[7 * s + FLAGS]
                if not flags & CONTAINER or not (code == _VR_SQ or flags & IMPLICIT and dictionary_vr(seq_tag) == "SQ"):
                    continue  # a UN, a private tag of an implicit file, bytes pydicom parses: left to _element
                frame._values[seq_tag] = ("SQ", None)
                items, child, end = [], s + 1, rows[7 * s + END]
                while child < end:
                    items.append(ScannedHeader(file, child, frame))
                    child = rows[7 * child + END]
                frame._items[seq_tag] = items
                if items:
                    items[0].prime(plan, found[a:a + len(plan.plan)], count[a:a + len(plan.plan)], values, text)

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
            self._last = {tag: value for tag, vr, value in self.walk() if vr not in _NOT_LAST}
        return self._last

    def last(self, keyword):
        """``Header.last`` without decoding the whole file: the rows of the tag, from the end, as the walk meets them.

        Where the walk's order is the rows' order (explicit VR, every level's
        tags ascending, every sequence indexed here), the last row that the
        walk reaches and that decodes is the answer; otherwise the walk runs.
        """
        tag = tag_of(keyword)
        if self._last is None and self.row < 0 and self.file.walk_is_row_order():
            table = np.frombuffer(self.file.rows, np.int64).reshape(-1, 7)
            for r in np.flatnonzero(table[:, TAG] == tag)[::-1].tolist():
                owner = self._reached(int(table[r, PARENT]))
                found = None if owner is None or owner.children().get(tag) != r else owner._element(tag)
                if found is not None and found[0] not in _NOT_LAST:
                    return found[1]
            return None
        return self._last_values().get(tag)

    def in_order(self, keywords):
        """``Header.in_order`` without decoding the whole file: the rows of the tags, in order, as the walk meets them.

        Where the walk's order is the rows' order (``last``), the rows of the
        tags inside this data set or item that the walk reaches and that
        decode are the answer; otherwise the walk runs.
        """
        if not self.file.walk_is_row_order():
            return super().in_order(keywords)
        wanted = [tag_of(k) for k in keywords]
        table = np.frombuffer(self.file.rows, np.int64).reshape(-1, 7)
        first, end = (0, len(table)) if self.row < 0 else (self.row + 1, int(table[self.row, END]))
        inside = table[first:end]
        found = []
        for r in (first + np.flatnonzero(np.isin(inside[:, TAG], wanted))).tolist():
            tag = int(table[r, TAG])
            owner = self._reached(int(table[r, PARENT]))
            element = None if owner is None or owner.children().get(tag) != r else owner._element(tag)
            if element is not None:
                found.append((tag, element[1]))
        return found

    def _reached(self, row):
        """The header the walk gives the item at ``row`` (this one's row: itself), or None when the walk does not get there."""
        if row == self.row:
            return self
        if row < 0:  # above this item
            return None
        rows = self.file.rows
        seq = rows[7 * row + PARENT]
        owner = self._reached(rows[7 * seq + PARENT])
        if owner is None or owner.children().get(rows[7 * seq + TAG]) != seq:
            return None
        found = owner._element(rows[7 * seq + TAG])
        if found is None or found[0] != "SQ":
            return None
        items = owner.items(rows[7 * seq + TAG])
        # ScannedHeader items come in row order (walk_is_row_order leaves out items pydicom parsed): a bisection,
        # not a scan, or asking for a tag of every frame of a 4,000-frame file would cost 8 million steps
        k = bisect.bisect_left(items, row, key=_row_of_item)
        return items[k] if k < len(items) and _row_of_item(items[k]) == row else None


def _row_of_item(item):
    return getattr(item, "row", -1)


_TEXT = frozenset({"LO", "SH", "UC", "LT", "ST", "UT", "PN"})
_NOT_LAST = ("SQ", "OB", "OW", "UN")  # values dcm2niix's flat parse does not keep (Header.last)
_VR_SQ, _VR_UN = 0x5351, 0x554E
_UNREAD = object()
