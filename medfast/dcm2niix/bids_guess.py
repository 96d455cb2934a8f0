"""dcm2niix's ``BidsGuess`` sidecar key: the BIDS data type and entity suffix it guesses for a series.

dcm2niix v1.0.20260724 (``setBids`` in ``nii_dicom_batch.cpp``) classifies a
series in four passes, reproduced here in the same order:

1. **Modality.** CT is ``["ct", "_ct"]`` and PET ``["pet", "_pet"]``, whatever
   the vendor.
2. **The vendor's rules** (Siemens, Philips, GE; dcm2niix has no branch for
   Canon, Toshiba, UIH, Hitachi, Bruker or the others). Each is an ordered
   table (``_SIEMENS``, ``_PHILIPS``, ``_GE``): the first row whose test
   holds gives the data type (``anat``, ``func``, ``dwi``, ``fmap``, ``perf``,
   or ``discard`` for localizers and console-derived maps) and the suffix
   (``T1w``, ``bold``, ``magnitude1`` ...), and says which entities follow.
   The suffix is then assembled as ``_acq-<label>[_rec-][_dir-][_run-]
   [_echo-][_inv-][_part-]_<suffix>``; the ``acq`` label is made of the
   sequence name and the acceleration (``p2`` in-plane, ``m3`` multiband).
   A derived image becomes data type ``derived``.
3. **Name heuristics** (MR, not discarded) on the protocol name and series
   description, lower-cased: a scanner diffusion map named as such (``FA``,
   ``ADC``, ``trace`` ...) replaces the guess; an ``acq-<x>`` token and a
   phase direction (``AP``, ``PA``, ``LR``, ``RL``) are spliced in where the
   suffix has none.
4. **Acquisition Contrast** (0008,9209): only when nothing gave a data type,
   T1 / T2 / PROTON_DENSITY / T2_STAR / FLUID_ATTENUATED / STIR / TOF, or
   DIFFUSION with gradients, name ``anat`` (or ``dwi``) and its suffix.

dcm2niix writes the key only when both the data type and the suffix are
non-empty. The values it reads are those of the series' first file as its
DICOM reader keeps them (strings cut to 64 characters, image-type flags from
every ImageType in the file, the in-plane and multiband factors the headers
state, before slice timing revises them); ``_Series`` gathers them from the
header, the volume's meta and the sidecar keys already computed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..dicom import ge, siemens
from ..dicom.diffusion import frame_gradient
from ..dicom.grouping import complex_flags, protocol_name
from ..dicom.header import as_header
from ..dicom.series import derived_image
from ..dicom.values import floats, integer, number, strings, text, vendor_key
from .naming import echo_number

_IMAGE_TYPE, _ACQUISITION_CONTRAST, _PHILIPS_LABEL = 0x00080008, 0x00089209, 0x20051429
# AcquisitionContrast (0008,9209) values dcm2niix recognises -> its weighting class
_CONTRASTS = {"DIFFUSION": "diffusion", "PERFUSION": "perfusion", "FLUID_ATTENUATED": "FLAIR",
              "PROTON_DENSITY": "PD", "T2_STAR": "T2star", "T1": "T1", "T2": "T2", "STIR": "STIR", "TOF": "TOF",
              "FLOW_ENCODED": "flow", "TAGGING": "tagging", "MIXED": "mixed", "OTHER": "other"}
_WEIGHTINGS = ("T1", "T2", "PD", "T2star", "FLAIR", "STIR")


def bids_guess(header, meta=None, sidecar=None, *, phase_positive=-1):
    """dcm2niix's BidsGuess ``(data type, entities and suffix)`` of a series, or None when it writes none.

    Parameters
    ----------
    header : medfast.dicom.header.Header, pydicom.Dataset or dict
        The series' first header.
    meta : dict, optional
        The volume's ``meta`` (echo, image components, multi-echo, field map
        in Hz, trigger delay, frames, repetition time).
    sidecar : dict, optional
        The sidecar keys already computed (``ImageType``, ``SeriesNumber``,
        ``PhaseEncodingPolarityGE``): the guess reads them as dcm2niix does.
    phase_positive : int
        dcm2niix's phaseEncodingDirectionPositive (1, 0, or -1 unknown), for
        Siemens' ``_dir-`` entity.

    Examples
    --------
    >>> bids_guess({"Modality": "CT"}), bids_guess({"Modality": "MR", "Manufacturer": "Acme"})
    (('ct', '_ct'), None)
    >>> bids_guess({"Modality": "MR", "Manufacturer": "SIEMENS", "SequenceName": "epfid2d1_64",
    ...             "ImageType": ["ORIGINAL", "PRIMARY", "FMRI", "NONE"], "SeriesNumber": 6,
    ...             "InPlanePhaseEncodingDirection": "COL"}, {"orientation": [1, 0, 0, 0, 1, 0]})
    ('func', '_acq-epfid2_dir-AP_run-6_bold')
    """
    ds = as_header(header)
    modality = text(ds.find("Modality"))
    if modality[:1] == "C" and modality[1:2].upper() == "T":
        return "ct", "_ct"
    if modality[:1] == "P" and modality[1:2].upper() == "T":
        return "pet", "_pet"
    s = _Series.read(ds, meta or {}, sidecar or {}, phase_positive)
    datatype, suffix = "", ""
    rules = {"SI": _siemens, "PH": _philips, "GE": _ge}.get(s.vendor)
    if rules is not None and (s.mr or s.vendor == "GE"):  # dcm2niix's GE rules do not check the modality
        datatype, suffix = rules(s)
    if s.mr and "discard" not in datatype:
        datatype, suffix = _heuristics(s, datatype, suffix)
    if not datatype and s.mr:
        datatype, suffix = _from_acquisition_contrast(s, suffix)
    return (datatype, suffix) if datatype and suffix else None


# ---- what dcm2niix's reader keeps -------------------------------------------------------------------


def _f32(value):
    """A number as the float32 dcm2niix keeps (NaN and absent read as 0)."""
    x = number(value, 0.0)
    with np.errstate(over="ignore"):
        return float(np.float32(x if x == x else 0.0))


def _dicom_str(value, size=66):
    """A string as dcm2niix's dcmStr keeps it: at most size - 1 characters, two fewer when that cut ends at '_'."""
    out = text(value)
    if len(out) >= size - 1:
        out = out[:size - 3] if out[size - 2] == "_" else out[:size - 1]
    return out


def _value(ds, keyword):
    """dcm2niix's flat parse: an enhanced file's value is the last one anywhere in the file."""
    return ds.last(keyword) if ds.frames() else ds.find(keyword)


@dataclass
class _Series:
    """The fields of dcm2niix's TDICOMdata that its BIDS rules read (strings as dcmStr keeps them)."""

    vendor: str = ""
    mr: bool = False
    protocol: str = ""
    description: str = ""
    image_type: str = ""           # the first ImageType, values joined by "_"
    derived: bool = False
    localizer: bool = False
    non_spatial: bool = False
    contrast: str = ""             # weighting class of AcquisitionContrast ('' when none)
    dti: bool = False              # gradients reported (dcm2niix's CSA.numDti > 0)
    diffusion: bool = False        # dcm2niix's isDiffusion
    phase: bool = False
    real: bool = False
    imaginary: bool = False
    magnitude: bool = False
    field_map_hz: bool = False     # dcm2niix's isRealIsPhaseMapHz
    echo: int = 0
    multi_echo: bool = False
    te: float = 0.0                # ms, float32 as dcm2niix keeps it
    tr: float = 0.0
    field_strength: float = 0.0
    flip: float = 0.0
    ti: float = 0.0
    accel: float = 0.0             # in-plane factor as read (before the sidecar's CSA precedence)
    multiband: int = 1             # as read (before slice timing revises it)
    series: int = 0
    rc: str = "?"                  # InPlanePhaseEncodingDirection: 'R', 'C' or '?'
    phase_positive: int = -1
    ge_unflipped: bool = False
    slices_in_file: int = 1
    files: int = 1
    sequence_name: str = ""
    pulse_sequence: str = ""
    scanning: str = ""
    variant: str = ""
    comments: str = ""
    no_rf: bool = False
    echo_train: int = 0
    trigger_delay: float = 0.0
    asl_label: bool = False        # Philips (2005,1429) LABEL or CONTROL
    internal_sequence: str = ""    # GE (0019,109E)
    procedure: str = ""            # GE: PerformedProcedureStepDescription and the protocol's PSEQ
    protocol_block: dict = field(default_factory=dict)  # Siemens: tSequenceFileName, TIs, contrasts

    @classmethod
    def read(cls, ds, meta, sidecar, phase_positive):
        s = cls()
        s.vendor = vendor_key(ds.find("Manufacturer"))
        if s.vendor == "CP":
            s.vendor = "SI"
        modality = text(ds.find("Modality"))
        s.mr = modality[:1] == "M" and modality[1:2].upper() == "R"
        occurrences = _occurrences(ds)
        types = [t for t in occurrences[_IMAGE_TYPE] if t]
        s.image_type = types[0] if types else ""
        s.description = _dicom_str(ds.find("SeriesDescription"))
        s.protocol = _dicom_str(protocol_name(ds, strings(ds.get("ImageType"))))
        s.derived = any(derived_image(t.split("_")) for t in types)
        s.field_map_hz = bool(meta.get("real_is_fieldmap_hz")) or any(
            len(t) > 5 and "B0" in t and "MAP" in t for t in types)
        contrasts = [_CONTRASTS[c] for c in occurrences[_ACQUISITION_CONTRAST] if c in _CONTRASTS]
        s.contrast = contrasts[-1] if contrasts else ""
        s.diffusion = "diffusion" in contrasts or any(len(t) > 12 and "_DIFFUSION_" in t for t in types)
        frames = meta.get("frames") or [(None, None)]
        s.dti = frame_gradient(ds, frames[0][1] if ds.frames() else None) is not None or \
            _value(ds, "DiffusionGradientOrientation") is not None or \
            (s.vendor == "SI" and ds.private((0x0019, 0x100C), nested=False) is not None)
        phase, real, imaginary = complex_flags(ds, strings(ds.get("ImageType"))) if not ds.frames() else (0, 0, 0)
        s.phase = bool(meta.get("is_phase") or phase)
        s.real = bool(meta.get("is_real") or real)
        s.imaginary = bool(meta.get("is_imaginary") or imaginary)
        # the sidecar's ImageType appends MAGNITUDE exactly where dcm2niix's isHasMagnitude holds
        s.magnitude = "MAGNITUDE" in (sidecar.get("ImageType") or [])[1:]
        s.echo = echo_number(ds, meta, default=0)
        s.multi_echo = bool(meta.get("multi_echo"))
        s.te = _f32(meta.get("EchoTime") or _value(ds, "EchoTime"))
        tr = meta.get("repetition_time")
        s.tr = _f32(tr * 1000.0 if tr else _value(ds, "RepetitionTime"))
        s.field_strength = _f32(_value(ds, "MagneticFieldStrength"))
        s.flip = _f32(_value(ds, "FlipAngle"))
        inversion = _value(ds, "InversionTime")
        s.ti = _f32(inversion if inversion is not None else _value(ds, "InversionTimes"))
        s.series = _series_number(ds, meta, sidecar)
        s.rc = text(_value(ds, "InPlanePhaseEncodingDirection"))[:1].upper() or "?"
        s.phase_positive = phase_positive
        s.ge_unflipped = sidecar.get("PhaseEncodingPolarityGE") == "Unflipped"
        s.slices_in_file = _slices_in_file(ds, meta, s.vendor)
        s.files = int(meta.get("files") or 1)
        s.sequence_name = _dicom_str(_value(ds, "SequenceName"))
        s.pulse_sequence = _dicom_str(_value(ds, "PulseSequenceName"))
        s.scanning = _dicom_str(_value(ds, "ScanningSequence"))
        s.variant = _dicom_str(_value(ds, "SequenceVariant"))
        s.comments = _dicom_str(_value(ds, "ImageComments"), 256)
        s.echo_train = integer(_value(ds, "EchoTrainLength"), 0)
        s.accel = _accel_as_read(ds, s.vendor)
        if s.vendor == "SI":
            _siemens_read(s, ds)
        elif s.vendor == "GE":
            _ge_read(s, ds)
        elif s.vendor == "PH":
            s.trigger_delay = float(meta.get("trigger_delay_time") or 0.0)
            s.asl_label = any(text(v)[:1].upper() in ("L", "C") for v in occurrences[_PHILIPS_LABEL])
        orientation = meta.get("orientation")
        if orientation is None:
            orientation = floats(_value(ds, "ImageOrientationPatient"))
        s.non_spatial = not any(float(v) != 0.0 for v in orientation or ())
        return s


def _occurrences(ds):
    """Every value, in file order and nested ones too, of the tags whose every occurrence dcm2niix reads."""
    wanted = {_IMAGE_TYPE: [], _ACQUISITION_CONTRAST: [], _PHILIPS_LABEL: []}
    for tag, _, value in ds.walk():
        if tag in wanted:
            wanted[tag].append(value)
    # cut as read (backslashes and all), then the values joined by "_"
    wanted[_IMAGE_TYPE] = [_dicom_str("\\".join(strings(v))).replace("\\", "_") for v in wanted[_IMAGE_TYPE]]
    wanted[_ACQUISITION_CONTRAST] = [text(v) for v in wanted[_ACQUISITION_CONTRAST]]
    return wanted


def _series_number(ds, meta, sidecar):
    found = sidecar.get("SeriesNumber") or meta.get("SeriesNumber") or integer(ds.find("SeriesNumber"), 0)
    if found and int(found) > 0:
        return int(found)
    import zlib  # no series number: dcm2niix numbers the series by the CRC-32 of its UID (its issue 218)

    return zlib.crc32(_dicom_str(ds.find("SeriesInstanceUID")).encode("latin-1", "replace"))


def _slices_in_file(ds, meta, vendor):
    """dcm2niix's xyzDim[3] of the first file: 1 a classic image, the frames of a multi-frame file."""
    frames = integer(ds.get("NumberOfFrames"), 1) or 1
    if ds.frames() and vendor == "PH":  # Philips enhanced: the slices of one volume
        return int((meta.get("shape_nz_nt") or (frames, 1))[0])
    return frames


def _accel_as_read(ds, vendor):
    """The in-plane factor dcm2niix's reader keeps, raised to (0018,9069) where that is larger."""
    stated = _f32(_value(ds, "ParallelReductionFactorInPlane"))
    accel = 0.0 if vendor == "SI" else stated  # Siemens: the PAT mode text, not (0018,9069)
    if vendor == "SI":
        accel = siemens.pat_mode(ds)[0]
    elif vendor == "GE":
        asset = floats(ds.private((0x0043, 0x1083), nested=False))
        if asset and asset[0] > 0:
            accel = _f32(1.0 / _f32(asset[0]))
    return stated if stated > 1.0 and accel < stated else accel


def _siemens_read(s, ds):
    """A Siemens series' protocol (sequence file, TIs, contrasts), noise flag, localizer flag and multiband factor."""
    block = siemens.protocol(ds)
    if block:
        nan = math.nan
        s.protocol_block = {
            "details": siemens.protocol_text(block, "tSequenceFileName"),
            "ti": [siemens.protocol_float(block, f"alTI[{i}]", nan) if "alTI[" in block else nan for i in (0, 1)],
            "contrasts": siemens.protocol_int(block, "lContrasts"),
            "inversion_contrasts": siemens.protocol_int(block, "lInvContrasts"),
        }
    s.no_rf = siemens.is_no_rf(ds)
    s.localizer = "LOCALIZER" in text(ds.private((0x0021, 0x103F))).upper() or any(
        key in name for key, name in (("AAHScout", s.description), ("AAHScout", s.protocol),
                                      ("fl2d1", s.sequence_name), ("fl2d1", s.pulse_sequence)))
    s.localizer = s.localizer and "b1map" not in s.description  # issue 751: a B1 map shares the scout's sequence
    multiband = max(1, int(siemens.pat_mode(ds)[1]))
    if text(ds.get("MRAcquisitionType")).upper() != "3D":  # slices sharing the first slice's time
        times = siemens.csa_items(ds, "MosaicRefAcqTimes")
        times = times if len(times) > 3 else floats(ds.private((0x0019, 0x1029), nested=False))
        times = [_f32(v) for v in times]
        if times:
            multiband = max(multiband, 1 + sum(1 for t in times[1:] if t == times[0]))
    s.multiband = multiband


def _ge_read(s, ds):
    """A GE series' sequence names, procedure description, diffusion flag, localizer flag and multiband factor."""
    s.pulse_sequence = _dicom_str(ds.private((0x0019, 0x109C), nested=False) or _value(ds, "PulseSequenceName"))
    s.internal_sequence = _dicom_str(ds.private((0x0019, 0x109E), nested=False))
    description = _dicom_str(ds.find("PerformedProcedureStepDescription"))
    s.procedure = (description + ge.protocol_block(ds).get("PSEQ", ""))[:65]
    if s.diffusion or ds.private((0x0043, 0x1039), nested=False) is not None:  # GE: diffusion only for EPI2
        s.diffusion = ge.epi_versions(ds)[1] == 2 or ge.epi_versions(ds)[0] == ge.EPI2
    s.localizer = number(ds.private((0x0019, 0x1017), nested=False), 0.0) == 256 and "b1map" not in s.description
    s.multiband = ge.multiband(ds)


# ---- the weighting dcm2niix infers from the contrast tag or the physics ------------------------------


def _weighting(s, spin_echo):
    """dcm2niix's MRWeightingGuess: Acquisition Contrast, else TE (spin echo) or the Ernst angle (gradient echo)."""
    if s.contrast in _WEIGHTINGS:
        return s.contrast
    if s.te <= 0.0:
        return ""
    te = s.te / 1000.0
    if spin_echo:
        return "T2" if te >= 0.045 else "PD"
    if s.tr <= 0.0 or s.field_strength <= 0.0 or s.flip <= 0.0:
        return ""
    if te >= 0.5 * (0.050 / s.field_strength):
        return "T2star"
    ernst = math.degrees(math.acos(math.exp(-(s.tr / 1000.0) / (0.8 * s.field_strength ** 0.38))))
    return "T1" if s.flip >= 1.3 * ernst else "PD"


_SE_SUFFIX = {"T2": "T2w"}  # spin echo: T2-weighted, else proton density (dcm2niix's legacy default)
_GRE_SUFFIX = {"T2star": "T2starw", "T1": "T1w"}


# ---- the vendor tables ------------------------------------------------------------------------------


@dataclass
class _Guess:
    """One vendor row's outcome and the entities that follow it."""

    datatype: str = ""
    suffix: str = ""
    echo: bool = True          # report _echo-
    run: bool = True           # report _run- (field maps share theirs across series)
    direction: bool = False    # report _dir- (Siemens and GE)
    part: bool = False         # report _part-
    multi_echo: bool = False
    derived: bool = False
    rec: str = ""
    acq_prefix: str = ""
    dual_ti: bool = False


def _first_row(table, s, g):
    for test, outcome in table:
        if test(s):
            if callable(outcome):
                outcome(s, g)
            else:
                for name, value in outcome.items():
                    setattr(g, name, value)
            return


def _details(s):
    """Siemens' sequence file name (tSequenceFileName), else the sequence name."""
    found = s.protocol_block.get("details", "")
    return found if len(found) >= 2 else _seq_name(s)


def _seq_name(s):
    return s.sequence_name if len(s.sequence_name) >= 2 else s.pulse_sequence


def _has(text_of, *needles):
    return lambda s: any(n in text_of(s) for n in needles)


def _b1_map(s, g):
    g.datatype, g.suffix = "fmap", "TB1TFL"
    g.acq_prefix = "famp" if "FLIP ANGLE MAP" in s.image_type else "anat"


def _mprage(s, g):
    g.datatype, g.suffix = "anat", "MP2RAGE" if g.dual_ti else "T1w"
    if "T1 MAP" in s.image_type:
        g.suffix, g.dual_ti = "T1map", False
    if "_UNI" in s.image_type:
        g.suffix, g.dual_ti = "UNIT1", False
        if "DENOISED IMAGE" in s.comments:
            g.rec = "denoise"
    g.derived = False  # Siemens calls UNIT1 derived; BIDS does not


def _siemens_dwi(s, g):
    g.datatype, g.direction = "dwi", True
    g.suffix = "sbref" if "_SBRef" in s.description else "dwi"


def _siemens_asl(s, g):
    g.datatype, g.suffix = "perf", "m0scan" if "_m0" in s.description else "asl"


def _space(s, g):
    spcir = any("spcir" in v for v in (_details(s), s.sequence_name, s.pulse_sequence))
    g.datatype, g.suffix = "anat", "FLAIR" if spcir else "T2w"


def _tse(s, g):
    g.datatype, g.echo = "anat", False
    if "tir" in s.sequence_name:
        g.suffix = "FLAIR"
    if "tse2d" in s.sequence_name or "tse2d" in s.pulse_sequence:
        g.suffix = _SE_SUFFIX.get(_weighting(s, True), "PDw")


def _siemens_field_map(s, g):
    g.datatype, g.echo, g.run, g.part = "fmap", False, False, False
    if s.phase:
        g.suffix = "phasediff"
    if s.magnitude:
        g.suffix = f"magnitude{s.echo}"


def _vibe(s, g):
    weighting = _weighting(s, False)
    if weighting:
        g.datatype, g.suffix, g.part = "anat", _GRE_SUFFIX.get(weighting, "PDw"), True


def _segmented_epi(s, g):
    g.datatype, g.suffix, g.part = "anat", "T2starw", True
    for name in ("mIP", "SWI_Images"):  # derived projections
        if name in s.description:
            g.datatype, g.suffix = "discard", name


def _gre(s, g):
    g.datatype, g.suffix, g.part = "anat", "T2starw", True
    if s.echo > 1 or s.protocol_block.get("contrasts", 0) > 1:
        g.suffix, g.multi_echo = "MEGRE", True


def _siemens_bold(s, g):
    g.datatype, g.suffix, g.direction = "func", "bold", True
    if "_SBRef" in s.description:
        g.suffix = "sbref"
    if s.no_rf:  # RF-off volumes are noise
        g.suffix = "noRF"


# setBidsSiemens: the first row that holds decides (tests on the sequence file name, "details")
_SIEMENS = (
    (lambda s: s.localizer, dict(datatype="discard", suffix="localizer")),
    (lambda s: s.derived and "DIFFUSION" in s.image_type, dict(datatype="discard", suffix="derivedDWI")),
    (lambda s: s.non_spatial, dict(datatype="discard", suffix="nonspatial")),
    (_has(_details, "b1map"), _b1_map),
    (_has(_details, "tfl", "mp2rage", "wip925"), _mprage),
    (lambda s: s.dti or _has(_details, "_diff", "resolve", "PtkSmsVB13ADwDualSpinEchoEpi", "ep2d_stejskal_386")(s),
     _siemens_dwi),
    (_has(_details, "fairest", "_asl", "_pasl", "pcasl", "PCASL"), _siemens_asl),
    (lambda s: "spcR" in s.pulse_sequence, dict(datatype="anat", suffix="T2w")),
    (_has(_details, "tse_vfl", "\\space"), _space),
    (_has(_details, "tse"), _tse),
    (_has(_details, "ep2d_ase"), dict(suffix="oef_ase")),  # no BIDS data type for ASE yet
    (_has(_details, "ep2d_se"), dict(datatype="fmap", suffix="epi", direction=True)),
    (_has(_details, "gre_field_mapping"), _siemens_field_map),
    (lambda s: "\\trufi" in _details(s) or _has(_seq_name, "fl3d1_ns", "fl2d1", "tfl2d1")(s),
     dict(datatype="discard", suffix="localizer")),
    (_has(_seq_name, "fl3d1r", "fl2d1", "tfl2d1"), dict(datatype="anat", suffix="angio")),
    (_has(_details, "fl3d_vibe"), _vibe),
    (_has(_details, "ep_seg_fid"), _segmented_epi),
    (_has(_details, "gre"), _gre),
    (_has(_details, "AALScout", "haste"), dict(datatype="discard", suffix="localizer")),
    (lambda s: _has(_details, "_bold", "_pace", "ep2d_fid")(s) or "FMRI" in s.image_type, _siemens_bold),
    (lambda s: "*epse2d" in s.sequence_name, dict(datatype="fmap", suffix="epi", direction=True)),
)


def _siemens(s):
    block = s.protocol_block
    inv1, inv2 = (block.get("ti") or [math.nan, math.nan])
    inv1, inv2 = inv1 / 1000.0, inv2 / 1000.0
    if block.get("inversion_contrasts") == 1:  # lInvContrasts 1: MPRAGE, whatever alTI[1] says
        inv2 = math.nan
    g = _Guess(derived=s.derived, part=s.phase, dual_ti=inv1 > 0 and inv2 > 0)
    _first_row(_SIEMENS, s, g)
    if "_SWI" in s.image_type:  # any SWI image is T2*-weighted anatomy, derived projections too
        g.datatype, g.suffix, g.part, g.derived = "anat", "T2starw", True, False
    acq = "_acq-" + g.acq_prefix
    for ch in _seq_name(s):
        if ch == "*":
            continue
        if ch.isascii() and ch.isalnum():
            acq += ch
        if "0" <= ch <= "9":  # the name up to its first digit: "*tfl3d1_16ns" -> "tfl3"
            break
    out = acq + _accelerations(s, s.accel)
    if g.rec:
        out += "_rec-" + g.rec
    if g.direction:
        positive = s.phase_positive != 0  # unknown (-1) counts as positive
        out += "_dir-" + (("AP" if positive else "PA") if s.rc == "C" else ("RL" if positive else "LR"))
    if g.run:
        out += f"_run-{s.series}"
    if g.echo and (s.echo > 1 or g.multi_echo or (s.multi_echo and s.echo > 0)):
        out += f"_echo-{s.echo}"
    if g.dual_ti:
        out += f"_inv-{2 if abs(s.ti - _f32(inv2)) <= 0.0001 else 1}"
    out += _parts(s, g.part, ("phase", "magnitude"))
    return _finish(g, out, keep_discard=True)


def _accelerations(s, accel, scale=1.0):
    out = f"p{round_half_away(scale * accel)}" if accel > 1.0 else ""
    return out + (f"m{s.multiband}" if s.multiband > 1 else "")


def round_half_away(x):
    """C's round(): halves away from zero."""
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


_PART_NAMES = {"imaginary": "_part-imag", "real": "_part-real", "phase": "_part-phase", "magnitude": "_part-mag"}


def _parts(s, on, names):
    return "".join(_PART_NAMES[n] for n in names if on and getattr(s, n))


def _finish(g, suffix, keep_discard=False):
    if g.suffix:
        suffix += "_" + g.suffix
    datatype = g.datatype
    if g.derived and not (keep_discard and "discard" in datatype):
        datatype = "derived"
    return datatype, suffix


def _philips_se(s, g):
    g.datatype, g.suffix = "anat", _SE_SUFFIX.get(_weighting(s, True), "PDw")


def _philips_b0(s, g):
    g.datatype, g.echo = "fmap", False
    g.suffix = "fieldmap" if s.real else "magnitude"


def _philips_field_map(s, g):
    g.datatype, g.echo = "fmap", False
    if s.phase:
        g.suffix = "phasediff"
    elif s.echo_train < 2:
        g.suffix = f"magnitude{s.echo}"
    if s.echo_train > 1:
        kind = next((k for k in ("phase", "imaginary", "real") if getattr(s, k)), "magnitude")
        g.suffix = f"{kind}{s.echo}"


def _philips_has(name, *needles):
    return lambda s: all(n in getattr(s, name) for n in needles)


_SK, _SS, _SP, _MP = (_philips_has("variant", v) for v in ("SK", "SS", "SP", "MP"))
_SE, _IR, _GR, _RM = (_philips_has("scanning", v) for v in ("SE", "IR", "GR", "RM"))

# setBidsPhilips: SequenceVariant (SK, SS, SP, MP), ScanningSequence (SE, IR, GR, RM), PulseSequenceName
_PHILIPS = (
    (lambda s: (s.slices_in_file < 4 and s.files < 4) or s.localizer, dict(datatype="discard", suffix="localizer")),
    (_MP, dict(datatype="anat", suffix="T1w")),
    (lambda s: s.diffusion and _SK(s) and _SE(s), dict(datatype="dwi", suffix="dwi")),
    (lambda s: "PERFUSION" in s.image_type or s.asl_label, dict(datatype="perf", suffix="asl")),
    (lambda s: "SEEPI" in s.pulse_sequence and not s.diffusion and _SK(s) and _SE(s),
     dict(datatype="fmap", suffix="epi", run=False)),  # (no _dir-: Philips does not report the polarity)
    (lambda s: not s.diffusion and _SK(s) and _SE(s), _philips_se),
    (lambda s: _SK(s) and _IR(s), dict(datatype="anat", suffix="FLAIR")),
    (lambda s: "PERFUSION" in s.image_type and "FEEPI" in s.pulse_sequence and _SK(s) and _GR(s),
     dict(datatype="perf", suffix="asl")),
    # (older Philips files give no EPI name: dcm2niix's raw data run number is GE's, so never set here)
    (lambda s: "FEEPI" in s.pulse_sequence and _SK(s) and _GR(s), dict(datatype="func", suffix="bold")),
    (lambda s: _SS(s) and _GR(s), dict(datatype="anat", suffix="T2starw", part=True)),
    (lambda s: s.field_map_hz and _SS(s) and _RM(s), _philips_b0),
    (lambda s: _SP(s) and _GR(s), _philips_field_map),
)


def _alnum(value):
    return "".join(ch for ch in value if ch.isascii() and ch.isalnum())


def _philips(s):
    g = _Guess(derived=s.derived)
    _first_row(_PHILIPS, s, g)
    acq = "_acq-" + _alnum(s.variant) + _alnum(s.scanning) + _alnum(s.pulse_sequence)
    if s.trigger_delay > 1.0:  # the post-label delay of multi-phase ASL
        acq += f"t{round_half_away(_f32(s.trigger_delay))}"
    out = acq + _accelerations(s, s.accel, 10.0)  # fractional SENSE: x2.3 -> "p23"
    if g.run:
        out += f"_run-{s.series}"
    if g.echo and (s.echo > 1 or (s.multi_echo and s.echo > 0)):
        out += f"_echo-{s.echo}"
    out += _parts(s, g.part, ("phase", "magnitude"))
    return _finish(g, out)


def _ge_name(s):
    """GE's sequence name: the internal one (0019,109E), else the pulse sequence name (0019,109C)."""
    return s.internal_sequence or s.pulse_sequence


def _ge_epi(s, kind):
    return f"EP\\{kind}" in s.scanning or (kind in ("GR", "SE") and "EP\\RM" in s.scanning and (
        ("Gradient Echo" if kind == "GR" else "Spin Echo") in s.procedure))


def _ge_fse(s, g):
    g.datatype, g.echo = "anat", False  # the validator wants PDw/T2w, not _echo-2
    g.suffix = "FLAIR" if "IR" in s.scanning else _SE_SUFFIX.get(_weighting(s, True), "PDw")


def _ge_field_map(s, g):
    g.datatype, g.echo, g.run = "fmap", False, False
    g.suffix = "fieldmap" if s.field_map_hz else "magnitude"


def _ge_gradient_echo(s):
    return _ge_epi(s, "GR") or "GRE" in _ge_name(s) or ("Gradient Echo" in s.procedure)


# setBidsGE: the internal sequence name, ScanningSequence (EP\SE, EP\GR), the procedure (protocol PSEQ)
_GE = (
    (lambda s: (s.slices_in_file < 2 and s.files < 4) or s.localizer, dict(datatype="discard", suffix="localizer")),
    (lambda s: "3 Plane Loc" in s.description, dict(datatype="discard", suffix="localizer", echo=False)),
    (lambda s: s.field_map_hz or "B0map" in _ge_name(s) or "3db0map" in s.pulse_sequence, _ge_field_map),
    (lambda s: s.multi_echo and not _ge_epi(s, "GR") and _ge_gradient_echo(s),
     dict(datatype="anat", suffix="T2starw", part=True)),
    (lambda s: _ge_name(s) == "EFGRE3D", dict(datatype="anat", suffix="T1w")),
    (lambda s: "3dradial" in _ge_name(s) and "GR\\IR" in s.scanning, dict(datatype="anat", suffix="T1w")),
    (lambda s: "FSE" in _ge_name(s), _ge_fse),
    (lambda s: _ge_name(s) == "2DFAST" and "STAR" in s.description,
     dict(datatype="anat", suffix="T2starw", part=True)),
    (lambda s: "asl" in _ge_name(s), dict(datatype="perf", suffix="asl")),
    (lambda s: (_ge_epi(s, "SE") and not s.diffusion) or ("fieldmap" in s.description and "EPI" in _ge_name(s)),
     dict(datatype="fmap", suffix="epi", direction=True)),
    (lambda s: "LoopingStar" in _ge_name(s), dict(datatype="func", suffix="bold")),  # silent fMRI
    (lambda s: _ge_epi(s, "GR"), dict(datatype="func", suffix="bold", direction=True)),
    (lambda s: "EPI" in _ge_name(s) and s.diffusion, dict(datatype="dwi", suffix="dwi", direction=True)),
    (lambda s: "tof" in _ge_name(s), dict(datatype="anat", suffix="angio")),
)


def _ge(s):
    g = _Guess(derived=s.derived)
    _first_row(_GE, s, g)
    if "EP\\SE" in s.scanning or "EP\\RM" in s.scanning:
        g.direction = True
    out = "_acq-" + _alnum(_ge_name(s)) + _accelerations(s, s.accel)  # (dcm2niix's length test always holds)
    if g.direction:
        out += "_dir-" + (("AP" if s.ge_unflipped else "PA") if s.rc == "C" else ("LR" if s.ge_unflipped else "RL"))
    if g.run:
        out += f"_run-{s.series}"
    if g.echo and (s.echo > 1 or (s.multi_echo and s.echo > 0)):
        out += f"_echo-{s.echo}"
    out += _parts(s, g.part, ("imaginary", "real", "phase", "magnitude"))
    return _finish(g, out)


# ---- the vendor-agnostic passes ---------------------------------------------------------------------

_BOUNDARY = set("_- /\\.,")
# scanner diffusion maps named in the protocol or description: token -> (suffix, data type); first match wins
_DWI_MAPS = (("colfa", "colFA", "dwi"), ("col_fa", "colFA", "dwi"), ("col-fa", "colFA", "dwi"),
             ("expadc", "expADC", "dwi"), ("exp_adc", "expADC", "dwi"), ("exp-adc", "expADC", "dwi"),
             ("tracew", "trace", "dwi"), ("trace", "trace", "dwi"), ("tensor", "TENSOR", "derived"),
             ("s0map", "S0map", "dwi"), ("s0_map", "S0map", "dwi"), ("s0-map", "S0map", "dwi"),
             ("fa", "FA", "dwi"), ("adc", "ADC", "dwi"))
_ENTITY_ORDER = ("_task-", "_acq-", "_ce-", "_rec-", "_dir-", "_run-", "_echo-", "_flip-", "_inv-", "_part-")
_DIRECTIONS = ("ap", "pa", "lr", "rl")
_MAX_SUFFIX = 255


def _token_at(haystack, token):
    """Where ``token`` first stands between boundaries (start, end, or one of ``_- /\\.,``), else -1."""
    start = haystack.find(token)
    while start >= 0:
        end = start + len(token)
        if (start == 0 or haystack[start - 1] in _BOUNDARY) and (end == len(haystack) or haystack[end] in _BOUNDARY):
            return start
        start = haystack.find(token, start + 1)
    return -1


def _insert_entity(suffix, entity, value):
    """``_<entity>-<value>`` spliced in before the first later entity, else before the last ``_`` word."""
    marker = f"_{entity}-"
    if not value or marker in suffix or marker not in _ENTITY_ORDER:
        return suffix
    later = [suffix.find(m) for m in _ENTITY_ORDER[_ENTITY_ORDER.index(marker) + 1:] if m in suffix]
    at = min(later) if later else suffix.rfind("_")
    if at < 0:
        return (marker + value + suffix)[:_MAX_SUFFIX]
    return (suffix[:at] + marker + value + suffix[at:])[:_MAX_SUFFIX]


def _label_after(name, needle):
    """The alphanumeric labels following each ``needle`` that starts at a boundary, in order."""
    out, start = [], name.find(needle)
    while start >= 0:
        if start == 0 or name[start - 1] in _BOUNDARY:
            end = start + len(needle)
            while end < len(name) and name[end].isascii() and name[end].isalnum():
                end += 1
            out.append(name[start + len(needle):end])
        start = name.find(needle, start + 1)
    return out


def _heuristics(s, datatype, suffix):
    """setBidsHeuristics: scanner diffusion maps by name, then ``acq-`` and direction entities from the names.

    (Its task label goes to file names built with ``-f %h``, not to BidsGuess.)
    """
    name = f"{s.protocol} {s.description}".lower()
    for token, map_suffix, map_type in _DWI_MAPS:
        if _token_at(name, token) >= 0:
            datatype, suffix = map_type, "_" + map_suffix
            break
    if "_acq-" not in suffix:
        labels = [label for label in _label_after(name, "acq-") if label]
        if labels:
            suffix = _insert_entity(suffix, "acq", max(labels, key=len))  # the longest, the first of equals
    if "_dir-" not in suffix:
        found = [(at, d) for d in _DIRECTIONS for at in [_token_at(name, d)] if at >= 0]
        if found:
            suffix = _insert_entity(suffix, "dir", min(found)[1].upper())
    return datatype, suffix


# AcquisitionContrast weighting class -> (data type, suffix) of the last-resort guess
_CONTRAST_GUESS = {"T1": ("anat", "T1w"), "T2": ("anat", "T2w"), "PD": ("anat", "PDw"), "T2star": ("anat", "T2starw"),
                   "FLAIR": ("anat", "FLAIR"), "STIR": ("anat", "T2w"), "diffusion": ("dwi", "dwi"),
                   "TOF": ("anat", "angio")}


def _from_acquisition_contrast(s, suffix):
    """setBidsFromAcquisitionContrast: the weighting the header states, for a series nothing else classified.

    PERFUSION (ASL, but DSC and DCE too) gives none; DIFFUSION only with gradients.
    """
    found = _CONTRAST_GUESS.get(s.contrast)
    if found is None or (s.contrast == "diffusion" and not s.dti):
        return "", suffix
    return found[0], (suffix + "_" + found[1])[:_MAX_SUFFIX]
