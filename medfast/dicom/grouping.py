"""Which images form one output volume: dcm2niix's rules for splitting a series (its ``isSameSet``).

dcm2niix compares files, not slices. It buckets the files by series
(SeriesInstanceUID; the series number for files without one, or for every
file with an explicit ``-m 2``), takes the first file of a bucket not yet
placed as the representative of a new set, and puts in that set every later
file of the bucket that passes these tests against the representative, in
this order:

1. same vendor (the first two letters of Manufacturer), same modality (CR,
   CT, MR, PT, US, SEG or other), both derived or both not (``derived_image``,
   or a non-image SOP class), both RF-off noise images (Siemens) or both not;
2. same series number (Siemens XA10A: the same thousand);
3. same StudyInstanceUID or the same study date and time (to 1e-4), same
   Columns, Rows and number of frames, and the same study date and time;
4. with ``-m y``, or by default (``-m 2``) for X-ray images (CT with an
   XRayExposure (0018,1152) and no echo time), nothing else is compared;
5. the same phase, real and imaginary flags (``complex_flags``);
6. the same RepetitionTime, FlipAngle, EchoTime (XRayExposure for X-ray
   images) and echo number, as float32 within FLT_EPSILON: a difference
   marks the bucket multi-echo (``_e`` names);
7. Philips images outside ASL: the same TriggerTime;
8. the same receive coil, or the set is kept and marked coil-varying (``_c``
   names) unless ``-m o`` turned that merging off;
9. the same protocol name (ProtocolName, else SeriesDescription, else the
   sequence name for vendors other than Siemens; ``_MoCo`` appended for
   motion-corrected images), unless both are empty;
10. the same ImageOrientationPatient within 1e-4: a difference marks the
    bucket non-parallel (``_i<instance>`` names; a mosaic of such a series
    is then written one file at a time);
11. the same SeriesInstanceUID.

What dcm2niix does not compare: pixel spacing, slice thickness, rescale
slope and intercept, the rest of ImageType, acquisition number, bits.

An enhanced (multi-frame) file that holds several volumes is converted on its
own; within one file, frames are split as dcm2niix splits the volumes of such
a file (echo, complex component, field map).
"""
from __future__ import annotations

import numpy as np

from . import canon, philips, siemens
from .series import derived_image
from .values import VENDORS, atof as _atof, floats, integer, number, strings, text, vendor_key

_ORIENT_TOL = 1e-4  # dcm2niix's isSameFloatGE
_FLT_EPSILON = float(np.finfo(np.float32).eps)
_MODALITIES = ("CR", "CT", "MR", "PT", "US")
# SOP classes that hold no original image: dcm2niix counts them as derived
_DERIVED_SOP = ("1.2.840.10008.5.1.4.1.1.66", "1.2.840.10008.5.1.4.1.1.11.1", "1.3.46.670589.11.0.0.12.1",
                "1.3.46.670589.11.0.0.12.2", "1.3.46.670589.11.0.0.12.4", "1.3.12.2.1107.5.9.1")

#: ``-m`` of dcm2niix: 0 never merge, 1 always, 2 X-ray images only (the default)
MERGE_NO, MERGE_YES, MERGE_AUTO = 0, 1, 2


def complex_flags(header, image_type):
    """dcm2niix's (phase, real, imaginary) flags of a file: ImageType, ComplexImageComponent, GE (0043,102F).

    ImageType's values joined by ``_`` name the phase as ``_P_`` or ``PHASE``
    anywhere, real as ``_R_`` or ``_REAL_``, imaginary as ``_I_`` or
    ``_IMAGINARY_``; a one-letter value counts only between two others.

    Examples
    --------
    >>> from medfast.dicom.header import ValuesHeader
    >>> complex_flags(ValuesHeader({}), ["ORIGINAL", "PRIMARY", "P", "ND"])
    (True, False, False)
    >>> complex_flags(ValuesHeader({}), ["ORIGINAL", "PRIMARY", "P"])
    (False, False, False)
    """
    joined = "_".join(str(v).upper() for v in image_type or ())
    phase = "_P_" in joined or (len(joined) > 6 and "PHASE" in joined)
    real = "_R_" in joined or "_REAL_" in joined
    imaginary = "_I_" in joined or "_IMAGINARY_" in joined
    component = text(header.get("ComplexImageComponent")).upper()[:2]
    phase, real, imaginary = phase or component == "PH", real or component == "RE", imaginary or component == "IM"
    if vendor_key(header.get("Manufacturer")) == "GE":
        kind = integer(header.get((0x0043, 0x102F)))
        phase, real, imaginary = phase or kind == 1, real or kind == 2, imaginary or kind == 3
    return phase, real, imaginary


def protocol_name(header, image_type):
    """The protocol name dcm2niix compares: ProtocolName, else SeriesDescription, else SequenceName (not Siemens).

    Examples
    --------
    >>> from medfast.dicom.header import ValuesHeader
    >>> protocol_name(ValuesHeader({"SeriesDescription": "bold"}), ["ORIGINAL", "PRIMARY", "MOCO", "M"])
    'bold_MoCo'
    """
    name = text(header.get("ProtocolName")).strip()
    description = text(header.get("SeriesDescription")).strip()
    if not name and len(description) > 1:
        name = description
    if len(name) > 1 and "_MOCO_" in "_".join(str(v).upper() for v in image_type or ()):
        name += "_MoCo"
    sequence = text(header.get("SequenceName")).strip()
    if not name and len(sequence) > 1 and vendor_key(header.get("Manufacturer")) not in ("SI", "CP"):
        name = sequence
    return name


def tr_count(header):
    """The TRs a Philips multi-TR series states in (2005,1030) (dcm2niix's numberOfTR, issue 743): 1 when not stated.

    The positive values of the first four, when there are at least two.

    Examples
    --------
    >>> from medfast.dicom.header import ValuesHeader
    >>> tr_count(ValuesHeader({(0x2005, 0x1030): [15.0, 75.0]})), tr_count(ValuesHeader({(0x2005, 0x1030): [15.0]}))
    (2, 1)
    """
    values = floats(header.get((0x2005, 0x1030)))
    return sum(1 for v in values[:4] if v > 0) if len(values) >= 2 else 1


def _float32(value):
    x = number(value, 0.0)
    return float(np.float32(x)) if np.isfinite(x) else 0.0


def _philips_trigger(ds):
    """The trigger time dcm2niix splits Philips images by: none for ASL; 0 for multi-phase or dynamic-scan times."""
    if philips.asl_label(ds):
        return None
    trigger = _float32(ds.get("TriggerTime"))
    if integer(ds.get((0x2001, 0x1008)), -1) > 0:  # Philips phase number (TurboQUASAR): every slice its own
        return 0.0
    begin = number(ds.get((0x2005, 0x10A0)), np.nan)  # dynamic scan begin time (s), copied into TriggerTime
    return 0.0 if np.isfinite(begin) and _same(float(np.float32(begin * 1000.0)), trigger) else trigger


class FileSet:
    """What dcm2niix's ``isSameSet`` compares, for one file (read from its first slice)."""

    __slots__ = ("vendor", "modality", "derived", "no_rf", "series_number", "study_uid", "date_time", "dims",
                 "x_ray", "flags", "tr", "tr_count", "flip", "te", "echo", "trigger", "coil", "protocol", "iop", "series_uid",
                 "mosaic", "volumes")

    def __init__(self, s):
        ds = s.ds
        image_type = strings(ds.get("ImageType"))
        self.vendor = VENDORS.get(vendor_key(ds.get("Manufacturer")), "")
        if self.vendor in ("Toshiba", "Canon") and canon.comment_gradient(ds) is not None:
            self.vendor = "Canon"  # dcm2niix makes an image with a comment gradient Canon (issue 388)
        modality = text(ds.get("Modality")).upper()
        self.modality = modality[:2] if modality[:2] in _MODALITIES else ("SEG" if modality == "SEG" else "")
        sop = text(ds.get("SOPClassUID"))
        self.derived = derived_image(image_type) or sop.startswith(_DERIVED_SOP)
        self.no_rf = self.vendor == "Siemens" and siemens.is_no_rf(ds)
        self.series_number = s.series_number
        self.study_uid = text(ds.get("StudyInstanceUID"))
        self.date_time = _atof(ds.get("StudyDate")) * 1_000_000 + _atof(ds.get("StudyTime"))
        self.dims = (integer(ds.get("Columns"), 0), integer(ds.get("Rows"), 0), integer(ds.get("NumberOfFrames"), 1))
        echo_time = number(ds.get("EchoTime"), 0.0) if not s.enhanced else (s.echo_time or 0.0)
        self.x_ray = not echo_time and ds.get("Exposure") is not None
        self.te = _float32(ds.get("Exposure") if self.x_ray else echo_time)
        self.flags = complex_flags(ds, image_type)
        if s.fieldmap_hz and not s.enhanced:  # GE's B0map field map (ge.b0map_hz) counts as real
            self.flags = (self.flags[0], True, self.flags[2])
        self.tr = _float32(ds.get("RepetitionTime"))
        self.tr_count = tr_count(ds) if self.vendor == "Philips" else 1
        self.flip = _float32(ds.get("FlipAngle"))
        self.echo = s.echo_number or 0
        self.trigger = _philips_trigger(ds) if self.vendor == "Philips" and not s.enhanced else None
        self.coil = s.coil or text(ds.get("ReceiveCoilName")).strip()
        self.protocol = protocol_name(ds, image_type)
        self.iop = np.asarray(s.iop, dtype=np.float64)
        self.series_uid = s.series_uid
        self.mosaic = s.mosaic[0] if s.mosaic else 0
        self.volumes = 1

    def bucket(self, ignore_uid=False):
        """dcm2niix compares only files of one bucket: the series UID (the series number with ``-m 2``)."""
        if ignore_uid or not self.series_uid:
            return ("number", self.series_number)
        return ("uid", self.series_uid)


def _same(a, b):
    return abs(a - b) <= _FLT_EPSILON


def same_set(a, b, merge=MERGE_AUTO, merge_coils=True):
    """dcm2niix's ``isSameSet(a, b)``: ``(stack together, multi-echo, non-parallel, coil varies)``.

    ``a`` is the representative (first file) of a set, ``b`` a later file of
    the same bucket; the three flags say what the comparison met on the way.
    """
    no = (False, False, False, False)
    if (a.vendor, a.modality, a.derived, a.no_rf) != (b.vendor, b.modality, b.derived, b.no_rf):
        return no
    if a.series_number != b.series_number:
        return no
    same_study = bool(a.study_uid) and a.study_uid == b.study_uid
    same_time = abs(a.date_time - b.date_time) <= 1e-4
    if not same_study and not same_time:
        return no
    if a.dims != b.dims or not same_time:
        return no
    if merge == MERGE_YES or (merge == MERGE_AUTO and a.x_ray):
        return True, False, False, False
    if a.flags != b.flags:
        return no
    if not _same(a.tr, b.tr) and a.tr_count > 1:  # a multi-TR series (Philips AFI): a series each TR, not echoes
        return no
    if not _same(a.tr, b.tr) or not _same(a.flip, b.flip) or not _same(a.te, b.te) or a.echo != b.echo:
        return False, True, False, False
    if a.trigger is not None and a.trigger != b.trigger:
        return no
    coil_varies = a.coil != b.coil
    if coil_varies and not merge_coils:
        return False, False, False, True
    if (a.protocol or b.protocol) and a.protocol != b.protocol:
        return False, False, False, coil_varies
    if np.any(np.abs(a.iop - b.iop) > _ORIENT_TOL):
        return False, False, True, coil_varies
    if a.series_uid != b.series_uid:
        return False, False, False, coil_varies
    return True, False, False, coil_varies


def _frame_key(s):
    """How frames of one enhanced file split into volumes (echo, complex component, field map), and mosaics."""
    if not s.enhanced:
        return (s.mosaic[0] if s.mosaic else 0,)
    echo_time = None if s.echo_time is None else round(s.echo_time, 4)
    return (s.echo_number, echo_time, s.component, bool(s.fieldmap_hz), s.rows, s.cols, s.bits)


def _split_frames(members, any_orientation=False):
    """A set's slices by ``_frame_key``, then by orientation (frames of an enhanced file may differ).

    ``any_orientation``: the set was stacked whatever its orientation (X-ray
    images with -m 2, or -m y): classic files stay one stack, as dcm2niix.
    """
    buckets, joined = {}, {}  # joined: the stack a slice of the same key and orientation bytes went to
    for s in members:
        key = _frame_key(s)
        stacks = buckets.setdefault(key, [])
        iop = np.asarray(s.iop)
        seen = (key, iop.tobytes(), s.enhanced)  # the frames of a file mostly share one orientation
        found = joined.get(seen)
        if found is None:
            for ref, stack in stacks:
                if np.all(np.abs(ref - iop) <= _ORIENT_TOL) or (any_orientation and not s.enhanced):
                    found = stack
                    break
            else:
                found = []
                stacks.append((iop, found))
            joined[seen] = found
        found.append(s)
    return [found for stacks in buckets.values() for _, found in stacks]


def _multi_volume(slices):
    """True when the frames of one enhanced file hold more than one volume (a position repeats)."""
    if len(slices) < 2 or not slices[0].enhanced:
        return False
    positions = np.round(np.asarray([s.ipp for s in slices], dtype=np.float64), 3).tolist()
    return len(set(map(tuple, positions))) < len(positions)


def group(slices, merge=MERGE_AUTO, merge_coils=True, ignore_uid=False):
    """Split ``Slice`` records into stacks as dcm2niix does, in its conversion order (``conversion_order``).

    Each slice's ``stack_flags`` is set to ``(multi_echo, non_parallel,
    coil_varies)`` of its set, the flags dcm2niix's names follow.

    Parameters
    ----------
    slices : list of Slice
    merge : int
        dcm2niix's ``-m``: ``MERGE_NO``, ``MERGE_YES`` or ``MERGE_AUTO`` (the default: X-ray images only).
    merge_coils : bool
        False as ``-m o``: images of different receive coils are not stacked.
    ignore_uid : bool
        True as an explicit ``-m 2``: files are bucketed by series number, whatever their SeriesInstanceUID.

    Examples
    --------
    >>> group([])
    []
    """
    files, records = {}, []
    for s in slices:
        found = files.get(s.path)
        if found is None:
            found = files[s.path] = (FileSet(s), [])
            records.append(found)
        found[1].append(s)
    buckets = {}
    for record in records:
        record[0].volumes = 2 if _multi_volume(record[1]) else 1
        buckets.setdefault(record[0].bucket(ignore_uid), []).append(record)
    out = []
    for bucket in buckets.values():
        placed = [False] * len(bucket)
        flags = [False, False, False]  # multi-echo, non-parallel, coil varies: once met, every later set has them
        for i, (rep, members) in enumerate(bucket):
            if placed[i]:
                continue
            placed[i] = True
            sets, met = [list(members)], [False, False, False]
            waiting = [j for j in range(i + 1, len(bucket)) if not placed[j]]
            if rep.volumes == 1:  # a file holding several volumes is converted alone, as dcm2niix
                for j in range(i + 1, len(bucket)):
                    other = bucket[j][0]
                    same, *found = same_set(rep, other, merge, merge_coils)
                    met = [a or b for a, b in zip(met, found)]
                    if same and not placed[j] and other.volumes == 1:
                        placed[j] = True
                        sets[0] += bucket[j][1]
            if met[1] and rep.mosaic > 1:  # dcm2niix issue 481: mosaics of several orientations, one volume each
                sets = [list(members)] + [bucket[j][1] for j in waiting]
                for j in waiting:
                    placed[j] = True
            flags = [a or b for a, b in zip(flags, met)]
            any_orientation = merge == MERGE_YES or (merge == MERGE_AUTO and rep.x_ray)
            for chosen in sets:
                stacks = _split_frames(chosen, any_orientation)
                # volumes of one file at several echo times: multi-echo too (dcm2niix's saveDcm2Nii)
                echoes = len({(m[0].echo_number, None if m[0].echo_time is None else round(m[0].echo_time, 4))
                              for m in stacks}) > 1
                for members in stacks:
                    for s in members:
                        s.stack_flags = (flags[0] or echoes, flags[1], flags[2])
                out += stacks
    rank = _ReaddirRank()
    out.sort(key=lambda members: (conversion_order(members[0].series_uid, members[0].series_number),
                                  min(rank(m.path) for m in members)))
    return out


def conversion_order(series_uid, series_number):
    """dcm2niix's sort key of a series: the CRC-32 of its SeriesInstanceUID (its number when it has none).

    dcm2niix converts series in this order, so when two series get the same
    output name the first converted keeps it and the next ones get ``a``,
    ``b``, ... (images of one series: in the order their first file comes).

    Examples
    --------
    >>> conversion_order("1.2.3", 7) == __import__("zlib").crc32(b"1.2.3"), conversion_order("", 7), conversion_order("", 0)
    (True, 7, 1)
    """
    import zlib

    if series_uid:
        return zlib.crc32(series_uid.encode("latin-1", "replace"))
    return series_number if series_number >= 1 else 1


class _ReaddirRank:
    """A file's place in the order dcm2niix finds files: its folder, then the folder's directory-listing order.

    dcm2niix lists folders unsorted (readdir order), so among stacks of one
    series it converts first the one whose file the listing gives first.
    """

    def __init__(self):
        self._folders = {}

    def __call__(self, path):
        import os

        folder, name = os.path.split(os.fspath(path))
        order = self._folders.get(folder)
        if order is None:
            try:
                order = {n: i for i, n in enumerate(os.listdir(folder or "."))}
            except OSError:
                order = {}
            self._folders[folder] = order
        return folder, order.get(name, len(order))


def varies(groups):
    """For each series: whether echo, coil and matrix size take more than one value across its stacks."""
    seen = {}
    for members in groups:
        s = members[0]
        entry = seen.setdefault((s.series_number, s.series_uid), [False, False, set()])
        flags = s.stack_flags or (False, False, False)
        entry[0] = entry[0] or flags[0]
        entry[1] = entry[1] or flags[2]
        entry[2].add((s.rows, s.cols))
    return {k: (entry[0], entry[1], len(entry[2]) > 1) for k, entry in seen.items()}


def echo_numbers(groups):
    """Echo number of each stack (by index) where the headers leave echoes ambiguous.

    When a series holds stacks with different echo times under one echo
    number (Philips enhanced files repeat EchoNumbers 1 in every frame), the
    echoes are numbered 1, 2, ... in the order their first image appears, as
    dcm2niix numbers them.
    """
    by_series = {}
    for index, members in enumerate(groups):
        s = members[0]
        by_series.setdefault((s.series_number, s.series_uid), []).append(index)
    out = {}
    for indices in by_series.values():
        times = {}
        for i in indices:
            first = min(groups[i], key=lambda s: (s.path, s.frame))
            key = None if first.echo_time is None else round(first.echo_time, 4)
            times.setdefault(key, (first.path, first.frame))
            times[key] = min(times[key], (first.path, first.frame))
        numbers = {groups[i][0].echo_number for i in indices}
        enhanced = all(groups[i][0].enhanced for i in indices)  # dcm2niix numbers the echoes of one file only
        if enhanced and len(times) > 1 and len(numbers) < len(times):
            rank = {key: n + 1 for n, key in enumerate(sorted(times, key=times.get))}
            for i in indices:
                out[i] = rank[None if groups[i][0].echo_time is None else round(groups[i][0].echo_time, 4)]
    return out
