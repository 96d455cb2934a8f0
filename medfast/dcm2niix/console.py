"""What dcm2niix prints while it converts, line for line, and the order it converts in.

Programs read dcm2niix's standard output: nipype takes the output names from
the ``Convert N DICOM as PATH (dims)`` lines, dcm2bids logs it, scripts look
for ``Found N DICOM file(s)``. These are its texts (``nii_dicom_batch.cpp``,
``main_console.cpp`` of v1.0.20260724), and its conversion order: first each
file that holds more than one volume (enhanced 4-D, Philips field maps) as
its header is read, then the other series sorted by the CRC-32 of their
SeriesInstanceUID, ties by the first file in the folder's listing. The order
also decides which series gets the ``a``, ``b`` ... suffix when names collide.
"""
from __future__ import annotations

import os
import zlib
from typing import NamedTuple

#: the dcm2niix release whose command line and output medfast reproduces
DCM2NIIX_VERSION = "v1.0.20260724"
#: Siemens XA software whose classic (single-frame) series dcm2niix groups by SeriesTime
_XA_VERSIONS = ("XA10", "XA11", "XA20", "XA30", "XA31", "XA5", "XA6", "XA7")
_XA10A = ("XA10", "XA11", "XA20", "XA30", "XA31")


def banner():
    """The first line of every run: dcm2niix's, its build description naming medfast.

    Programs parse ``version (\\S+)`` from it (nipype's ``Info.version``).

    Examples
    --------
    >>> banner().startswith("Chris Rorden's dcm2niiX version v1.0.20260724 ")
    True
    """
    import platform
    import struct

    import medfast

    bits = struct.calcsize("P") * 8  # platform.architecture() runs the `file` command
    return f"Chris Rorden's dcm2niiX version {DCM2NIIX_VERSION}  (medfast {medfast.__version__}) " \
           f"({bits}-bit {platform.system()})"


def _text(value):
    return "" if value is None else str(value)


def series_crc(header, *, single_frame=True, ignore_uid=False):
    """dcm2niix's ``seriesUidCrc`` of a file: the CRC-32 it sorts and selects (``-n``) series by.

    Mostly the CRC-32 of SeriesInstanceUID; the series number with ``-m 2``
    (or without a UID); Siemens XA classic files use SeriesTime, Siemens
    ``fldyn3d1`` (DCE) series before XA the protocol name.

    Examples
    --------
    >>> series_crc({"SeriesInstanceUID": "1.2.3", "SeriesNumber": 5})
    2310465506
    >>> series_crc({"SeriesInstanceUID": "1.2.3", "SeriesNumber": 5}, ignore_uid=True)
    5
    """
    get = header.get
    number = get("SeriesNumber")
    try:
        number = int(number)
    except (TypeError, ValueError):
        number = 0
    if ignore_uid:
        return number & 0xFFFFFFFF
    crc = zlib.crc32(_text(get("SeriesInstanceUID")).encode("latin-1", "replace"))
    siemens = _text(get("Manufacturer")).upper().startswith("SIEMENS")
    software = _text(get("SoftwareVersions"))
    if siemens and "fldyn3d1" in _text(get("SequenceName")) and not any(v in software for v in _XA10A):
        crc = zlib.crc32(_text(get("ProtocolName")).encode("latin-1", "replace"))
    series_time = _text(get("SeriesTime")).rstrip(" ")
    if siemens and single_frame and len(series_time) > 1 and any(v in software for v in _XA_VERSIONS):
        crc = zlib.crc32(series_time.encode("ascii", "replace"))
    if crc == 0:
        return number if number > 0 else 1
    return crc


def volume_files(vol):
    """The files a volume's slices come from, in array order, each once."""
    return list(dict.fromkeys(path for path, _ in vol.meta.get("frames") or ()))


class Place(NamedTuple):
    """Where dcm2niix converts a volume: ``phase`` 0 while reading headers (a file of several
    volumes), 1 after; ``crc`` its ``series_crc``; ``first`` its first file's place in the listing;
    ``frame`` the rank of its first frame in dcm2niix's frame order (outputs of one enhanced file)."""

    phase: int
    crc: int
    first: int
    n: int
    frame: tuple = ()

    @property
    def key(self):
        return (self.phase, self.first if self.phase == 0 else self.crc, self.first, self.frame, self.n)


_IN_STACK_POSITION, _IMAGE_POSITION = 0x00209057, 0x00200032


def _frame_ranks(header):
    """Each frame's sort key in dcm2niix's order of an enhanced file's frames: its DimensionIndexValues,
    the last index most significant when an index after the stack position varies (Philips), else
    the first (Canon, Bruker)."""
    from ..dicom import enhanced

    values = []
    for item in enhanced.frames(header):
        try:
            values.append(tuple(int(v) for v in item.get("DimensionIndexValues") or ()))
        except (TypeError, ValueError):
            values.append(())
    width = max(map(len, values), default=0)
    padded = [v + (0,) * (width - len(v)) for v in values]
    varying = [j for j in range(width) if len({v[j] for v in padded}) > 1]
    pointers = [item.get("DimensionIndexPointer") for item in header.items("DimensionIndexSequence")]
    stack = max((i for i, p in enumerate(pointers) if p in (_IN_STACK_POSITION, _IMAGE_POSITION)), default=0)
    if varying and stack < varying[-1]:
        return [v[::-1] for v in padded]
    return padded


def places(volumes, file_index, *, ignore_uid=False):
    """The ``Place`` of each volume; ``file_index`` maps a path to its place in the folder's listing.

    ``sorted(volumes, key=lambda v: place.key)`` is dcm2niix's conversion order.

    Examples
    --------
    >>> places([], {})
    []
    """
    shared = {}
    for vol in volumes:
        for path in volume_files(vol):
            shared[path] = shared.get(path, 0) + 1
    out, ranks = [], {}
    for n, vol in enumerate(volumes):
        meta = vol.meta
        files = volume_files(vol)
        first = min((file_index.get(os.fspath(p), len(file_index)) for p in files), default=0)
        nz = (meta.get("shape_nz_nt") or (1, 1))[0] or 1
        volumes_of = {}
        for k, (path, _) in enumerate(meta.get("frames") or ()):
            volumes_of.setdefault(path, set()).add(k // nz)
        several = any(len(v) > 1 for v in volumes_of.values()) or any(shared[p] > 1 for p in files)
        crc = series_crc(meta.get("header") or {}, single_frame=not meta.get("enhanced"), ignore_uid=ignore_uid)
        frame = ()
        if several and meta.get("enhanced") and shared[files[0]] > 1:  # one of several outputs of one file
            from ..dicom.reader import header_of

            path, index = meta["frames"][0]
            if path not in ranks:
                ranks[path] = _frame_ranks(header_of(path))
            frame = ranks[path][index] if 0 <= (index or 0) < len(ranks[path]) else ()
        out.append(Place(0 if several else 1, crc, first, n, frame))
    return out


def dims(vol):
    """The four dimensions dcm2niix prints for a volume: before a 3-D acquisition is turned to RAS+."""
    meta = vol.meta
    shape = tuple(vol.shape) + (1, 1, 1)
    if meta.get("reoriented"):
        header = meta.get("header") or {}
        nz, nt = meta.get("shape_nz_nt") or (shape[2], 1)
        shape = (int(header.get("Columns") or shape[0]), int(header.get("Rows") or shape[1]), nz, nt)
    return tuple(int(d) for d in shape[:4])


def convert_line(vol, base):
    """``Convert N DICOM as BASE (AxBxCxD)``: N the files dcm2niix stacked, BASE the output without extension.

    Examples
    --------
    >>> import numpy as np
    >>> from medfast.volume import Volume
    >>> vol = Volume(np.zeros((4, 4, 2), np.int16), np.eye(4), {"frames": [("a", 0), ("b", 0)]})
    >>> convert_line(vol, "out/T1_2")
    'Convert 2 DICOM as out/T1_2 (4x4x2x1)'
    """
    return f"Convert {len(volume_files(vol))} DICOM as {base} ({'x'.join(map(str, dims(vol)))})"


def found_line(count):
    return f"Found {count} DICOM file(s)"


#: transfer syntaxes dcm2niix v1.0.20260724 (the PyPI build: OpenJPEG, CharLS) reads; it refuses any other
DCM2NIIX_SYNTAXES = frozenset((
    "1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.5",
    "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70",
    "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91",
    "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.203", "1.3.46.670589.33.1.4.1",
))
_JPEG_LS = ("1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81")
_JPEG_2000 = ("1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.201",
              "1.2.840.10008.1.2.4.203")
_DEFLATED = "1.2.840.10008.1.2.1.99"
JPEG_2000_WARNING = "Warning: Unsupported JPEG2000 transfer syntax (use dcm2niix compiled with OpenJPEG)"


def syntax_warning(syntax):
    """dcm2niix's warning for a transfer syntax it cannot decode, as it reads the header (JPEG 2000: None, said once later).

    Examples
    --------
    >>> syntax_warning("1.2.840.10008.1.2.1.99")[:55]
    "Warning: Unsupported transfer syntax '1.2.840.10008.1.2"
    """
    if syntax in _JPEG_2000:
        return None
    if syntax in _JPEG_LS:
        return (f"Warning: Unsupported transfer syntax '{syntax}' (decode with 'dcmdjpls jpg.dcm raw.dcm' or "
                f"'gdcmconv -w jpg.dcm raw.dcm', or recompile dcm2niix with JPEGLS support)")
    if syntax == _DEFLATED:
        return (f"Warning: Unsupported transfer syntax '{syntax}' (inflate files with 'dcmconv +te gz.dcm raw.dcm' "
                f"or 'gdcmconv -w gz.dcm raw.dcm)'")
    return f"Warning: Unsupported transfer syntax '{syntax}' (see www.nitrc.org/plugins/mwiki/index.php/dcm2nii:MainPage)"


def refused_syntax(syntax):
    """True when dcm2niix refuses a file for its transfer syntax (``None``, '': no preamble or none given: read)."""
    return bool(syntax) and syntax not in DCM2NIIX_SYNTAXES


def is_jpeg_2000(syntax):
    return syntax in _JPEG_2000


#: said on standard error (dcm2niix's printError), "Error: " before it
ORIENTATION_VARIES = "DICOM incompatible with NIfTI slice orientation varies (issue 894, localizer?)"


def is_localizer(header):
    """dcm2niix's isLocalizer: a GE three-plane series (series plane 0019,1017 = 256), or a Siemens image whose
    auto-align text (0021,103F) says LOCALIZER, whose description or protocol says AAHScout, or whose
    sequence is fl2d1.

    Examples
    --------
    >>> is_localizer({"Manufacturer": "SIEMENS", "SequenceName": "*fl2d1"}), is_localizer({"Manufacturer": "GE"})
    (True, False)
    """
    from ..dicom.header import as_header
    from ..dicom.values import vendor_key

    header = as_header(header)
    vendor = vendor_key(header.get("Manufacturer"))
    if vendor == "GE":
        return _text(header.get((0x0019, 0x1017))).strip() == "256"  # SeriesPlaneGE: 256 three-plane
    if vendor != "SI":
        return False
    names = [_text(header.get(k)) for k in ("SeriesDescription", "ProtocolName")]
    sequences = [_text(header.get("SequenceName")), _text(header.find("PulseSequenceName"))]
    auto_align = _text(header.find((0x0021, 0x103F)))[:65]  # wherever it is nested; dcm2niix keeps 65 characters
    return ("LOCALIZER" in auto_align.upper() or any("AAHScout" in n for n in names)
            or any("fl2d1" in n for n in sequences))


SKIPPING_DERIVED = "Skipping derived image(s). Run with `-v 2` for details"
NO_VALID_IMAGES = "No valid DICOM images were found"


def conversion_time_line(wall, cpu):
    """The last line of a conversion: wall-clock seconds, and CPU seconds of the process."""
    return f"Conversion required {wall:f} seconds ({cpu:f} for core code)."


PHILIPS_ENHANCED_HINT = "Warning: Philips enhanced DICOMs (hint: export as classic DICOM)"


def _f32(value):
    import numpy as np

    try:
        return float(np.float32(float(value)))
    except (TypeError, ValueError):
        return 0.0


def _g(value):
    """A float32 as C's ``%g`` prints it."""
    return f"{_f32(value):g}"


def philips_scaling(vol, verbose=0, precise=True):
    """dcm2niix's ``Philips Scaling Values RS:RI:SS`` lines for a Philips volume (its ``PhilipsPrecise``).

    Said when the private scale slope (2005,100E) gives other values than the
    display scaling; not for enhanced files whose scaling varies by frame.
    ``precise`` False: dcm2niix's ``-p n``, which writes the display values.

    Examples
    --------
    >>> import numpy as np
    >>> from medfast.volume import Volume
    >>> meta = {"Manufacturer": "Philips", "header": {"RescaleSlope": 2.0, "RescaleIntercept": 0.0, (0x2005, 0x100E): 4.0}}
    >>> philips_scaling(Volume(np.zeros((2, 2, 2)), np.eye(4), meta))
    ['Philips Scaling Values RS:RI:SS = 2:0:4 (see PMC3998685)']
    """
    from ..dicom import enhanced
    from ..dicom.philips import SCALE_SLOPE

    meta = vol.meta
    header = meta.get("header") or {}
    if not _text(meta.get("Manufacturer") or header.get("Manufacturer")).upper().startswith("PHILIPS"):
        return []
    values = {"RescaleSlope": header.get("RescaleSlope"), "RescaleIntercept": header.get("RescaleIntercept"),
              "philips_scale_slope": header.get(SCALE_SLOPE)}
    if meta.get("enhanced"):
        if (meta.get("scaling") or {}).get("varies") or (meta.get("scaling") or {}).get("ignored"):
            return []
        frame = (meta.get("frames") or [(None, 0)])[0][1]
        per_frame = enhanced.frames(header)
        if frame < len(per_frame):
            values.update({k: v for k, v in per_frame[frame].items() if k in values and v is not None})
    rs, ri, ss = (_f32(values[k]) for k in ("RescaleSlope", "RescaleIntercept", "philips_scale_slope"))
    if ss == 0 or rs == 0:
        return []
    den = _f32(rs * ss)
    l0, l1 = _f32(ri / den), _f32(_f32(rs + ri) / den)
    scale, inter = (_f32(l1 - l0), l0) if l0 != l1 else (rs, ri)
    if abs(ri - inter) <= 1.1920929e-07 and abs(rs - scale) <= 1.1920929e-07:
        return []
    lines = [f"Philips Scaling Values RS:RI:SS = {rs:g}:{ri:g}:{ss:g} (see PMC3998685)"]
    if verbose > 0:
        lines += [" R = raw value, P = precise value, D = displayed value",
                  " RS = rescale slope, RI = rescale intercept, SS = scale slope",
                  " D = R * RS + RI; P = D/(RS * SS)",
                  f" D scl_slope:scl_inter = {rs:g}:{ri:g}",
                  f" P scl_slope:scl_inter = {scale:g}:{inter:g}",
                  " Using P values ('-p n ' for D values)" if precise else " Using D values ('-p y ' for P values)"]
    return lines
