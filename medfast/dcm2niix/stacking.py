"""dcm2niix's lines about images of one series it does not stack together (its ``isSameSet``).

Once dcm2niix has sorted the files by series CRC, it takes the first file not
yet converted and compares it with every later file of the same CRC; the
first property that differs decides the line it prints ("Slices not stacked:
echo varies ...") — each kind of line once a run, before the output the
comparison starts. medfast's grouping has already split the series; this
module walks the outputs in dcm2niix's order and finds the same first
difference between them, so that the same line comes at the same place.
"""
from __future__ import annotations

import os

from .console import volume_files

_FLT_EPSILON = 1.1920929e-07


def _text(value):
    return "" if value is None else str(value).strip()


def _number(value, default=0.0):
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _same(a, b):
    return abs(a - b) <= _FLT_EPSILON


def _g(x):
    return f"{x:g}"


class _Series:
    """What ``isSameSet`` compares, for one medfast output (all its files agree on it)."""

    def __init__(self, vol):
        meta = vol.meta
        header = meta.get("header") or {}
        get = header.get
        self.files = volume_files(vol)
        self.manufacturer = _text(meta.get("Manufacturer") or get("Manufacturer")).upper()[:2]
        self.modality = _text(meta.get("Modality") or get("Modality"))
        self.derived = bool(meta.get("ImageType")) and str(meta["ImageType"][0]).upper() == "DERIVED"
        self.series_number = meta.get("SeriesNumber")
        self.study_uid = _text(get("StudyInstanceUID"))
        self.date_time = _number(get("StudyDate")) * 1_000_000 + _number(get("StudyTime"))
        self.dims = (_number(get("Columns")), _number(get("Rows")))
        self.phase = (bool(meta.get("is_phase")), bool(meta.get("is_real")), bool(meta.get("is_imaginary")))
        self.tr = (meta.get("repetition_time") or 0.0) * 1000.0
        self.flip = _number(get("FlipAngle"))
        echo_time = meta.get("EchoTime")
        self.x_ray = not echo_time and get("Exposure") is not None
        self.te = _number(get("Exposure")) if self.x_ray else _number(echo_time)
        self.echo = int(_number(get("EchoNumbers"), meta.get("EchoNumber") or 0))
        self.trigger = _number(get("TriggerTime"))
        self.coil = _text(meta.get("coil_name"))
        self.protocol = _text(meta.get("ProtocolName") or get("ProtocolName"))
        self.orientation = [float(v) for v in meta.get("orientation") or ()]
        self.uid = _text(meta.get("SeriesInstanceUID"))


def _first_difference(a, b, merge):
    """The kind of line ``isSameSet(a, b)`` prints and whether it stacks them: (kind or None, stacked)."""
    if (a.manufacturer, a.modality, a.derived) != (b.manufacturer, b.modality, b.derived):
        return None, False
    if a.series_number != b.series_number:
        return None, False
    same_time = abs(a.date_time - b.date_time) <= 1e-4
    if a.dims != b.dims:
        return "dimensions", False
    if not same_time:
        return "time", False
    if merge == 1 or (merge == 2 and a.x_ray):
        return None, True
    if a.phase != b.phase:
        return "phase", False
    if not _same(a.tr, b.tr):
        return "tr", False
    if not _same(a.flip, b.flip):
        return "flip", False
    if not _same(a.te, b.te) or a.echo != b.echo:
        return "echo", False
    if a.trigger != b.trigger and a.manufacturer == "PH":
        return "trigger", False
    if a.coil != b.coil:
        return "coil", True
    if not a.protocol and not b.protocol:
        return "empty name", True
    if a.protocol != b.protocol:
        return "name", False
    if any(abs(x - y) > 1e-4 for x, y in zip(a.orientation, b.orientation)):
        return "orientation", False
    if a.uid != b.uid:
        return "uid", False
    return None, True


def _line(kind, a, b, fa, fb, header_of):
    if kind == "dimensions":
        return "Slices not stacked: dimensions vary across slices"
    if kind == "time":
        return f"Slices not stacked: Study Date/Time (0008,0020;0008,0030) varies {a.date_time:.12f} ~= {b.date_time:.12f}"
    if kind == "phase":
        return (f"Slices not stacked: some are phase/real/imaginary/phase maps, others are not. Instances "
                f"{int(_number(header_of(fa).get('InstanceNumber')))} {int(_number(header_of(fb).get('InstanceNumber')))}")
    if kind == "tr":
        return f"Slices not stacked: TR varies ({_g(a.tr)}, {_g(b.tr)}, issue 641). Use 'merge 2D slices' option to force stacking"
    if kind == "flip":  # dcm2niix prints the TRs here
        return f"Slices not stacked: flip angle varies ({_g(a.tr)}, {_g(b.tr)}, issue 646)."
    if kind == "echo":
        what = "X-Ray Exposure varies (exposure" if a.x_ray else "echo varies (TE"
        number = "number" if a.x_ray else "echo"
        return (f"Slices not stacked: {what} {_g(a.te)}, {_g(b.te)}; {number} {a.echo}, {b.echo}). "
                f"Use 'merge 2D slices' option to force stacking")
    if kind == "trigger":
        return "Slices not stacked: trigger time varies"
    if kind == "coil":
        return f"Slices stacked despite coil variation '{a.coil}' vs '{b.coil}' (use '-m o' to turn off merging)"
    if kind == "empty name":
        return "Warning: Empty protocol name(s) (0018,1030)"
    if kind == "name":
        return f"Slices not stacked: protocol name varies '{a.protocol}' != '{b.protocol}'"
    if kind == "orientation":
        o1, o2 = (" ".join(_g(v) for v in s.orientation) for s in (a, b))
        return f"Slices not stacked: orientation varies (vNav or localizer?) [{o1}] != [{o2}]"
    return "Slices not stacked: series instance UID varies (duplicates all other properties)"


_ONCE = {"echo": "echo", "tr": "echo", "flip": "echo"}  # these three share one flag in dcm2niix


def messages(ordered, places, file_index, merge=2):
    """Lines to print before each output: ``{position in ordered: [lines]}``.

    ``ordered``: the volumes in conversion order; ``places``: their
    ``console.Place`` (same order); ``file_index``: a path's place in the listing.
    """
    from ..dicom.reader import header_of  # the headers the reader kept: no file is read again

    runs = {}
    for n, (vol, place) in enumerate(zip(ordered, places)):
        if place.phase == 1:
            runs.setdefault(place.crc, []).append(n)
    said, out = set(), {}

    for members in runs.values():
        if len(members) < 2 and all(_text(ordered[n].meta.get("ProtocolName")) for n in members):
            continue
        series = {n: _Series(ordered[n]) for n in members}
        owner = {os.fspath(p): n for n in members for p in series[n].files}
        files = sorted(owner, key=lambda p: file_index.get(p, 0))
        for n in members:  # each output starts its comparisons at its first file
            start = min(file_index.get(os.fspath(p), 0) for p in series[n].files)
            first = min(series[n].files, key=lambda p: file_index.get(os.fspath(p), 0))
            for path in files:
                if file_index.get(path, 0) < start:
                    continue
                other = owner[path]
                kind, _ = _first_difference(series[n], series[other], merge) if other != n else \
                    (("empty name", True) if not series[n].protocol else (None, True))
                flag = _ONCE.get(kind, kind)
                if kind is None or flag in said:
                    continue
                said.add(flag)
                out.setdefault(n, []).append(_line(kind, series[n], series[other], first, path, header_of))
    return out

