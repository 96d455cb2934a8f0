"""Compare ScannedHeader with DatasetHeader on one file: every value, every nesting, the search rules."""
from __future__ import annotations

import math
import warnings

import pydicom

from medfast.dicom.header import DatasetHeader
from medfast.dicom.scan import NotPart10, read_header


def same(ours, theirs):
    """Equal values of equal plain types (NaN equals NaN)."""
    if isinstance(theirs, tuple):
        return isinstance(ours, tuple) and len(ours) == len(theirs) and all(map(same, ours, theirs))
    if isinstance(theirs, list):  # items
        return isinstance(ours, list) and len(ours) == len(theirs)
    if isinstance(theirs, float) and math.isnan(theirs):
        return isinstance(ours, float) and math.isnan(ours)
    return type(ours) is type(theirs) and ours == theirs


def differences(path):
    """What differs between the scan's header and pydicom's for ``path``: a list of strings; None if not Part 10."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            found = read_header(path)
        except NotPart10:
            return None
        except Exception as err:  # noqa: BLE001 - pydicom must refuse it too
            try:
                pydicom.dcmread(path, stop_before_pixels=True)
            except Exception:  # noqa: BLE001
                return []
            return [f"scan raised {err!r}, pydicom reads it"]
        ours = found.header
        theirs = DatasetHeader(pydicom.dcmread(path, stop_before_pixels=True), str(path))
        out = []
        for tag, got in dict(getattr(ours, "_values", {})).items():  # the record's values, decoded as the file was read
            want = theirs._element(tag)
            if (got is None) != (want is None) or got is not None and (got[0] != want[0] or not same(got[1], want[1])):
                out.append(f"record {tag:08X}: {got!r:.100} != {want!r:.100}")
        a, b = list(ours.walk()), list(theirs.walk())
        if len(a) != len(b):
            out.append(f"walk: {len(a)} elements, pydicom {len(b)}")
        for x, y in zip(a, b):
            if x[:2] != y[:2] or not same(x[2], y[2]):
                out.append(f"walk: {x!r:.200} != {y!r:.200}")
                break
        tags = sorted({t for t, _, _ in b})
        for tag in tags:
            for name, args in (("find", (tag,)), ("private", (tag,)), ("last", (tag,)), ("vr", (tag,)),
                               ("find0", (tag, 0)), ("private0", (tag, 0))):
                method = getattr(ours, name.rstrip("0"))
                got, want = method(*args), getattr(theirs, name.rstrip("0"))(*args)
                if isinstance(want, list):
                    got, want = len(got) if isinstance(got, list) else got, len(want)
                if name == "vr" and got == want:  # pydicom's VR may be its str enum
                    continue
                if not same(got, want):
                    out.append(f"{name}({tag:08X}): {got!r:.100} != {want!r:.100}")
        if [t for t, _ in ours.sequences()] != [t for t, _ in theirs.sequences()]:
            out.append("sequences differ")
        if len(ours.frames()) != len(theirs.frames()):
            out.append("frames differ")
        return out
