"""dcm2niix's output names: the ``-f`` template, its suffixes and its name-conflict rule.

Pure functions of a series' name fields (``name_fields``): no file is read here.
The rules follow dcm2niix's ``nii_createFilename``: template tokens are
substituted, then the suffixes dcm2niix appends to keep series apart (``_e2``,
``_ph``, ``_real``, ``_imaginary``, ``_fieldmaphz``, ``_c<coil>``, ``_t<delay>``,
``_i<image>``, ``_Raw``, ``_PS``), then characters that are unsafe in file names
become ``_`` and runs of ``_`` collapse to one.
"""
from __future__ import annotations

import math
import os

from ..dicom.grouping import protocol_name, tr_count
from ..dicom.header import as_header
from ..dicom.siemens import is_no_rf, is_xa
from ..dicom.values import integer, number, round_half_away, strings, text as _text, vendor_key

# vendor key -> (%m, %v) of the name template; dcm2niix's dcmStrManufacturer
_VENDORS = {
    "SI": ("Si", "Siemens"), "CP": ("Si", "Siemens"), "GE": ("GE", "GE"), "PH": ("Ph", "Philips"),
    "TO": ("To", "Toshiba"), "CA": ("Ca", "Canon"), "UI": ("UI", "UIH"), "BR": ("Br", "Bruker"),
    "HI": ("NA", "NA"), "ME": ("NA", "NA"), "MR": ("NA", "NA"), "HY": ("NA", "NA"),
}

# characters dcm2niix replaces by "_" in names (it masks Windows' reserved ones on every OS)
_UNSAFE = set('\\/ <>:;"*|?')
# ISO 8859-1 letters with accents -> ASCII, as dcm2niix's cleanISO8859
_LATIN1 = {**{c: "A" for c in range(192, 199)}, 199: "C", **{c: "E" for c in range(200, 204)},
           **{c: "I" for c in range(204, 208)}, 208: "D", 209: "N", **{c: "O" for c in range(210, 215)},
           215: "x", 216: "O", **{c: "O" for c in range(217, 221)}, 221: "Y",
           **{c: "a" for c in range(224, 231)}, 231: "c", **{c: "e" for c in range(232, 236)},
           **{c: "i" for c in range(236, 240)}, 240: "o", 241: "n", **{c: "o" for c in range(242, 247)},
           248: "o", **{c: "u" for c in range(249, 253)}, 253: "y", 255: "y"}
_SEP = "\a"  # stands for a path separator written in the template while values are substituted

NAME_CONFLICT_SKIP, NAME_CONFLICT_OVERWRITE, NAME_CONFLICT_SUFFIX = 0, 1, 2
OUTPUT_EXTENSIONS = (".nii", ".nii.gz", ".nrrd", ".nhdr")


def _int(value, default=0):
    return integer(value, default)


def echo_number(header, meta, default=1):
    """The series' echo number: the reader's, else Siemens XA's ICE dimensions (0021,1106) "X_<echo>_...", else ``default``.

    Examples
    --------
    >>> echo_number({}, {"EchoNumber": 2}), echo_number({}, {}), echo_number({}, {}, default=0)
    (2, 1, 0)
    """
    header = as_header(header)
    echo = meta.get("EchoNumber") or header.get("EchoNumbers")
    if echo in (None, "") and header.frames():
        frames = meta.get("frames") or [(None, 0)]
        dims = _text(header.private((0x0021, 0x1106), frames[0][1])).split("_")
        echo = dims[1] if len(dims) > 1 and dims[1].isdigit() else None
    return _int(echo, default) if echo not in (None, "") else default


def image_number(header, instance_uid=None):
    """dcm2niix's image number (``%r``): the first InstanceNumber above 0 anywhere in the file, nested or not.

    A PET ImageIndex (0054,1330) above 0 replaces it; a file without any InstanceNumber gets the CRC-32 of
    ``instance_uid`` (default its SOPInstanceUID; dcm2niix's is the MediaStorageSOPInstanceUID) as a signed
    int, made positive, modulo 2^31 - 1 (1 for 0). Siemens: a fldyn3d1
    (DCE) image adds 1000 times its AcquisitionNumber (XA10 to XA31) or SeriesNumber, FrameNumberInSeries
    (0021,118A, the last one) replaces the number, and a one-frame XA file with a SeriesTime adds 1000
    times its SeriesNumber (dcm2niix's issue 394).

    Examples
    --------
    >>> image_number({"InstanceNumber": 7}), image_number({"SOPInstanceUID": "1.2.3"})
    (7, 1984501790)
    """
    import zlib

    header = as_header(header)
    number = 0
    for value in header.occurrences(["InstanceNumber"])[0x00200013]:
        if number < 1:
            number = _int(value, 0)
    if not header.occurrences(["InstanceNumber"])[0x00200013]:
        uid = _text(header.get("SOPInstanceUID")) if instance_uid is None else instance_uid
        crc = zlib.crc32(uid.strip("\0 ").encode("latin-1", "replace"))
        number = abs(crc - (1 << 32) if crc >= 1 << 31 else crc) % 2147483647 or 1
    index = _int(header.last((0x0054, 0x1330)), 0)
    if _text(header.get("Modality")).strip() == "PT" and index > 0:
        number = index
    if vendor_key(header.get("Manufacturer")) != "SI":
        return number
    series = _int(header.get("SeriesNumber"), 0)
    if "fldyn3d1" in _text(header.get("SequenceName")):
        version = _text(header.get("SoftwareVersions"))
        early_xa = len(version) > 4 and any(v in version for v in ("XA10", "XA11", "XA20", "XA30", "XA31"))
        number += 1000 * (_int(header.get("AcquisitionNumber"), 0) if early_xa else series)
    frame = header.last((0x0021, 0x118A))
    if frame is not None:
        number = _int(frame, number)
    if len(_text(header.get("SeriesTime")).strip()) > 1 and is_xa(header) and _int(header.get("NumberOfFrames"), 1) <= 1:
        number += 1000 * series
    return number


def name_fields(header, meta=None, *, indir_parent="", source_name=""):
    """The values the ``-f`` tokens and the suffixes need, from a series' first header and its meta.

    ``header`` is the series' first ``medfast.dicom.header.Header``;
    ``meta`` the series' ``Volume.meta``, whose keys win over the header's:
    echo number, multi-echo, image components (phase, real, imaginary,
    magnitude, field map in Hz), trigger delay, coil, non-parallel slices.

    Examples
    --------
    >>> f = name_fields({"ProtocolName": "T1 w", "SeriesNumber": 3, "Manufacturer": "SIEMENS"})
    >>> f["p"], f["s"], f["m"], f["v"]
    ('T1 w', 3, 'Si', 'Siemens')
    """
    meta = meta or {}
    header = as_header(header)
    get = header.get
    short, long_ = _VENDORS.get(vendor_key(meta.get("Manufacturer") or get("Manufacturer")), ("NA", "NA"))
    study_date, study_time = _text(get("StudyDate")), _text(get("StudyTime"))
    try:
        date_time = float(study_date or 0) * 1_000_000 + float(study_time or 0)
    except ValueError:
        date_time = 0.0
    run = meta.get("raw_data_run_number")
    if run is None:
        run = _int(get((0x0019, 0x10A2)), -1) if vendor_key(get("Manufacturer")) == "GE" \
            else _int(get("TemporalPositionIdentifier"), -1)
    coil = meta.get("coil_name")
    if coil is None:
        coil = _text(get((0x0051, 0x100F)))
    return {
        "a": coil, "b": source_name, "c": _text(get("ImageComments")),
        "d": _text(meta.get("SeriesDescription", get("SeriesDescription"))),
        "e": echo_number(header, meta),
        "f": indir_parent, "g": _text(get("AccessionNumber")), "i": _text(get("PatientID")),
        "j": _text(get("SeriesInstanceUID")), "k": _text(get("StudyInstanceUID")),
        "l": _text(get("PerformedProcedureStepDescription")), "m": short, "v": long_,
        "n": _text(get("PatientName")), "o": _text(get("SOPInstanceUID")),
        # dcm2niix's protocol name: SeriesDescription, then SequenceName stand in for an empty one; _MoCo
        "p": protocol_name(header, meta.get("ImageType") or strings(get("ImageType"))),
        "q": _text(get("ScanningSequence")),
        "r": image_number(header), "s": _int(meta.get("SeriesNumber", get("SeriesNumber"))),
        "t": date_time, "u": _int(get("AcquisitionNumber")), "x": _text(get("StudyID")), "y": run,
        "z": _text(get("SequenceName")),
        # suffix rules
        "multi_echo": bool(meta.get("multi_echo", False)),
        # no echo number at all: dcm2niix names the echo by its time (_e<TE>, issue 568); its TE of an
        # X-ray image is the XRayExposure (0018,1152), read when EchoTime left TE at 0
        "echo_time": (float(meta.get("EchoTime") or 0.0) or number(get("Exposure"), 0.0))
        if echo_number(header, meta, default=0) < 1 else 0.0,
        "coil_varies": bool(meta.get("coil_varies", False)),
        "tr_count": tr_count(header) if vendor_key(get("Manufacturer")) == "PH" else 1,
        "tr": number(get("RepetitionTime"), 0.0),
        "phase": bool(meta.get("is_phase", False)), "real": bool(meta.get("is_real", False)),
        "imaginary": bool(meta.get("is_imaginary", False)), "magnitude": bool(meta.get("is_magnitude", False)),
        "fieldmap_hz": bool(meta.get("real_is_fieldmap_hz", False)),
        "trigger_delay": float(meta.get("trigger_delay_time", 0.0) or 0.0),
        "asl": bool(meta.get("asl", False)), "vendor": vendor_key(get("Manufacturer")),
        "non_parallel": bool(meta.get("non_parallel_slices", False)),
        "no_rf": vendor_key(get("Manufacturer")) in ("SI", "CP") and is_no_rf(header),
        "raw_storage": bool(meta.get("raw_data_storage", False)), "gsps": bool(meta.get("presentation_state", False)),
    }


def format_name(template, fields, *, add_postfixes=True):
    """Expand a dcm2niix ``-f`` template into a relative output path without extension.

    Examples
    --------
    >>> f = name_fields({"ProtocolName": "EPI PE=AP", "SeriesNumber": 3})
    >>> format_name("%p_%s", f)
    'EPI_PE=AP_3'
    >>> format_name("%3s/%p", dict(f, e=2, multi_echo=True))
    '003/EPI_PE=AP_e2'
    """
    template = str(template or "T%t_N%n_S%s")
    dcm_ext = template.lower().endswith(".dcm")
    if dcm_ext:
        template = template[:-4]
    template = template.replace("\\", _SEP).replace("/", _SEP)
    out, pos, n = [], 0, len(template)
    reported = set()
    while pos < n:
        ch = template[pos]
        if ch != "%":
            out.append(ch)
            pos += 1
            continue
        pos += 1
        f = template[pos].upper() if pos < n else "P"
        if "0" <= f <= "9" and pos + 1 < n and template[pos + 1].upper() in "SRY":
            key = template[pos + 1].upper()
            value = {"S": fields["s"], "R": fields["r"], "Y": fields["y"]}[key]
            if key != "Y" or value >= 0:  # dcm2niix pads through a C int: a CRC series number above 2^31 goes negative
                out.append(f"{value - (1 << 32) if value >= 1 << 31 else value:0{f}d}")
            reported.add(key.lower())
            pos += 2
            continue
        out.append(_token(f, fields, reported, add_postfixes))
        pos += 1
    name = "".join(out)
    add = add_postfixes and not ("o" in reported and fields["o"])
    name += _suffixes(fields, reported, add)
    if dcm_ext:
        name += ".dcm"
    return _clean(name)


def _token(f, fields, reported, add_postfixes):
    key = f.lower()
    if key in ("a", "e", "s", "r", "o"):
        reported.add(key)
    if key == "t":  # dcm2niix: YYYYMMDDHH, MM, then the seconds rounded (60 kept at 59)
        stamp = fields["t"]
        seconds = min(round_half_away(math.fmod(stamp, 100)), 59)
        return f"{int(stamp / 10000):02d}{int(math.fmod(stamp, 10000) / 100):02d}{seconds:02d}"
    if key == "y":
        return str(fields["y"]) if fields["y"] >= 0 else ""
    if key in fields and key not in ("h", "w"):
        return str(fields[key])
    return ""


def _suffixes(fields, reported, add):
    out = ""
    echo_reported = "e" in reported
    if add and "a" not in reported and fields["coil_varies"]:
        out += "_c" + fields["a"]
    if add and fields.get("tr_count", 1) > 1 and fields.get("tr", 0.0) > 0:  # a series each TR (issue 743)
        out += f"_r{fields['tr']:g}"
    if add and not echo_reported and (fields["multi_echo"] or fields["e"] > 1):
        out += f"_e{fields['echo_time']:g}" if fields.get("echo_time", 0.0) > 0 else f"_e{fields['e']}"
        echo_reported = True
    if fields["non_parallel"] and "r" not in reported:
        out += f"_i{fields['r']:05d}"
    if add and fields.get("no_rf"):  # RF-off (noise) volumes split from their series
        out += "_noRF"
    if add and fields["imaginary"]:
        out += "_imaginary"
    if add and fields["real"]:
        out += "_fieldmaphz" if fields["fieldmap_hz"] else "_real"
    if add and fields["phase"]:
        out += "_phMag" if fields["magnitude"] else "_ph"
    if add and not fields["asl"] and fields["trigger_delay"] >= 1 and fields["vendor"] != "GE":
        out += f"_t{round_half_away(fields['trigger_delay'])}"
    if fields["raw_storage"]:
        out += "_Raw"
    if fields["gsps"]:
        out += "_PS"
    return out


def _clean(name):
    if not name:
        name = "dcm2nii_invalidName"
    if name[0] == ".":
        name = "_" + name[1:]
    chars = []
    for ch in name:
        if ch in _UNSAFE:
            ch = "_"
        elif ord(ch) >= 128:
            ch = _LATIN1.get(ord(ch), ch) if ord(ch) < 256 else ch
        if ch == _SEP:
            ch = "/"
        elif ord(ch) < 32:
            ch = "_"
        if ch == "_" and chars and chars[-1] == "_":
            continue
        chars.append(ch)
    return "".join(chars)


def exists(base):
    """True when dcm2niix would see ``base`` as taken: any of its image extensions exists."""
    return any(os.path.exists(base + ext) for ext in OUTPUT_EXTENSIONS)


def resolve_conflict(base, taken=exists, behaviour=NAME_CONFLICT_SUFFIX):
    """The output base path dcm2niix picks for ``base``, or None to skip (``-w 0``).

    ``taken(path)`` says whether a base path is in use (files on disk, or names
    already planned in this run). ``-w 2`` (default) appends ``a``, ``b`` ... ``z``.

    Examples
    --------
    >>> used = {"out/T1", "out/T1a"}
    >>> resolve_conflict("out/T1", used.__contains__)
    'out/T1b'
    >>> resolve_conflict("out/T1", used.__contains__, NAME_CONFLICT_SKIP) is None
    True
    """
    if not taken(base):
        return base
    if behaviour == NAME_CONFLICT_SKIP:
        return None
    if behaviour == NAME_CONFLICT_OVERWRITE:
        return base
    for i in range(25):  # dcm2niix gives up before using "z"
        candidate = base + chr(ord("a") + i)
        if not taken(candidate):
            return candidate
    from ..errors import ConversionError

    raise ConversionError(f"{base}: too many outputs with this name (a..z taken)")
