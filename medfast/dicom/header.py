"""One DICOM data set as medfast's rules see it: plain values, sequences as lists of headers.

Every rule that looks at a DICOM header (grouping, geometry, vendor private
tags, the dcm2niix sidecar, names, slice timing, gradients) goes through this
small interface and nothing else, so the header may come from pydicom
(``DatasetHeader``) or from medfast's own scan of the file's bytes, and the
rules cannot tell the difference.

Values are plain Python types equal to what pydicom gives for the same
element: DS ``float``, IS ``int``, strings ``str`` (stripped as pydicom strips
them), binary numbers ``int``/``float``, several values a ``tuple``, binary
data ``bytes``, a sequence a ``list`` of headers; an empty element gives
pydicom's empty value (``None``, or ``''`` for text).

A subclass implements the primitives (``_element``, ``items``,
``sequences``, ``walk``); the search rules dcm2niix applies (``find``,
``private``, ``last``) are defined once, here.
"""
from __future__ import annotations

import functools

#: Functional group sequences of enhanced multi-frame files.
PER_FRAME = 0x52009230
SHARED = 0x52009229
_PHILIPS_CLASSIC = 0x2005140F  # Philips repeats a classic header per frame here
_REAL_WORLD_MAPPING = 0x00409096
_MISSING = object()


@functools.lru_cache(maxsize=4096)
def tag_of(key):
    """A tag as an int from a keyword, an int or a ``(group, element)`` pair.

    Examples
    --------
    >>> hex(tag_of("PixelSpacing")), hex(tag_of((0x0019, 0x10BB))), tag_of(0x00280030) == tag_of("PixelSpacing")
    ('0x280030', '0x1910bb', True)
    """
    if key.__class__ is int:
        return key
    tag = _TAGS.get(key) if key.__class__ in (str, tuple) else None
    if tag is not None:  # the rules ask for the same few keywords of every file
        return tag
    if isinstance(key, int):
        return key
    if isinstance(key, tuple):
        tag = (key[0] << 16) | key[1]
    else:
        from ._dictionary import KEYWORDS  # pydicom's keywords, without importing pydicom

        tag = KEYWORDS.get(key)
        if tag is None:
            raise KeyError(f"{key!r} is not a DICOM keyword")
    if key.__class__ in (str, tuple):
        _TAGS[key] = tag
    return tag


_TAGS = {}  # keyword or (group, element) -> tag, as tag_of found it


def plain(value):
    """pydicom's value as the plain types headers give (MultiValue -> tuple, DSfloat -> float ...).

    Examples
    --------
    >>> from pydicom.valuerep import DSfloat, IS
    >>> plain([DSfloat("1.5"), DSfloat("2")]), plain(IS("3")), plain(None)
    ((1.5, 2.0), 3, None)
    """
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        return tuple(plain(v) for v in value)
    if value is None:
        return None
    for kind in (bool, int, float, str, bytes):
        if isinstance(value, kind):
            return kind(value)
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    return str(value)  # PersonName, UID


class Header:
    """The rules' view of one data set. Subclasses give the primitives; see the module docstring."""

    __slots__ = ("path", "__weakref__")

    def __init__(self, path=None):
        self.path = path

    # ---- primitives -------------------------------------------------------------------------------

    def _element(self, tag):
        """``(vr, plain value)`` of a top-level element, or None when absent."""
        raise NotImplementedError

    def items(self, key):
        """The items (headers) of a top-level sequence; ``[]`` when absent or empty."""
        raise NotImplementedError

    def sequences(self):
        """``(tag, items)`` of each top-level sequence, in file order."""
        raise NotImplementedError

    def walk(self):
        """``(tag, vr, value)`` of every element in file order, nested ones too (dcm2niix's flat parse)."""
        raise NotImplementedError

    # ---- values -----------------------------------------------------------------------------------

    def get(self, key, default=None):
        """A top-level element's value (keyword, tag or (group, element)); ``default`` when absent.

        A sequence gives its items; binary data gives ``bytes``.
        """
        found = self._element(tag_of(key))
        if found is None:
            return default
        vr, value = found
        return self.items(key) if vr == "SQ" else value

    def __contains__(self, key):
        return self._element(tag_of(key)) is not None

    def vr(self, key):
        """The VR of a top-level element ('' when absent)."""
        found = self._element(tag_of(key))
        return "" if found is None else found[0]

    def private_blocks(self, group):
        """The blocks (0x10-0xFF) of ``group`` that may hold a private creator at this level, ascending.

        Examples
        --------
        >>> import pydicom
        >>> ds = pydicom.Dataset()
        >>> ds.add_new(0x00290011, "LO", "SIEMENS CSA HEADER")
        >>> DatasetHeader(ds).private_blocks(0x0029)
        [17]
        """
        return [block for block in range(0x10, 0x100) if ((group << 16) | block) in self]

    def raw(self, key):
        """A top-level element's value when it is binary data (CSA headers, GE's protocol block), else None."""
        value = self.get(key)
        return value if isinstance(value, bytes) else None

    # ---- dcm2niix's search rules ----------------------------------------------------------------

    def frames(self):
        """The Per-frame Functional Groups items of an enhanced file (``[]`` for a classic file)."""
        return self.items(PER_FRAME)

    def find(self, keyword, frame=None):
        """A value as dcm2niix finds it: top level, else inside the functional groups.

        With ``frame``, the per-frame item of that frame is searched first
        (the first item of each of its sequences). Then the top level, then
        the first item of each sequence in the Shared and the first
        Per-frame Functional Groups items, then Philips' per-frame classic
        header (2005,140F) and the Real World Value Mapping sequence.

        Examples
        --------
        >>> import pydicom
        >>> ds, group, item = pydicom.Dataset(), pydicom.Dataset(), pydicom.Dataset()
        >>> item.InPlanePhaseEncodingDirection = "ROW"
        >>> group.MRFOVGeometrySequence = [item]
        >>> ds.SharedFunctionalGroupsSequence = [group]
        >>> DatasetHeader(ds).find("InPlanePhaseEncodingDirection")
        'ROW'
        """
        tag = tag_of(keyword)
        if frame is not None:
            per_frame = self.frames()
            if 0 <= frame < len(per_frame):
                value = _in_first_items(per_frame[frame], tag)
                if value is not _MISSING:
                    return value
        value = self.get(tag)
        if value not in (None, ""):
            return value
        for groups in (SHARED, PER_FRAME):
            first = self.items(groups)
            if first:
                value = _in_first_items(first[0], tag)
                if value is not _MISSING:
                    return value
        for holder in (_PHILIPS_CLASSIC, _REAL_WORLD_MAPPING):
            first = self.items(holder) if self.vr(holder) == "SQ" else []
            if first and tag in first[0]:
                return first[0].get(tag)
        return None

    def private(self, tag, frame=None, nested=True):
        """A (private) element's non-binary value at the top level, else in the functional groups.

        With ``nested``, the Per-frame item of ``frame`` (default the first),
        then the Shared item, are searched in the first item of each of their
        sequences. Binary values (bytes) and sequences count as absent:
        dcm2niix reads these tags as numbers or text.
        """
        tag = tag_of(tag)
        value = self.get(tag)
        if value is not None and not isinstance(value, (bytes, list)):
            return value
        if not nested:
            return None
        for groups in (PER_FRAME, SHARED):
            seq = self.items(groups)
            if not seq:
                continue
            index = frame if groups == PER_FRAME and frame is not None and 0 <= frame < len(seq) else 0
            for _, items in seq[index].sequences():
                if items:
                    value = items[0].get(tag)
                    if value is not None and not isinstance(value, (bytes, list)):
                        return value
        return None

    def occurrences(self, keywords):
        """``{tag: [values]}``: every value of the tags of ``keywords`` as ``walk`` meets them, nested ones too.

        Examples
        --------
        >>> import pydicom
        >>> ds, item = pydicom.Dataset(), pydicom.Dataset()
        >>> item.ImageType, ds.ImageType = ["DERIVED", "PRIMARY"], ["ORIGINAL", "PRIMARY"]
        >>> ds.ReferencedImageSequence = [item]
        >>> DatasetHeader(ds).occurrences(["ImageType"])[0x00080008]
        [('ORIGINAL', 'PRIMARY'), ('DERIVED', 'PRIMARY')]
        """
        found = {tag_of(k): [] for k in keywords}
        for tag, value in self.in_order(keywords):
            found[tag].append(value)
        return found

    def in_order(self, keywords):
        """``[(tag, value)]``: the values of the tags of ``keywords`` in the order ``walk`` meets them, nested ones too.

        Examples
        --------
        >>> import pydicom
        >>> ds = pydicom.Dataset()
        >>> ds.EchoTime, ds.InstanceNumber = 4.5, 2
        >>> DatasetHeader(ds).in_order(["InstanceNumber", "EchoTime"])
        [(1572993, 4.5), (2097171, 2)]
        """
        wanted = {tag_of(k) for k in keywords}
        return [(tag, value) for tag, _, value in self.walk() if tag in wanted]

    def last(self, keyword):
        """The last value of ``keyword`` anywhere in the file, nested or not: what dcm2niix's flat parse keeps."""
        return self._last_values().get(tag_of(keyword))

    def _last_values(self):
        raise NotImplementedError


def _in_first_items(item, tag):
    """The value of ``tag`` in the first item of one of ``item``'s sequences, or _MISSING."""
    for _, items in item.sequences():
        if items and tag in items[0]:
            return items[0].get(tag)
    return _MISSING


class DatasetHeader(Header):
    """A ``Header`` over a pydicom Dataset (the parser of record).

    Examples
    --------
    >>> from pydicom.data import get_testdata_file
    >>> import pydicom
    >>> h = DatasetHeader(pydicom.dcmread(get_testdata_file("CT_small.dcm")))
    >>> h.get("PixelSpacing"), h.get("Rows"), "EchoTime" in h
    ((0.661468, 0.661468), 128, False)
    """

    __slots__ = ("dataset", "_items", "_last")

    def __init__(self, dataset, path=None):
        super().__init__(path if path is not None else getattr(dataset, "filename", None))
        self.dataset = dataset
        self._items = {}
        self._last = None

    def _element(self, tag):
        try:
            elem = self.dataset[tag] if tag in self.dataset else None
        except Exception:  # noqa: BLE001 - pydicom decodes lazily; a broken value reads as absent here
            return None
        if elem is None:
            return None
        if elem.VR == "SQ":
            return "SQ", None
        return elem.VR, plain(elem.value)

    def items(self, key):
        tag = tag_of(key)
        found = self._items.get(tag)
        if found is None:
            try:
                elem = self.dataset.get(tag)
            except Exception:  # noqa: BLE001 - as in _element: a broken value reads as absent
                elem = None
            seq = elem.value if elem is not None and elem.VR == "SQ" else ()
            # a sequence pydicom could not parse keeps its raw value, or text values on a second look: no items
            found = self._items[tag] = [DatasetHeader(item, self.path) for item in seq or () if hasattr(item, "keys")]
        return found

    def sequences(self):
        for tag in sorted(self.dataset.keys()):
            found = self._element(int(tag))
            if found is not None and found[0] == "SQ":
                yield int(tag), self.items(int(tag))

    def walk(self):
        for tag in sorted(self.dataset.keys()):
            found = self._element(int(tag))
            if found is None:  # a value pydicom cannot decode reads as absent, as in _element
                continue
            yield int(tag), found[0], found[1]
            if found[0] == "SQ":
                for item in self.items(int(tag)):
                    yield from item.walk()

    def _last_values(self):
        if self._last is None:
            self._last = {tag: value for tag, vr, value in self.walk() if vr not in ("SQ", "OB", "OW", "UN")}
        return self._last


class ValuesHeader(Header):
    """A ``Header`` over a mapping keyword -> plain value (a fast scan's few top-level tags).

    Examples
    --------
    >>> h = ValuesHeader({"Rows": 4, "Manufacturer": "GE"})
    >>> h.get("Rows"), h.find("Manufacturer"), h.items("PerFrameFunctionalGroupsSequence")
    (4, 'GE', [])
    """

    __slots__ = ("values", "_by_tag")

    def __init__(self, values, path=None):
        super().__init__(path)
        self.values = values
        self._by_tag = {tag_of(k): v for k, v in values.items()}

    def _element(self, tag):
        if tag not in self._by_tag:
            return None
        return "", self._by_tag[tag]

    def items(self, key):
        return []

    def sequences(self):
        return iter(())

    def walk(self):
        return ((tag, "", value) for tag, value in self._by_tag.items())

    def _last_values(self):
        return self._by_tag


class HidingHeader(Header):
    """Another header with some elements hidden at every level: what dcm2niix does not read under an option.

    Examples
    --------
    >>> h = HidingHeader(ValuesHeader({"TriggerTime": 40.0, "Rows": 4}), {tag_of("TriggerTime")})
    >>> h.get("TriggerTime"), h.get("Rows"), "TriggerTime" in h
    (None, 4, False)
    """

    __slots__ = ("header", "hidden")

    def __init__(self, header, hidden):
        super().__init__(header.path)
        self.header, self.hidden = header, frozenset(hidden)

    def _element(self, tag):
        return None if tag in self.hidden else self.header._element(tag)

    def items(self, key):
        tag = tag_of(key)
        return [] if tag in self.hidden else [HidingHeader(item, self.hidden) for item in self.header.items(tag)]

    def sequences(self):
        return ((tag, [HidingHeader(item, self.hidden) for item in items])
                for tag, items in self.header.sequences() if tag not in self.hidden)

    def walk(self):
        return (found for found in self.header.walk() if found[0] not in self.hidden)

    def _last_values(self):
        return {tag: value for tag, value in self.header._last_values().items() if tag not in self.hidden}


def as_header(obj, path=None):
    """A ``Header`` from a header, a pydicom Dataset, a mapping keyword -> value, or None (empty).

    Examples
    --------
    >>> as_header({"Rows": 2}).get("Rows"), as_header(None).get("Rows")
    (2, None)
    """
    if isinstance(obj, Header):
        return obj
    if obj is None:
        return ValuesHeader({}, path)
    if isinstance(obj, dict):
        return ValuesHeader(obj, path)
    return DatasetHeader(obj, path)
