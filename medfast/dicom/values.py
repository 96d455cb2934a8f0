"""DICOM value helpers: the one place where header values become text, numbers and lists.

Header values arrive as the plain types of ``medfast.dicom.header`` (str,
int, float, bytes, tuples of them, or None). These helpers never raise on odd
values, except ``required_floats``, which names the file and the field.
"""
from __future__ import annotations

import math
import re

from ..errors import file_error


def is_multi(value):
    """True for several values (a tuple, a list, or pydicom's MultiValue)."""
    cls = value.__class__
    found = _MULTI.get(cls)
    if found is None:  # the rules ask this of every value they read: the answer is kept a type
        found = _MULTI[cls] = issubclass(cls, (list, tuple)) or cls.__name__ == "MultiValue"
    return found


_MULTI = {}


def strings(value):
    """Each value as a str: ``[]`` for None, one item for a single value.

    Examples
    --------
    >>> strings(("ORIGINAL", "PRIMARY")), strings("DERIVED"), strings(None)
    (['ORIGINAL', 'PRIMARY'], ['DERIVED'], [])
    """
    if value is None or value == "":
        return []
    return [str(v) for v in value] if is_multi(value) else [str(value)]


def text(value):
    r"""A value as dcm2niix prints it: '' for None, several values joined by '\', trailing blanks and NULs cut.

    Examples
    --------
    >>> text(None), text(("ORIGINAL", "PRIMARY")), text("T1 \x00"), text(3)
    ('', 'ORIGINAL\\PRIMARY', 'T1', '3')
    """
    if value is None:
        return ""
    if is_multi(value):
        return "\\".join(str(v) for v in value)
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    return str(value).rstrip(" \0")


def number(value, default=math.nan):
    """A value as a float (the first of several); ``default`` when absent or not a number.

    Examples
    --------
    >>> number("2.5"), number((3, 4)), number(None), number("x", 0.0)
    (2.5, 3.0, nan, 0.0)
    """
    if is_multi(value):
        value = value[0] if len(value) else None
    if value is None or value == "":
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def atof(value):
    """C's ``atof`` on a value's text, as dcm2niix reads numbers: the leading number, 0 when there is none.

    Examples
    --------
    >>> atof("670.5abc"), atof(" -2e1x"), atof("x"), atof(None)
    (670.5, -20.0, 0.0, 0.0)
    """
    import re

    m = re.match(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text(value))
    return float(m.group(0)) if m else 0.0


def integer(value, default=None):
    """A value as an int (through float: "3.0" is 3); ``default`` when absent or not a number.

    Examples
    --------
    >>> integer("3.0"), integer(7), integer(""), integer("x", 0)
    (3, 7, None, 0)
    """
    x = number(value)
    if not math.isfinite(x):
        return default
    return int(x)


def floats(value):
    """Every value as a float: ``[]`` for None, binary data or anything not numeric.

    Examples
    --------
    >>> floats((1, "2.5")), floats(4), floats(None), floats(b"\\x00")
    ([1.0, 2.5], [4.0], [], [])
    """
    if value is None or isinstance(value, (bytes, bytearray)):
        return []
    items = value if is_multi(value) else str(value).split("\\") if isinstance(value, str) else [value]
    try:
        return [float(v) for v in items]
    except (TypeError, ValueError):
        return []


def required_floats(value, n, path, field):
    """Exactly ``n`` finite numbers, else ``InvalidFileError`` naming the file and the field.

    Examples
    --------
    >>> required_floats((1, 0, 0, 0, 1, 0), 6, "a.dcm", "ImageOrientationPatient")
    [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    """
    if value is None or value == "":
        raise file_error(path, field, None, "missing")
    out = floats(value)
    if not out and value not in ((), []):
        raise file_error(path, field, value, "not numbers")
    if len(out) != n or not all(math.isfinite(v) for v in out):
        raise file_error(path, field, value, f"must be {n} finite numbers")
    return out


def words(value):
    r"""The words of a multi-valued code string, split at backslashes and underscores.

    Examples
    --------
    >>> words(("ORIGINAL", "PRIMARY", "M_ND")), words("EP\\SE")
    (['ORIGINAL', 'PRIMARY', 'M', 'ND'], ['EP', 'SE'])
    """
    items = value if is_multi(value) else str(value or "").split("\\")
    return [w for v in items for w in str(v).split("_") if w]


def seconds(tm):
    """DICOM TM 'HHMMSS.frac' (or a DT's time part) in seconds of the day; None when absent.

    Examples
    --------
    >>> seconds("101530.5"), seconds("20200102101530"), seconds("")
    (36930.5, 36930.0, None)
    """
    value = str(tm or "").strip()
    if len(value) > 13 and value[:8].isdigit():  # DT: YYYYMMDDHHMMSS...
        value = value[8:]
    if len(value) < 2:
        return None
    try:
        return int(value[0:2]) * 3600 + int(value[2:4] or 0) * 60 + float(value[4:] or 0)
    except ValueError:
        return None


def dcm_str(value, size=66):
    r"""A DICOM string as dcm2niix holds it: values joined by backslashes, cut to fit its buffer of ``size``
    bytes (66 for most strings, 256 for the long ones): ``size - 1`` characters, two fewer when the last kept
    one would be '_'.

    Examples
    --------
    >>> dcm_str(["a", "b"]), len(dcm_str("x" * 80)), len(dcm_str("x" * 64 + "_" + "z" * 9))
    ('a\\b', 65, 63)
    """
    out = text(value)
    if len(out) >= size:
        out = out[:size - 3] if out[size - 2] == "_" else out[:size - 1]
    return out



def leading_int(value):
    """The integer a text starts with, as C's atoi reads it (0 when none).

    Examples
    --------
    >>> leading_int(" 045Y"), leading_int("5.7.1"), leading_int("R5"), leading_int(None)
    (45, 5, 0, 0)
    """
    found = re.match(r"\s*([+-]?\d+)", text(value))
    return int(found.group(1)) if found else 0



def round_half_away(x):
    """C's round(): the nearest integer, halves away from zero.

    Examples
    --------
    >>> round_half_away(2.5), round_half_away(-2.5), round_half_away(2.4)
    (3, -3, 2)
    """
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


# first two letters of Manufacturer (0008,0070) -> the vendor, as dcm2niix's dcmStrManufacturer
VENDORS = {"SI": "Siemens", "CP": "Siemens", "GE": "GE", "PH": "Philips", "TO": "Toshiba", "CA": "Canon",
           "UI": "UIH", "BR": "Bruker", "HI": "Hitachi", "ME": "Mediso", "MR": "MRSolutions", "HY": "Hyperfine",
           "LE": "Leica"}


def vendor_key(manufacturer):
    """The two-letter vendor key dcm2niix derives from Manufacturer, or '' when unknown.

    Examples
    --------
    >>> vendor_key("SIEMENS"), vendor_key("Philips Medical Systems"), vendor_key("Acme")
    ('SI', 'PH', '')
    """
    key = text(manufacturer)[:2].upper()
    return key if key in VENDORS else ""
