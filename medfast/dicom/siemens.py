"""Siemens private headers: the CSA image and series headers, and the ASCII protocol ("Phoenix").

pydicom does not decode CSA headers (private tags (0029,xx10) and
(0029,xx20)); ``parse_csa`` reads their name/items table, checking every
length against the buffer, so a malformed header raises ``InvalidFileError``
instead of reading past its end. The protocol is the text between ``###
ASCCONV BEGIN`` and ``### ASCCONV END`` in the series header (or in
(0021,1019) of XA enhanced files); dcm2niix reads it line by line with
``key = value``, and so do ``protocol_int``, ``protocol_float`` and
``protocol_text``.
"""
from __future__ import annotations

import functools
import math
import re
import struct

from ..errors import MedfastError, file_error
from . import values

_MAX_TAGS = 1000
_MAX_ITEMS = 1000
_CSA_CREATOR = "SIEMENS CSA HEADER"
_PROTOCOL_TAGS = ((0x0029, 0x1020), (0x0021, 0x1019))


def parse_csa(raw, path=None):
    """Parse a Siemens CSA1 or CSA2 header into ``{name: [item strings]}``.

    Examples
    --------
    >>> import struct
    >>> item = b"36\\0\\0"
    >>> tag = b"NumberOfImagesInMosaic".ljust(64, b"\\0") + struct.pack("<i4siii", 1, b"US\\0\\0", 3, 1, 77)
    >>> tag += struct.pack("<4i", 4, 4, 77, 4) + item
    >>> raw = b"SV10\\4\\3\\2\\1" + struct.pack("<2I", 1, 77) + tag
    >>> parse_csa(raw)["NumberOfImagesInMosaic"]
    ['36']
    """
    raw = bytes(raw)
    csa2 = raw[:4] == b"SV10"
    pos = 8 if csa2 else 0
    if len(raw) < pos + 8:
        raise file_error(path, "CSA header", len(raw), "shorter than its 8-byte preamble")
    n_tags = struct.unpack_from("<I", raw, pos)[0]
    if not 0 < n_tags <= _MAX_TAGS:
        raise file_error(path, "CSA header", n_tags, f"tag count must be 1..{_MAX_TAGS}")
    pos += 8
    out = {}
    for _ in range(n_tags):
        if pos + 84 > len(raw):
            raise file_error(path, "CSA header", pos, "tag runs past the end of the header")
        name = raw[pos:pos + 64].split(b"\0", 1)[0].decode("latin-1")
        n_items = struct.unpack_from("<i", raw, pos + 76)[0]
        pos += 84
        if not 0 <= n_items <= _MAX_ITEMS:
            raise file_error(path, f"CSA {name}", n_items, f"item count must be 0..{_MAX_ITEMS}")
        items = []
        for _ in range(n_items):
            if pos + 16 > len(raw):
                raise file_error(path, f"CSA {name}", pos, "item runs past the end of the header")
            x0, x1 = struct.unpack_from("<2i", raw, pos)
            length = x1 if csa2 else x0
            pos += 16
            if length < 0 or pos + length > len(raw):
                raise file_error(path, f"CSA {name}", length, "item length runs past the end of the header")
            item = raw[pos:pos + length].split(b"\0", 1)[0].decode("latin-1").strip()
            if item:
                items.append(item)
            pos += (length + 3) // 4 * 4
        out[name] = items
    return out


def csa_image_header(header):
    """The CSA image header of a Siemens header as ``{name: [items]}`` (``{}`` when absent); shared, not to be changed."""
    for block in header.private_blocks(0x0029):
        creator = header.get((0x0029, block))
        if creator is not None and values.text(creator).strip().upper() == _CSA_CREATOR:
            raw = header.get((0x0029, (block << 8) | 0x10))
            if not raw:
                return {}
            if not isinstance(raw, bytes):
                raw = values.text(raw).encode("latin-1", "replace")
            return _parsed_csa(raw, header.path)
    return {}


@functools.lru_cache(maxsize=64)
def _parsed_csa(raw, path):
    # a file's CSA header is asked for by the reader, the sidecar, the slice timing, the gradients: parsed once
    # (the same bytes object each time, whose hash Python keeps); callers only read the dict and its lists
    return parse_csa(raw, path)


def csa_float(header, name):
    """The first item of a CSA image header field as a float; NaN when absent or malformed."""
    try:
        items = csa_image_header(header).get(name) or []
        return float(items[0]) if items else math.nan
    except (MedfastError, ValueError):
        return math.nan


def csa_items(header, name):
    """The items of a CSA image header field; ``[]`` when absent or when the header is malformed."""
    try:
        return csa_image_header(header).get(name) or []
    except MedfastError:
        return []


def protocol(header):
    """The ASCII protocol ("### ASCCONV BEGIN" ... "END") of a Siemens header, or ''.

    Looked for in the CSA series header (0029,1020), in (0021,1019) of XA
    files, then in the first item of each Shared Functional Groups sequence.
    """
    for tag in _PROTOCOL_TAGS:
        raw = header.get(tag)
        if raw is None or isinstance(raw, list):
            continue
        if not isinstance(raw, bytes):
            raw = values.text(raw).encode("latin-1", "replace")
        start = raw.find(b"### ASCCONV BEGIN")
        if start >= 0:
            end = raw.find(b"### ASCCONV END", start)
            return raw[start:end if end > 0 else None].decode("latin-1")
    shared = header.items("SharedFunctionalGroupsSequence")
    if shared:
        for _, items in shared[0].sequences():
            if items:
                found = protocol(items[0])
                if found:
                    return found
    return ""


def has_series_header(header):
    """True when a header holds a CSA series header ((0029,1020), or XA's (0021,1019)), with or without a protocol.

    dcm2niix writes its Siemens protocol keys whenever one is there (``MatrixCoilMode`` "None" without a protocol).
    """
    return any(header.get(tag) is not None and not isinstance(header.get(tag), list) for tag in _PROTOCOL_TAGS)


def _line(block, key):
    i = block.find(key)
    if i < 0:
        return None
    j = block.find("\n", i)
    return block[i + len(key):j if j >= 0 else None]


def protocol_int(block, key, missing=0):
    """An integer of the protocol as dcm2niix reads it: every digit on the line ("0x10" reads as 10).

    Examples
    --------
    >>> protocol_int("sSliceArray.ucMode = 0x4\\n", "sSliceArray.ucMode"), protocol_int("", "x", -1)
    (4, -1)
    """
    line = _line(block, key)
    if line is None:
        return missing
    digits = "".join(c for c in line if c.isdigit())
    return int(digits) if digits else 0


def protocol_float(block, key, missing=0.0):
    """A number of the protocol (digits, '.', '-' on the line); ``missing`` when the key is absent."""
    line = _line(block, key)
    if line is None:
        return missing
    number = "".join(c for c in line if c.isdigit() or c in ".-")
    try:
        return float(number)
    except ValueError:
        return missing


def protocol_text(block, key):
    """A quoted string of the protocol ('' when absent)."""
    line = _line(block, key)
    if line is None:
        return ""
    m = re.search(r'"+([^"]*)"', line)
    return m.group(1) if m else ""


def header_protocol_int(header, key):
    """An integer of a header's protocol (0 when absent)."""
    block = protocol(header)
    return protocol_int(block, key) if block else 0


def _pat_key(text, key):
    """The number after ``key`` in a PAT mode text, read as dcm2niix reads it (0 when it fails).

    dcm2niix blanks every character but the digits that follow ``key`` and
    parses the rest as one number: a value followed by anything else ("p2"
    in "p2s3") leaves trailing blanks and is refused, reading as 0.
    """
    kept, on = [], False
    for ch in text:
        if not (ch.isdigit() or ch == "."):
            on = ch == key
            kept.append(" ")
        else:
            kept.append(ch if on else " ")
    masked = "".join(kept)
    body = masked.lstrip(" ")
    if not body or body != body.rstrip(" ") or " " in body:
        return 0.0
    try:
        return float(body) if key == "p" else float(int(float(body)))
    except ValueError:
        return 0.0


def pat_mode(header):
    """(in-plane factor, slice (multiband) factor) from Siemens' PAT mode text, e.g. "p2" or "s4"; 0 where not read.

    The text is in (0021,1009) of XA files (in the functional groups of an
    enhanced one) and (0051,1011) of older ones; dcm2niix keeps what the
    later of the two says.

    Examples
    --------
    >>> from medfast.dicom.header import ValuesHeader
    >>> pat_mode(ValuesHeader({0x00511011: "p2"})), pat_mode(ValuesHeader({0x00211009: "p2s3"}))
    ((2.0, 0.0), (0.0, 3.0))
    """
    found = (0.0, 0.0)
    for tag in ((0x0021, 0x1009), (0x0051, 0x1011)):
        value = header.private(tag)
        if value is None:
            continue
        text = values.text(value)
        found = (_pat_key(text, "p"), _pat_key(text, "s"))
    return found


def is_no_rf(header):
    """True for Siemens' RF-off (noise) images: ImageTypeText (0021,1175) has the word NOISE (dcm2niix's isNoRF).

    Examples
    --------
    >>> from medfast.dicom.header import ValuesHeader
    >>> is_no_rf(ValuesHeader({0x00211175: ("NOISE", "ND")})), is_no_rf(ValuesHeader({0x00211175: "NOISELESS"}))
    (True, False)
    """
    return "NOISE" in values.words(header.private((0x0021, 0x1175)))


def is_xa(header):
    """True for Siemens XA software (XA10, XA11, XA20, XA30, XA31, XA5x, XA6x, XA7x), as dcm2niix's isXA."""
    version = values.text(header.get("SoftwareVersions"))
    return len(version) > 4 and any(tag in version for tag in ("XA10", "XA11", "XA20", "XA30", "XA31", "XA5", "XA6", "XA7"))
