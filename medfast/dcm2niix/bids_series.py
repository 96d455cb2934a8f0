"""The fields of a series that dcm2niix's BIDS rules read, as its DICOM reader keeps them.

dcm2niix (``setBids`` in ``nii_dicom_batch.cpp``) guesses from the values of
the series' first file as ``readDICOMx`` left them: strings cut by ``dcmStr``
to 64 characters, the first ImageType with its values joined by ``_`` (image
flags such as DERIVED from every ImageType in the file), the in-plane and
multiband factors the headers state (before slice timing revises them), and
for enhanced files the last value of a tag anywhere in the file (its flat
parse). ``BidsSeries.read`` gathers them from the header, the volume's meta
and the sidecar keys already computed; ``bids_vendors`` and ``bids_guess``
only read them.
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field

import numpy as np

from ..dicom import ge, siemens
from ..dicom.diffusion import frame_gradient
from ..dicom.grouping import complex_flags, protocol_name
from ..dicom.header import as_header
from ..dicom.series import derived_image
from ..dicom.values import dcm_str, floats, integer, leading_int, number, strings, text, vendor_key
from .naming import echo_number

_IMAGE_TYPE, _ACQUISITION_CONTRAST, _PHILIPS_LABEL = 0x00080008, 0x00089209, 0x20051429
# AcquisitionContrast (0008,9209) values dcm2niix recognises -> its weighting class
_CONTRASTS = {"DIFFUSION": "diffusion", "PERFUSION": "perfusion", "FLUID_ATTENUATED": "FLAIR",
              "PROTON_DENSITY": "PD", "T2_STAR": "T2star", "T1": "T1", "T2": "T2", "STIR": "STIR", "TOF": "TOF",
              "FLOW_ENCODED": "flow", "TAGGING": "tagging", "MIXED": "mixed", "OTHER": "other"}


def f32(value):
    """A number as the float32 dcm2niix keeps (NaN and absent read as 0).

    Examples
    --------
    >>> f32("0.1"), f32(None)
    (0.10000000149011612, 0.0)
    """
    x = number(value, 0.0)
    with np.errstate(over="ignore"):
        return float(np.float32(x if x == x else 0.0))


def _value(ds, keyword):
    """dcm2niix's flat parse: an enhanced file's value is the last one anywhere in the file."""
    return ds.last(keyword) if ds.frames() else ds.find(keyword)


@dataclass
class BidsSeries:
    """The fields of dcm2niix's TDICOMdata that its BIDS rules read (strings as dcmStr keeps them).

    Examples
    --------
    >>> s = BidsSeries.read({"Modality": "MR", "Manufacturer": "Philips Medical Systems", "SequenceVariant": ["SK"],
    ...                      "ImageType": ["DERIVED", "PRIMARY", "M"], "TemporalPositionIdentifier": 1})
    >>> s.vendor, s.mr, s.variant, s.image_type, s.derived, s.run_number
    ('PH', True, 'SK', 'DERIVED_PRIMARY_M', True, 1)
    """

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
    run_number: int = -1           # Philips: dcm2niix's rawDataRunNumber (>= 1: a volume number was stated)
    internal_sequence: str = ""    # GE (0019,109E)
    procedure: str = ""            # GE: PerformedProcedureStepDescription and the protocol's PSEQ
    protocol_block: dict = field(default_factory=dict)  # Siemens: tSequenceFileName, TIs, contrasts

    @classmethod
    def read(cls, header, meta=None, sidecar=None, phase_positive=-1):
        """The series as dcm2niix's reader keeps it, from its first ``header`` (any header ``as_header`` takes).

        ``meta`` is the volume's meta (echo, components, frames, repetition
        time), ``sidecar`` the keys already computed (ImageType, SeriesNumber,
        PhaseEncodingPolarityGE), ``phase_positive`` dcm2niix's phase polarity.
        """
        ds, meta, sidecar = as_header(header), meta or {}, sidecar or {}
        s = cls()
        s.vendor = vendor_key(ds.find("Manufacturer"))
        if s.vendor == "CP":
            s.vendor = "SI"
        modality = text(ds.find("Modality"))
        s.mr = modality[:1] == "M" and modality[1:2].upper() == "R"
        occurrences = _occurrences(ds)
        types = [t for t in occurrences[_IMAGE_TYPE] if t]
        s.image_type = types[0] if types else ""
        s.description = dcm_str(ds.find("SeriesDescription"))
        s.protocol = dcm_str(protocol_name(ds, strings(ds.get("ImageType"))))
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
        s.te = f32(meta.get("EchoTime") or _value(ds, "EchoTime"))
        tr = meta.get("repetition_time")
        s.tr = f32(tr * 1000.0 if tr else _value(ds, "RepetitionTime"))
        s.field_strength = f32(_value(ds, "MagneticFieldStrength"))
        s.flip = f32(_value(ds, "FlipAngle"))
        inversion = _value(ds, "InversionTime")
        s.ti = f32(inversion if inversion is not None else _value(ds, "InversionTimes"))
        s.series = _series_number(ds, meta, sidecar)
        s.rc = text(_value(ds, "InPlanePhaseEncodingDirection"))[:1].upper() or "?"
        s.phase_positive = phase_positive
        s.ge_unflipped = sidecar.get("PhaseEncodingPolarityGE") == "Unflipped"
        s.slices_in_file = _slices_in_file(ds, meta, s.vendor)
        s.files = int(meta.get("files") or 1)
        s.sequence_name = dcm_str(_value(ds, "SequenceName"))
        s.pulse_sequence = dcm_str(_value(ds, "PulseSequenceName"))
        s.scanning = dcm_str(_value(ds, "ScanningSequence"))
        s.variant = dcm_str(_value(ds, "SequenceVariant"))
        s.comments = dcm_str(_value(ds, "ImageComments"), 256)
        s.echo_train = integer(_value(ds, "EchoTrainLength"), 0)
        s.accel = _accel_as_read(ds, s.vendor)
        if s.vendor == "SI":
            _siemens_read(s, ds)
        elif s.vendor == "GE":
            _ge_read(s, ds)
        elif s.vendor == "PH":
            s.trigger_delay = float(meta.get("trigger_delay_time") or 0.0)
            s.asl_label = any(text(v)[:1].upper() in ("L", "C") for v in occurrences[_PHILIPS_LABEL])
            s.run_number = _philips_run_number(ds)
        orientation = meta.get("orientation")
        if orientation is None:
            orientation = floats(_value(ds, "ImageOrientationPatient"))
        s.non_spatial = not any(float(v) != 0.0 for v in orientation or ())
        return s


def _occurrences(ds):
    """Every value, in file order and nested ones too, of the tags whose every occurrence dcm2niix reads."""
    wanted = ds.occurrences((_IMAGE_TYPE, _ACQUISITION_CONTRAST, _PHILIPS_LABEL))
    # cut as read (backslashes and all), then the values joined by "_"
    wanted[_IMAGE_TYPE] = [dcm_str("\\".join(strings(v))).replace("\\", "_") for v in wanted[_IMAGE_TYPE]]
    wanted[_ACQUISITION_CONTRAST] = [text(v) for v in wanted[_ACQUISITION_CONTRAST]]
    return wanted


def _series_number(ds, meta, sidecar):
    found = sidecar.get("SeriesNumber") or meta.get("SeriesNumber") or integer(ds.find("SeriesNumber"), 0)
    if found and int(found) > 0:
        return int(found)
    # no series number: dcm2niix numbers the series by the CRC-32 of its UID (its issue 218)
    return zlib.crc32(dcm_str(ds.find("SeriesInstanceUID")).encode("latin-1", "replace"))


def _slices_in_file(ds, meta, vendor):
    """dcm2niix's xyzDim[3] of the first file: 1 a classic image, the frames of a multi-frame file."""
    frames = integer(ds.get("NumberOfFrames"), 1) or 1
    if ds.frames() and vendor == "PH":  # Philips enhanced: the slices of one volume
        return int((meta.get("shape_nz_nt") or (frames, 1))[0])
    return frames


def _philips_run_number(ds):
    """dcm2niix's rawDataRunNumber of a Philips file: the volume or gradient number the file states, else -1.

    The larger of the temporal position (0020,0100) -- the fMRI volume number
    (2005,1063) when no positive one came before it -- and the gradient
    orientation number (2005,1413), each the last in the file; a b-value
    without a direction (a derived trace image) counts as a gradient number.
    Then a classic file made from an enhanced one takes its last dimension
    index, and software before release 11 the diffusion volume number (2005,1596).
    """
    volume = gradient = diffusion_volume = -1
    for tag, value in ds.in_order((0x00200100, 0x20051063, 0x20051413, 0x20051596)):
        if tag == 0x00200100:
            volume = integer(value, 0)
        elif tag == 0x20051063 and volume <= 0 and integer(value, 0) > 0:
            volume = integer(value, 0)
        elif tag == 0x20051413:
            gradient = integer(value, 0)
        elif tag == 0x20051596:
            diffusion_volume = integer(value, 0)
    found = frame_gradient(ds) if not ds.frames() else None
    if found is not None and found[0] != 0.0 and not any(found[1]):
        gradient = 1 << 16  # dcm2niix's mark for Philips' derived trace volume
    run = max(volume, gradient)
    index = [int(v) for v in floats(ds.get("DimensionIndexValues"))]
    if run < 0 and len(index) > 1 and index[-1] > 0:
        run = index[-1]
    if diffusion_volume > 0 and leading_int(ds.get("SoftwareVersions")) < 11:
        run = diffusion_volume
    return run


def _accel_as_read(ds, vendor):
    """The in-plane factor dcm2niix's reader keeps, raised to (0018,9069) where that is larger."""
    stated = f32(_value(ds, "ParallelReductionFactorInPlane"))
    accel = 0.0 if vendor == "SI" else stated  # Siemens: the PAT mode text, not (0018,9069)
    if vendor == "SI":
        accel = siemens.pat_mode(ds)[0]
    elif vendor == "GE":
        asset = floats(ds.private((0x0043, 0x1083), nested=False))
        if asset and asset[0] > 0:
            accel = f32(1.0 / f32(asset[0]))
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
        times = [f32(v) for v in times]
        if times:
            multiband = max(multiband, 1 + sum(1 for t in times[1:] if t == times[0]))
    s.multiband = multiband


def _ge_read(s, ds):
    """A GE series' sequence names, procedure description, diffusion flag, localizer flag and multiband factor."""
    s.pulse_sequence = dcm_str(ds.private((0x0019, 0x109C), nested=False) or _value(ds, "PulseSequenceName"))
    s.internal_sequence = dcm_str(ds.private((0x0019, 0x109E), nested=False))
    description = dcm_str(ds.find("PerformedProcedureStepDescription"))
    s.procedure = (description + ge.protocol_block(ds).get("PSEQ", ""))[:65]
    if s.diffusion or ds.private((0x0043, 0x1039), nested=False) is not None:  # GE: diffusion only for EPI2
        s.diffusion = ge.epi_versions(ds)[1] == 2 or ge.epi_versions(ds)[0] == ge.EPI2
    s.localizer = number(ds.private((0x0019, 0x1017), nested=False), 0.0) == 256 and "b1map" not in s.description
    s.multiband = ge.multiband(ds)
