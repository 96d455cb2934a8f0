"""Slice acquisition times as dcm2niix reports them (``SliceTiming``), per NIfTI slice, in seconds.

The source depends on the vendor and layout, as in dcm2niix:

- Siemens mosaic: the CSA image header's ``MosaicRefAcqTimes`` of the first
  volume, or of the second when the first's are implausible (all equal, or
  spanning more than a TR: a known CMRR bug) or span another range than the
  second's; when neither has them, the
  protocol's slice order (``sSliceArray.ucMode``) spread over TR minus the
  delay in TR.
- Siemens XA (enhanced or classic): ``TimeAfterStart`` (0021,1104) of each
  frame; the second volume when each file holds one volume.
- Siemens classic 2-D, and UIH series of several volumes: the acquisition
  times of the first volume.
- GE EPI (fMRI, multi-phase, pepolar): estimated from the protocol data block (see ``ge.py``).

Times are kept in float32 milliseconds as dcm2niix does, relative to the
earliest slice; ``None`` when unknown or when all slices share one time.
"""
from __future__ import annotations

import numpy as np

from ..dicom import ge, siemens
from ..dicom.values import number, text

_F32 = np.float32


def _read(path, cache):
    if path not in cache:
        from ..dicom.reader import header_of

        cache[path] = header_of(path)  # the header the reader kept: the file is not read again
    return cache[path]


def _top_values(path, tags):
    """Top-level values of a few tags, from the header the reader kept."""
    from ..dicom.reader import header_of

    header = header_of(path)
    return {tag: header.get(tag) for tag in tags if tag in header}


def _csa_times(header):
    """A mosaic file's MosaicRefAcqTimes (float32 ms), shifted to start at 0 when negative."""
    try:
        times = [_F32(float(v)) for v in siemens.csa_items(header, "MosaicRefAcqTimes")]
    except ValueError:
        return None
    if not times:
        return None
    low = min(times)
    return [_F32(t - low) for t in times] if low < 0 else times


def _plausible(times, tr_ms):
    return min(times) != max(times) and max(times) <= tr_ms


def _choose(first, second, tr_ms, description):
    """The first volume's times, unless the second volume's are plausible and span a different range.

    The first volume of a Siemens series can carry wrong times (a CMRR bug:
    all slices at once, or a span beyond the TR, or a few ms off); dcm2niix
    then takes the second volume's.
    """
    if first is None:
        return None
    if second is None or "SBRef" in description:
        return first
    second = second[:len(first)]
    low = min(second)
    if low > 0:
        second = [_F32(t - low) for t in second]
    if not _plausible(second, tr_ms) or min(second) < 0:
        return first
    if _plausible(first, tr_ms) and max(first) - min(first) == max(second) - min(second):
        return first
    return second


def _rescue(block, tr_ms, n):
    """Times from the protocol's slice order (1 ascending, 2 descending, 4 interleaved) over TR minus the delay."""
    mode = siemens.protocol_int(block, "sSliceArray.ucMode") if block else 0
    if mode not in (1, 2, 4) or n < 2:
        return None
    ta = _F32(_F32(tr_ms / 1000.0) - _F32(siemens.protocol_float(block, "lDelayTimeInTR") / 1e6))
    base = [_F32(_F32(i * ta / n) * 1000.0) for i in range(n)]
    if mode == 1:
        return base
    if mode == 2:
        return base[::-1]
    odd, even = 0, (n + 1) // 2
    if n % 2 == 0:  # Siemens starts even-numbered slice counts with the second slice
        odd, even = even, 0
    out = []
    for i in range(n):
        if i % 2 == 0:
            out.append(base[odd])
            odd += 1
        else:
            out.append(base[even])
            even += 1
    return out


def _hhmmss_seconds(value):
    """A DICOM TM held as a float32 HHMMSS number (as dcm2niix keeps it) -> seconds of the day."""
    text = f"{float(value):+013.5f}"
    return int(text[:3]) * 3600 + int(text[3:5]) * 60 + float(text[5:])


def _time_after_start(header, frame):
    """TimeAfterStart (0021,1104, seconds) of a frame of an enhanced file, else of the file."""
    tag = 0x00211104
    per_frame = header.frames() if frame is not None else []
    value = None
    if 0 <= (frame or 0) < len(per_frame):  # the first one in the frame's item, in file order
        value = next(iter(per_frame[frame].occurrences((tag,))[tag]), None)
    if value is None:
        value = header.get(tag)
    x = number(value)
    return None if x != x else x


def _xa_times(meta, cache, nz, nt):
    frames = meta["frames"]
    if nt == 1:  # dcm2niix's sliceTimingXA needs several volumes: a classic file then has one time
        if not meta.get("enhanced"):
            return None
        path = frames[0][0]  # one enhanced file: its frames' times in file order, as read
        ordered = sorted(f for p, f in frames[:nz] if p == path)
        values = [_time_after_start(_read(path, cache), f) for f in ordered]
        if None in values:
            return None
        ms = [_F32(_F32(v) * 1000.0) for v in values]
        tr_ms = _F32(number(_read(path, cache).find("RepetitionTime"), 0.0))
        low, high = min(ms), max(ms)
        if low != high and high <= tr_ms:  # checkSliceTiming: plausible as read
            return ms
        if low > 0 and high - low <= tr_ms:  # issue 429: a volume need not start at 0
            return [_F32(t - low) for t in ms]
        return None
    one_volume_per_file = nt > 1 and frames[0][0] != frames[nz][0] and all(
        frames[k][0] == frames[0][0] for k in range(nz))
    # the second volume of a file a volume or of a classic series: the first may carry bogus times (issue 875);
    # one enhanced file holding every volume keeps the times of its first frames, as read
    start = nz if one_volume_per_file or nt > 1 and not meta.get("enhanced") else 0
    values = []
    for path, frame in frames[start:start + nz]:
        value = _time_after_start(_read(path, cache), frame if meta.get("enhanced") else None)
        if value is None:
            return None
        values.append(_F32(_F32(value) * 1000.0))
    low = max(min(values), _F32(0.0)) if one_volume_per_file else min(values)
    return [_F32(v - low) for v in values]


def _same_instance_order(meta, nz):
    """False when the NIfTI slices run against the instance numbers (dcm2niix's negative slice direction)."""
    frames = meta["frames"]
    first, last = (_top_values(frames[k][0], ("InstanceNumber",)).get("InstanceNumber") for k in (0, nz - 1))
    try:
        return int(first) <= int(last)
    except (TypeError, ValueError):
        return True


def ge_series_timing(vol, ds, is_3d=None):
    """GE's TR (ms), slice times (s per NIfTI slice, or None), multiband factor and internal EPI version.

    ``medfast.dicom.ge.timing`` estimates the times in acquisition-index
    order; as dcm2niix, they are reversed when the NIfTI slices run against
    the instance numbers, and dropped when every slice has the same time.

    Examples
    --------
    >>> import numpy as np
    >>> from medfast.dicom.header import ValuesHeader
    >>> from medfast.volume import Volume
    >>> ge_series_timing(Volume(np.zeros((2, 2, 1), np.int16), np.eye(4)), ValuesHeader({"RepetitionTime": 2000}))
    {'tr': 2000.0, 'times': None, 'multiband': 1, 'internal': -1}
    """
    meta = vol.meta
    frames = meta.get("frames") or []
    nz, nt = meta.get("shape_nz_nt") or (vol.stored.shape[2] if vol.stored.ndim > 2 else 1, 1)
    if is_3d is None:  # (the sidecar passes dcm2niix's is3DAcq, which its BIDS rules can set)
        is_3d = text(ds.get("MRAcquisitionType")).upper() == "3D"
    localizer = number(ds.get((0x0019, 0x1017))) == 256  # GE series plane 256: 3-plane localizer
    out = ge.timing(ds, ge.protocol_block(ds), nz, nt, is_3d=is_3d, localizer=localizer)
    times = out["times"]
    if times is not None and len(frames) >= nz and not _same_instance_order(meta, nz):
        times = times[::-1]
    if times is None or all(abs(t - times[0]) <= 1e-4 for t in times):
        out["times"] = None
    else:
        out["times"] = [float(_F32(t)) / 1000.0 for t in times]
    return out


def slice_timing(vol, ds, vendor, block=""):
    """Slice times in seconds per NIfTI slice, or None when dcm2niix reports none.

    Parameters
    ----------
    vol : Volume
        The series; ``meta["frames"]`` and ``meta["shape_nz_nt"]`` locate each slice's file and frame.
    ds : medfast.dicom.header.Header
        The series' first header.
    vendor : str
        medfast's two-letter vendor key ("SI", "GE", "PH", "UI", ...).
    block : str
        The Siemens ASCII protocol, or ''.

    Examples
    --------
    >>> import numpy as np
    >>> from medfast.dicom.header import ValuesHeader
    >>> from medfast.volume import Volume
    >>> slice_timing(Volume(np.zeros((2, 2, 1), np.int16), np.eye(4)), ValuesHeader({}), "SI") is None
    True
    """
    meta = vol.meta
    frames = meta.get("frames") or []
    nz, nt = meta.get("shape_nz_nt") or (vol.stored.shape[2] if vol.stored.ndim > 2 else 1, 1)
    if nz < 2 or len(frames) < nz:
        return None
    tr_ms = number(ds.get("RepetitionTime"), 0.0)
    description = text(ds.get("SeriesDescription"))
    cache = {frames[0][0]: ds}
    times = None
    if vendor == "SI" and meta.get("mosaic"):
        first = _csa_times(ds)
        second = _csa_times(_read(frames[nz][0], cache)) if nt > 1 and len(frames) > nz else None
        by_tile = _choose(first, second, tr_ms, description) or _rescue(block, tr_ms, nz)
        if by_tile is not None and len(by_tile) >= nz:
            times = [by_tile[tile] for _, tile in frames[:nz]]
    elif vendor == "SI" and siemens.is_xa(ds) and (
            nt > 1 and not meta.get("enhanced") or _time_after_start(ds, 0 if meta.get("enhanced") else None) is not None):
        # sliceTimingXA: a classic series of several volumes takes its times from TimeAfterStart alone
        times = _xa_times(meta, cache, nz, nt)
        if times is None:
            return None
    elif (vendor == "SI" or vendor == "UI" and nt > 1) and len(frames) == nz * nt and not meta.get("enhanced"):
        stamps = []
        for path, _ in frames[:nz]:
            tm = str(_top_values(path, ("AcquisitionTime",)).get("AcquisitionTime") or "").strip()
            try:
                stamps.append(_hhmmss_seconds(_F32(float(tm))))
            except ValueError:
                return None
        if max(stamps) - min(stamps) > 43200:  # crossed midnight
            stamps = [s - 86400 if s > 43200 else s for s in stamps]
        low = min(stamps)
        times = [_F32((s - low) * 1000.0) for s in stamps]
    elif vendor == "GE":
        times = ge_series_timing(vol, ds)["times"]
        return times
    if times is None or all(t == times[0] for t in times):
        return None
    return [float(t) / 1000.0 for t in times]


def _mosaic_times(vol, ds):
    """The raw MosaicRefAcqTimes dcm2niix keeps: the first volume's, or the second's when the first is implausible."""
    meta = vol.meta
    frames = meta.get("frames") or []
    nz, nt = meta.get("shape_nz_nt") or (1, 1)
    first = _csa_times(ds)
    cache = {frames[0][0]: ds} if frames else {}
    second = _csa_times(_read(frames[nz][0], cache)) if nt > 1 and len(frames) > nz else None
    chosen = _choose(first, second, number(ds.get("RepetitionTime"), 0.0), text(ds.get("SeriesDescription")))
    return chosen if chosen is not first else first


def multiband_factor(vol, ds, vendor, times=None):
    """Slices excited at once, where dcm2niix reports it (MultibandAccelerationFactor, ``mb=`` of descrip).

    Siemens: the larger of the slice factor of the PAT mode text ("s4") and
    the slices sharing the first slice's time in a mosaic's
    MosaicRefAcqTimes; else, when that leaves 1, the images of a classic 2-D
    series sharing the first image's AcquisitionTime, or (Siemens XA with
    several volumes) the slices at the earliest time, fewer than all. The
    protocol's sSliceAcceleration.lMultiBandFactor is not used (dcm2niix
    finds it unreliable, its issue 672). Other vendors: 1 (GE's factor comes
    with its slice times, ``ge_series_timing``).

    Parameters
    ----------
    times : list of float, optional
        ``slice_timing``'s result (seconds), for XA.
    """
    meta = vol.meta
    frames = meta.get("frames") or []
    nz, nt = meta.get("shape_nz_nt") or (vol.stored.shape[2] if vol.stored.ndim > 2 else 1, 1)
    if vendor != "SI":
        return 1
    mb = max(1, int(siemens.pat_mode(ds)[1]))
    three_d = text(ds.get("MRAcquisitionType")).upper() == "3D"
    raw = _mosaic_times(vol, ds) if meta.get("mosaic") and not three_d else None
    if raw and len(raw) > 3:  # dcm2niix's checkSliceTimes
        mb = max(mb, 1 + sum(1 for t in raw[1:] if t == raw[0]))
    if mb > 1 or nz < 2:
        return mb
    if siemens.is_xa(ds) and nt > 1 and times is not None:
        low = min(times)
        zeros = sum(1 for t in times if abs((t - low) * 1000.0) <= 1e-4)
        return zeros if 1 < zeros < nz else 1
    if not meta.get("mosaic") and not meta.get("enhanced") and len(frames) == nz * nt \
            and not three_d and not _csa_times(ds):
        stamps = [str(_top_values(path, ("AcquisitionTime",)).get("AcquisitionTime") or "").strip() for path, _ in frames[:nz]]
        try:
            values = [float(v) for v in stamps]
        except ValueError:
            return 1
        same = sum(1 for v in values if v == values[0])
        return same if same > 1 else 1
    return 1


#: GE's RTIA timer (0021,105E, seconds): when each image was acquired
RTIA_TIMER = (0x0021, 0x105E)
RTIA_MISSING = "DICOM images do not report RTIA timer(0021,105E)"


def ge_rtia_comparison(vol, headers, three_d, verbose=0):
    """dcm2niix's undocumented ``-j y``: its estimated GE slice times against the RTIA timer, as lines to print.

    Said only where dcm2niix estimates GE slice times (``ge.timing``). The
    timer of the second volume's images, less its smallest value, in ms, is
    compared with the estimate (ms, before any reversal): the largest
    difference, and each pair when it reaches 1 ms or at ``-v 1``. Nothing
    changes in what is written. ``headers``: the series' headers in
    dcm2niix's order (series number, then instance number).

    Examples
    --------
    >>> import numpy as np
    >>> from medfast.dicom.header import ValuesHeader
    >>> from medfast.volume import Volume
    >>> vol = Volume(np.zeros((2, 2, 2, 2), np.int16), np.eye(4), {"shape_nz_nt": (2, 2)})
    >>> ge_rtia_comparison(vol, [ValuesHeader({})] * 4, False)
    []
    """
    nz, nt = vol.meta.get("shape_nz_nt") or (1, 1)
    first = headers[0]
    localizer = number(first.get((0x0019, 0x1017))) == 256
    times = ge.timing(first, ge.protocol_block(first), nz, nt, is_3d=three_d, localizer=localizer)["times"]
    if times is None or len(headers) < 2 * nz:
        return []
    if not _F32(number(first.get(RTIA_TIMER), -1.0)) > 0:
        return [RTIA_MISSING]
    timer = [_F32(number(h.get(RTIA_TIMER), -1.0)) for h in headers[nz:2 * nz]]
    low = min(timer)
    if low < 0:
        return []
    measured = [_F32(float(t - low) * 1000.0) for t in timer]
    error = max(_F32(abs(m - _F32(t))) for m, t in zip(measured, times))
    lines = [f"Slice Timing Error between calculated and RTIA timer(0021,105E): {float(error):g}ms"]
    if error >= 1.0 or verbose > 0:
        lines += [f"\t{float(_F32(t)):g}\t{float(m):g}" for t, m in zip(times, measured)]
    return lines
