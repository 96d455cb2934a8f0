"""GE's protocol data block: the gzip-compressed ``KEY "value"`` text in private tag (0025,101B).

The element holds a 4-byte little-endian length, then a gzip stream. The
stream is inflated with a hard output bound, so a hostile file cannot make
medfast allocate more than ``_MAX_TEXT`` bytes; anything malformed reads as
an empty block (dcm2niix, too, simply goes without the values then).
"""
from __future__ import annotations

import re
import struct
import zlib

from .values import number, text

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
    """(major.minor as float, release number) of GE's SoftwareVersions; EA counts as release 0.

    Examples
    --------
    >>> software_version("27\\\\LX\\\\MR Software release:RX27.0_R02_1831.a"), software_version("28\\\\LX\\\\MR29.1_EA_2039.g")
    ((27.0, 2), (29.1, 0))
    """
    version = text(value)
    tail = version.split(":", 1)[1] if ":" in version else version.rsplit("\\", 1)[-1]
    m = re.match(r"..(\d+)\.(\d+)_(..)(\d*)", tail)
    if not m:
        return 0.0, 0
    release = 0 if m.group(3) == "EA" else int(m.group(4) or 0)
    return int(m.group(1)) + 0.1 * int(m.group(2)), release


def epi_versions(header):
    """(pulse sequence 0 epi / 1 epiRT / -1 other, internal 1 EPI / 2 EPI2 / -1 other) from (0019,109C/109E)."""
    def name(element):
        value = header.get((0x0019, element)) if header is not None else None
        return "" if isinstance(value, bytes) else text(value).strip()

    pulse = {"epi": 0, "epirt": 1, "epi2": 2, "epi2rt": 2}.get(name(0x109C).lower(), -1)
    internal = {"EPI": 1, "EPI2": 2}.get(name(0x109E).upper(), -1)
    return pulse, internal


def slice_times_ms(header, block, nz, tr_ms):
    """Slice times (ms, in acquisition-location order) as dcm2niix estimates them for GE EPI fMRI; None otherwise.

    GE reports no slice times: they follow from the TR, the slice order
    (SLICEORDER 0 sequential, else interleaved), the multiband factor
    (MBACCEL) and the group delay, only for multi-phase (epi) and fMRI (epiRT) EPI.

    Examples
    --------
    >>> slice_times_ms(None, {"IOPT": "EPI, FMRI", "SLICEORDER": "1"}, 5, 1000.0)
    [0.0, 600.0, 200.0, 800.0, 400.0]
    """
    if not block or nz < 2 or not tr_ms > 0:
        return None
    pulse, internal = epi_versions(header)
    iopt = block.get("IOPT", "")
    group_delay = 0.0
    if pulse == 1 or "FMRI" in iopt:
        delay = number(header.get((0x0043, 0x107C)) if header is not None else None)
        group_delay = delay * 1000.0 if delay == delay else 0.0
    elif pulse == 0 or "MPh" in iopt:
        group_delay = _float(block, "DELACQNOAV", 0.0) * 1000.0
        if "MPh" in iopt and block.get("DELACQ") == "Minimum":
            group_delay = 0.0
        if "MPhVar" in iopt:
            return None  # variable delays: dcm2niix gives up too
        tr_ms += max(group_delay, 0.0)
    else:
        return None
    mb = max(_int(block, "MBACCEL", 1), 1)
    version, release = software_version(header.get("SoftwareVersions") if header is not None else "")
    late = version >= 27.1 or (int(version) == 27 and release >= 3)
    n_exc = -(-nz // mb)
    if mb > 1 and version < 26.0:
        return None
    if mb > 1 and not late and n_exc % 2 == 0:
        n_exc += 1
    step = (tr_ms - group_delay) / n_exc
    if _int(block, "SLICEORDER", 0) == 0:
        times = [i * step for i in range(n_exc)]
    else:
        odd = (n_exc - 1) // 2
        times = [(i // 2) * step if i % 2 == 0 else (odd + (i + 1) // 2) * step for i in range(n_exc)]
        if mb > 1 and late and n_exc > 2 and n_exc % 2 == 0:
            times[-1], times[-3] = times[-3], times[-1]
    return [times[i % n_exc] for i in range(nz)]
