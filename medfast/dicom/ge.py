"""GE's protocol data block: the gzip-compressed ``KEY "value"`` text in private tag (0025,101B).

The element holds a 4-byte little-endian length, then a gzip stream. The
stream is inflated with a hard output bound, so a hostile file cannot make
medfast allocate more than ``_MAX_TEXT`` bytes; anything malformed reads as
an empty block (dcm2niix, too, simply goes without the values then).
"""
from __future__ import annotations

import math
import re
import struct
import zlib

import numpy as np

from .values import floats, integer, number, text

_TAG = (0x0025, 0x101B)
_MAX_TEXT = 1 << 20  # protocol blocks are a few kB
_LINE = re.compile(r'^(\w+)\s+"(.*)"\s*$')


def protocol_block(header):
    """``{KEY: value}`` of a GE header's protocol data block; ``{}`` when absent or malformed.

    Examples
    --------
    >>> import gzip, struct
    >>> from medfast.dicom.header import ValuesHeader
    >>> raw = gzip.compress(b'PSEQ "Gradient Echo"\\nSLICEORDER "1"\\n')
    >>> protocol_block(ValuesHeader({(0x0025, 0x101B): struct.pack("<I", len(raw)) + raw}))
    {'PSEQ': 'Gradient Echo', 'SLICEORDER': '1'}
    """
    raw = header.raw(_TAG) if header is not None else None
    if raw is None or len(raw) < 24:
        return {}
    (length,) = struct.unpack_from("<I", raw, 0)
    stream = bytes(raw[4:4 + length]) if 0 < length <= len(raw) - 4 else bytes(raw[4:])
    if stream[:3] != b"\x1f\x8b\x08":
        return {}
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        inflated = inflater.decompress(stream, _MAX_TEXT)
    except zlib.error:
        return {}
    out = {}
    for line in inflated.decode("latin-1").splitlines():
        m = _LINE.match(line.strip())
        if m:
            out.setdefault(m.group(1), m.group(2))
    return out


def _int(block, key, default):
    try:
        return int(float(block.get(key, "")))
    except ValueError:
        return default


def _float(block, key, default):
    try:
        return float(block.get(key, ""))
    except ValueError:
        return default


def software_version(value):
    r"""(major.minor as float, release number) of GE's SoftwareVersions, as dcm2niix's readSoftwareVersionsGE.

    The version text follows "SIGNA_LX1" plus one character, else "MR Software
    release" plus one character, else the last backslash; it reads as two
    letters, major.minor, an underscore, two letters and the release ("EA" is
    release 0).

    Examples
    --------
    >>> software_version("27\\LX\\MR Software release:RX27.0_R02_1831.a")
    (27.0, 2)
    >>> version, release = software_version("28\\LX\\MR29.1_EA_2039.g")  # major.minor in float32, as dcm2niix
    >>> round(version, 4), release
    (29.1, 0)
    >>> software_version("30\\LX\\SIGNA_LX1.MR30.0_R01_2236.d")
    (30.0, 1)
    """
    version = text(value)
    for marker in ("SIGNA_LX1", "MR Software release"):
        at = version.find(marker)
        if at >= 0:
            tail = version[at + len(marker) + 1:]
            break
    else:
        tail = version.rsplit("\\", 1)[-1]
    m = re.match(r"(.)(.)\s*([+-]?\d+)(?:\.\s*([+-]?\d+)(?:_(.)(.)\s*([+-]?\d+)?)?)?", tail[:11], re.S)
    if not m:
        return 0.0, 0
    major, minor = int(m.group(3)), int(m.group(4) or 0)
    release = 0 if (m.group(5), m.group(6)) == ("E", "A") else int(m.group(7) or 0)
    return float(np.float32(np.float32(major) + np.float32(0.1) * np.float32(minor))), release


def _is_27r3(version, release):
    return version >= 27.1 or (int(version) == 27 and release >= 3)


# epiVersionGE of dcm2niix: -1 not EPI, 0 epi (multi-phase), 1 epiRT (fMRI), 2 epi2 (diffusion),
# 3.. the ABCD pepolar research sequence: 3 forward, 4 reverse, 5 reverse-forward, 6 forward-reverse,
# 7 / 8 the volumes of 5 / 6 that run the other way (a series of their own)
EPI, EPI_RT, EPI2, PEPOLAR, PEPOLAR_REV, PEPOLAR_REV_FWD, PEPOLAR_FWD_REV = 0, 1, 2, 3, 4, 5, 6
PEPOLAR_REV_FWD_FLIP, PEPOLAR_FWD_REV_FLIP = 7, 8


def _string(header, tag):
    value = header.get(tag) if header is not None else None
    return "" if isinstance(value, (bytes, list)) else text(value)


def _rounded(header, tag):
    x = number(header.get(tag) if header is not None else None)
    return int(np.floor(x + 0.5)) if math.isfinite(x) else 0


def epi_versions(header):
    """(epiVersionGE, internalepiVersionGE) of a GE header, as dcm2niix's DICOM reader sets them.

    The pulse sequence name (0019,109C) is searched for "epi_pepolar" (3),
    "epi2" (2), "epiRT" (1), "epi" (0), in that order; an internal name
    (0019,109E) "EPI" marks a gradient-echo EPI (internal 1, and the
    version becomes 0 unless it was epiRT), "EPI2" a spin-echo EPI
    (internal 2). An fMRI group delay (0043,107C) makes it epiRT. The
    pepolar sequence then reads its direction scheme from user data 12
    (0019,10B3) and, for the alternating schemes, the temporal position
    (0020,0100) of the image.

    Examples
    --------
    >>> from medfast.dicom.header import ValuesHeader
    >>> epi_versions(ValuesHeader({(0x0019, 0x109C): "epiRT", (0x0019, 0x109E): "EPI"}))
    (1, 1)
    >>> epi_versions(ValuesHeader({(0x0019, 0x109C): "research/epi_pepolar", (0x0019, 0x109E): "EPI",
    ...                            (0x0019, 0x10B3): "2", "TemporalPositionIdentifier": 3}))
    (7, -1)
    """
    if header is None:
        return -1, -1
    name = _string(header, (0x0019, 0x109C))
    version = -1
    for key, value in (("epi_pepolar", PEPOLAR), ("epi2", EPI2), ("epiRT", EPI_RT), ("epi", EPI)):
        if key in name:
            version = value
            break
    internal = -1
    internal_name = _string(header, (0x0019, 0x109E))
    if version < PEPOLAR and internal_name == "EPI":
        internal = 1
        if version != EPI_RT:
            version = EPI
    if internal_name == "EPI2":
        internal = 2
    if header.get((0x0043, 0x107C)) is not None:
        version = EPI_RT
    if version == PEPOLAR:
        version = {1: PEPOLAR_REV, 2: PEPOLAR_REV_FWD, 3: PEPOLAR_FWD_REV}.get(_rounded(header, (0x0019, 0x10B3)), version)
    volume = integer(header.get("TemporalPositionIdentifier"), 0)
    if version == PEPOLAR_REV_FWD and volume > 0 and volume % 2 == 1:
        version = PEPOLAR_REV_FWD_FLIP
    if version == PEPOLAR_FWD_REV and volume > 0 and volume % 2 == 0:
        version = PEPOLAR_FWD_REV_FLIP
    return version, internal


def series_number(header, number_):
    """The series number dcm2niix gives a GE image: +1000 for the reversed volumes of a pepolar series.

    Examples
    --------
    >>> from medfast.dicom.header import ValuesHeader
    >>> series_number(ValuesHeader({(0x0019, 0x109C): "epi_pepolar", (0x0019, 0x10B3): "3",
    ...                             "TemporalPositionIdentifier": 2}), 8)
    1008
    """
    version = epi_versions(header)[0]
    return number_ + 1000 if version in (PEPOLAR_REV_FWD_FLIP, PEPOLAR_FWD_REV_FLIP) else number_


def rows_flipped(header):
    """True for the reversed images of GE's pepolar research sequence, whose rows dcm2niix stores flipped.

    Examples
    --------
    >>> from medfast.dicom.header import ValuesHeader
    >>> rows_flipped(ValuesHeader({"Manufacturer": "GE MEDICAL SYSTEMS", (0x0019, 0x109C): "epi_pepolar",
    ...                            (0x0019, 0x10B3): "1"}))
    True
    """
    if not text(header.get("Manufacturer")).upper().startswith("GE"):
        return False
    return epi_versions(header)[0] in (PEPOLAR_REV, PEPOLAR_FWD_REV_FLIP, PEPOLAR_REV_FWD_FLIP)


def _user_data_polarity(raw):
    """'Flipped' / 'Unflipped' from the raw header in (0043,102A), or None (not EPI, too short, odd version).

    The block gives at byte 24 the offset of a raw header whose first float
    is its version (5 to 40); from version 25.002 on the fields move by
    0x4C and the k-space direction by -0x8C. Bit 0x800 at 0x3A marks EPI,
    bit 4 at 0x30 the flipped phase polarity, and a k-space direction
    (at 0x394) of 2 (bottom-up) inverts it.
    """
    if raw is None or len(raw) < 916:
        return None
    (offset,) = struct.unpack_from("<H", raw, 24)
    if len(raw) < offset + 916:
        return None
    (version,) = struct.unpack_from("<f", raw, offset)
    if not 5.0 <= version <= 40.0:
        return None
    base, ky_dir = offset, 0x394
    if version >= np.float32(25.002):
        base += 0x4C
        ky_dir -= 0x8C

    def short(at):
        return struct.unpack_from("<H", raw, at)[0] if at + 2 <= len(raw) else 0

    if not short(base + 0x3A) & 0x800:
        return None
    flipped = bool(short(base + 0x30) & 0x0004)
    if short(base + ky_dir) == 2:
        flipped = not flipped
    return "Flipped" if flipped else "Unflipped"


def phase_polarity(header):
    """GE's phase-encoding polarity ('Flipped', 'Unflipped' or None), as dcm2niix's PhaseEncodingPolarityGE.

    (0018,9034) LINEAR is flipped and REVERSE_LINEAR unflipped; without it the
    raw header in (0043,102A) decides (see ``_user_data_polarity``). The
    reversed volumes of the pepolar research sequence invert it.

    Examples
    --------
    >>> from medfast.dicom.header import ValuesHeader
    >>> phase_polarity(ValuesHeader({"RectilinearPhaseEncodeReordering": "REVERSE_LINEAR"}))
    'Unflipped'
    """
    if header is None:
        return None
    reordering = text(header.last("RectilinearPhaseEncodeReordering")).upper()
    polarity = {"L": "Flipped", "R": "Unflipped"}.get(reordering[:1])
    if polarity is None:
        polarity = _user_data_polarity(header.raw((0x0043, 0x102A)))
    if polarity and epi_versions(header)[0] in (PEPOLAR_REV, PEPOLAR_FWD_REV_FLIP, PEPOLAR_REV_FWD_FLIP):
        polarity = "Unflipped" if polarity == "Flipped" else "Flipped"
    return polarity


def _block_key(block, key):
    return block.get(key) if block else None


def _block_int(block, key, missing):
    """A protocol value as dcm2niix's readKey reads it: the digits of the value, concatenated."""
    value = _block_key(block, key)
    if value is None:
        return missing
    digits = "".join(c for c in value if c.isdigit())
    return int(digits) if digits else 0


def _block_float(block, key):
    """A protocol value as dcm2niix's readKeyFloat reads it: its digits, dots and minus signs, as a number."""
    value = _block_key(block, key)
    kept = "".join(c for c in value or "" if c.isdigit() or c in ".-")
    m = re.match(r"[+-]?(\d+\.?\d*|\.\d+)", kept)
    return float(m.group(0)) if m else 0.0


def multiband(header, block=None):
    """GE's multiband factor: (0043,10B6), or the protocol's MBACCEL when slice times are estimated."""
    mb = integer(text(header.get((0x0043, 0x10B6))).split("\\")[0], 0) if header is not None else 0
    if block is not None:
        mb = max(mb, _block_int(block, "MBACCEL", 0))
    return mb if mb > 1 else 1


def timing(header, block, nz, nt, *, is_3d=False, localizer=False):
    r"""The TR (ms), slice times (ms or None), multiband factor and internal EPI version dcm2niix's sliceTimingGE leaves.

    GE reports no slice times: they follow from the TR, the slice order, the
    multiband factor and the group delay. An fMRI group delay (0043,107C, s)
    is added to the TR on reading. Times are estimated only for 2-D series of
    several slices and volumes with a protocol block: pepolar (always
    interleaved), epiRT or IOPT FMRI (interleaved unless SLICEORDER is 0),
    multi-phase epi or IOPT MPh (always interleaved; the protocol's delay
    DELACQNOAV, 0 for a "Minimum" delay, is added to the TR; variable delays
    give none); spin-echo EPI diffusion (epi2, EPI2, IOPT DIFF) only
    without gradient cycling (always interleaved, never the 27 R03 rule).
    Other sequences give none. Where times are
    estimated for epiRT, FMRI, epi or MPh, the internal version becomes 1 (EPI).

    Examples
    --------
    >>> from medfast.dicom.header import ValuesHeader
    >>> h = ValuesHeader({"RepetitionTime": 1000, "SoftwareVersions": "27\\LX\\MR Software release:RX27.0_R02_1831.a"})
    >>> timing(h, {"IOPT": "EPI, FMRI", "SLICEORDER": "1"}, 5, 2)
    {'tr': 1000.0, 'times': [0.0, 600.0, 200.0, 800.0, 400.0], 'multiband': 1, 'internal': 1}
    """
    tr = number(header.get("RepetitionTime"), 0.0)
    delay = number(header.get((0x0043, 0x107C)))
    group_delay = delay * 1000.0 if math.isfinite(delay) else 0.0
    if group_delay > 0:
        tr += group_delay
    version, internal = epi_versions(header)
    out = {"tr": tr, "times": None, "multiband": multiband(header), "internal": internal}
    if is_3d or localizer or nt < 2 or nz < 2 or not block or len(text(header.get("SoftwareVersions"))) < 10:
        return out
    out["multiband"] = mb = multiband(header, block)
    interleaved, late = True, None
    kind = sequence_kind(version, internal, block)
    if kind == "epirt":
        interleaved = _block_int(block, "SLICEORDER", -1) != 0
        out["internal"] = 1
    elif kind == "multiphase":
        out["internal"] = 1
        delay_block = protocol_group_delay(block) * 1000.0
        if delay_block > 0:
            out["tr"] = tr = tr + delay_block
            group_delay = delay_block
        if delay_block < -0.5:
            return out
    elif kind == "diffusion":
        if diffusion_cycling(header)[0] not in ("OFF", "SPOFF"):
            return out  # cycling diffusion: dcm2niix gives no times
        late = False
    elif kind == "other":
        return out
    version_number, release = software_version(header.get("SoftwareVersions"))
    if late is None:
        late = _is_27r3(version_number, release)
    out["times"] = slice_times_ms(nz, tr, group_delay, mb, interleaved, version_number, late)
    return out


def sequence_kind(version, internal, block):
    """The branch dcm2niix's sliceTimingGE takes: "pepolar", "epirt" (or IOPT FMRI), "multiphase" (epi, or IOPT
    MPh), "diffusion" (epi2, internal EPI2, or IOPT DIFF) or "other"; ``version, internal`` from ``epi_versions``.

    Examples
    --------
    >>> sequence_kind(EPI, 1, {"IOPT": "EPI, FMRI"}), sequence_kind(-1, -1, {"IOPT": "DIFF"})
    ('epirt', 'diffusion')
    """
    iopt = block.get("IOPT", "")
    if version >= PEPOLAR:
        return "pepolar"
    if version == EPI_RT or "FMRI" in iopt:
        return "epirt"
    if version == EPI or "MPh" in iopt:
        return "multiphase"
    if version == EPI2 or internal == 2 or "DIFF" in iopt:
        return "diffusion"
    return "other"


def protocol_group_delay(block):
    """The protocol's group delay (s) as sliceTimingGE reads it: DELACQNOAV; for multi-phase EPI (IOPT MPh) 0 when
    DELACQ is "Minimum", -1 (variable delays) for MPhVar.

    Examples
    --------
    >>> protocol_group_delay({"DELACQNOAV": "0.05"}), protocol_group_delay({"IOPT": "MPhVar", "DELACQNOAV": "0.05"})
    (0.05, -1.0)
    """
    delay = _block_float(block, "DELACQNOAV")
    iopt = block.get("IOPT", "")
    if "MPh" in iopt:
        if block.get("DELACQ") == "Minimum":
            delay = 0.0
        if "MPhVar" in iopt:
            delay = -1.0
    return delay


def protocol_slice_count(block):
    """NOSLC, the protocol's slice count as dcm2niix's readKey reads it (0 when absent)."""
    return _block_int(block, "NOSLC", 0)


def slice_times_ms(nz, tr_ms, group_delay_ms, mb, interleaved, version, late):
    """Slice times (ms, in acquisition-index order) as dcm2niix's sliceTimeGE: None for early multiband.

    The TR less the group delay is shared by ceil(nz / mb) excitations; an
    even excitation count gains one before release 27 R03; interleaved
    orders take the even-indexed slices first, and from 27 R03 on a
    multiband interleaved series with an even count swaps its last and
    third-last times. Slices beyond the excitations repeat them.

    Examples
    --------
    >>> slice_times_ms(5, 1000.0, 0.0, 1, True, 27.0, False)
    [0.0, 600.0, 200.0, 800.0, 400.0]
    """
    n_exc = int(math.ceil(np.float32(nz) / np.float32(mb)))
    if mb > 1 and version < 26.0:
        return None
    if mb > 1 and not late and n_exc % 2 == 0:
        n_exc += 1
    step = np.float32(np.float32(tr_ms - group_delay_ms) / np.float32(n_exc))
    if not interleaved:
        times = [np.float32(i * step) for i in range(n_exc)]
    else:
        odd = (n_exc - 1) // 2
        times = [np.float32((i // 2) * step) if i % 2 == 0 else np.float32((odd + (i + 1) // 2) * step)
                 for i in range(n_exc)]
        if mb > 1 and late and n_exc > 2 and n_exc % 2 == 0:
            times[-1], times[-3] = times[-3], times[-1]
    return [float(times[i % n_exc]) for i in range(nz)]


def readout(header, lines, recon, accel):
    """(EffectiveEchoSpacing, TotalReadoutTime) in s from GE's echo spacing (0043,102C, us); None without it.

    dcm2niix's rule: the acquired lines are rounded up to a multiple of 2
    (4 with partial Fourier: (0018,9081) YES or PFF in ScanOptions) after the
    in-plane acceleration; the readout spans those lines less one, the
    effective spacing divides it by the acquisition matrix's phase lines less
    one, and the total readout time multiplies that by the reconstructed
    phase lines less one.

    Examples
    --------
    >>> from medfast.dicom.header import ValuesHeader
    >>> ees, trt = readout(ValuesHeader({(0x0043, 0x102C): 500}), 72, 128, 1.0)
    >>> round(ees, 7), round(trt, 5)
    (0.0005, 0.0635)
    """
    spacing = number(header.get((0x0043, 0x102C)))
    if not (spacing > 0 and recon > 1 and accel > 0):
        return None
    partial = text(header.find("PartialFourier")).upper().startswith("Y") or "PFF" in text(header.get("ScanOptions"))
    f = np.float32(4.0 if partial else 2.0)
    acquired = np.float32(math.ceil(np.float32(1.0) / f * np.float32(lines) / np.float32(accel)) * f)
    total = np.float32((acquired - np.float32(1.0)) * np.float32(int(spacing)) * np.float32(0.000001))
    if lines - 1 == 0:
        return None
    ees = float(total) / (lines - 1)
    return ees, ees * (recon - 1.0)


def accel_in_plane(header):
    """GE's in-plane acceleration: 1 / the first ASSET factor (0043,1083), else (0018,9069); 0 when neither."""
    accel = number(header.find("ParallelReductionFactorInPlane"), 0.0)
    asset = floats(header.get((0x0043, 0x1083)))
    if asset and asset[0] > 0:
        accel = float(np.float32(1.0) / np.float32(asset[0]))
    return accel


def diffusion_cycling(header):
    """(gradient cycling mode or None, tensor file number) of a GE spin-echo EPI (dcm2niix's issue 635 rule).

    Premier, UHP and 7.0T systems cycle: special OFF when user data 15
    (0019,10B6) is 0.72 (Premier) or within 0.5..1 (UHP, 7.0T), else 2TR or
    3TR as user data 12 (0019,10B3) says (tensor file 2 or 3 when user data
    11 is 0), else all TRs. Other systems do not cycle (OFF).
    """
    version, internal = epi_versions(header)
    tensor = _rounded(header, (0x0019, 0x10B2))
    if version != EPI2 and internal != 2:
        return None, tensor
    model = text(header.get("ManufacturerModelName"))
    user12 = _rounded(header, (0x0019, 0x10B3))
    user15 = number(header.get((0x0019, 0x10B6)), 0.0)
    if not any(name in model for name in ("Premier", "UHP", "7.0T")):
        return "OFF", tensor
    premier_off = "Premier" in model and abs(np.float32(user15) - np.float32(0.72)) <= 1e-4
    uhp_off = ("UHP" in model or "7.0T" in model) and 0.5 <= user15 <= 1.0
    if premier_off or uhp_off:
        return "SPOFF", tensor
    if user12 == 2:
        return "2TR", tensor or 2
    if user12 == 3:
        return "3TR", tensor or 3
    return "ALLTR", tensor


def diffusion_directions(header):
    """dcm2niix's numberOfDiffusionDirectionGE: (0019,10E0) rounded, -1 when absent, 0 when not DTI.

    Not DTI: a diffusion direction type (0043,1030) other than 14 or 16, or a
    series type (0021,105A) other than 16.
    """
    value = header.get((0x0019, 0x10E0))
    directions = _rounded(header, (0x0019, 0x10E0)) if value is not None else -1
    vas = integer(header.get((0x0043, 0x1030)), 0)
    series_type = integer(header.get((0x0021, 0x105A)), 0)
    if (vas > 0 and vas not in (14, 16)) or (series_type > 0 and series_type != 16):
        directions = 0
    return directions


def diffusion_keys(header):
    """GE's diffusion keys of a spin-echo EPI (epi2/EPI2) series, in dcm2niix's order; {} otherwise.

    NumberOfDiffusionDirectionGE (0019,10E0) is left out for images that are
    not DTI (0043,1030 set to other than 14 or 16, or a series type 0021,105A
    other than 16); the tensor file number is user data 11 (0019,10B2), and
    on Premier, UHP and 7.0T systems the gradient cycling mode follows from
    user data 15 (0019,10B6) and 12 (0019,10B3).
    """
    version, internal = epi_versions(header)
    if version != EPI2 and internal != 2:
        return {}
    out = {}
    directions = diffusion_directions(header)
    if directions > 0:
        out["NumberOfDiffusionDirectionGE"] = directions
    t2 = _rounded(header, (0x0019, 0x10DF))
    if t2 > 0:
        out["NumberOfDiffusionT2GE"] = t2
    cycling, tensor = diffusion_cycling(header)
    if tensor > 0:
        out["TensorFileNumberGE"] = tensor
    if cycling not in (None, "OFF"):  # dcm2niix writes every mode but OFF (non-cycling systems)
        out["DiffGradientCyclingGE"] = cycling
    return out


def reconstruction_keys(header):
    """CompressedSensingFactor (0043,10B7, first value > 1) and DeepLearning / DeepLearningDetails (0043,10CA).

    Examples
    --------
    >>> from medfast.dicom.header import ValuesHeader
    >>> reconstruction_keys(ValuesHeader({(0x0043, 0x10B7): ("1.24", "1"), (0x0043, 0x10CA): ("0.75", "High")}))
    {'CompressedSensingFactor': 1.24, 'DeepLearning': True, 'DeepLearningDetails': '0.75\\\\High'}
    """
    out = {}
    cs = number(header.get((0x0043, 0x10B7)))
    if cs > 1.0:
        out["CompressedSensingFactor"] = cs
    details = header.get((0x0043, 0x10CA))
    if details is not None and len(text(details)) >= 2:
        out["DeepLearning"] = True
        if text(details):
            out["DeepLearningDetails"] = text(details)
    return out


def b0map_hz(header, instance):
    """Whether a GE B0map image is of the field-map (Hz) volume: True, False, or None (not split).

    dcm2niix's rule (issue 501): the pulse sequence (0019,109C) names "b0map"
    or the internal one (0019,109E) is "B0map", and the locations in the
    acquisition (0021,104F), times the ZIP factor (SliceThickness over
    SpacingBetweenSlices, rounded, when above 1), differ from the images in
    the acquisition (0020,1002, else 0054,0081): then the images numbered up
    to those locations hold the field map in Hz, the others the magnitude.

    Examples
    --------
    >>> from medfast.dicom.header import ValuesHeader
    >>> h = ValuesHeader({"Manufacturer": "GE MEDICAL SYSTEMS", (0x0019, 0x109E): "B0map",
    ...                   (0x0021, 0x104F): 4, "ImagesInAcquisition": 8})
    >>> b0map_hz(h, 3), b0map_hz(h, 5)
    (True, False)
    """
    if "b0map" not in _string(header, (0x0019, 0x109C)) and _string(header, (0x0019, 0x109E)) != "B0map":
        return None
    locations = _locations(header)
    if locations is None:
        return None
    return instance <= locations * max(zip_factor(header), 1)


def _locations(header):
    """GE's locations in the acquisition (0021,104F) when they differ from the images in it; else None."""
    if not text(header.get("Manufacturer")).upper().startswith("GE"):
        return None
    images = integer(header.get("ImagesInAcquisition"), 0) or integer(header.get((0x0054, 0x0081)), 0)
    locations = integer(header.get((0x0021, 0x104F)), 0)
    return locations if images > 0 and locations > 0 and images != locations else None


def zip_factor(header):
    """GE's through-plane interpolation (ZIP) factor, dcm2niix's Interpolation3D; 0 when none.

    Measured only where the locations (0021,104F) and the images in the
    acquisition disagree: SliceThickness over SpacingBetweenSlices, rounded.

    Examples
    --------
    >>> from medfast.dicom.header import ValuesHeader
    >>> zip_factor(ValuesHeader({"Manufacturer": "GE", (0x0021, 0x104F): 6, "ImagesInAcquisition": 12,
    ...                          "SliceThickness": 2.0, "SpacingBetweenSlices": 1.0}))
    2
    """
    spacing = number(header.get("SpacingBetweenSlices"), 0.0)
    if _locations(header) is None or not spacing > 0:
        return 0
    factor = int(np.float32(number(header.get("SliceThickness"), 0.0) / spacing) + np.float32(0.5))
    return factor if factor > 1 else 0
