"""The BIDS JSON sidecar dcm2niix writes beside each NIfTI.

Table-driven: ``_TABLE`` maps DICOM keywords to BIDS keys with a conversion,
in dcm2niix's key order; the derived keys (phase encoding, echo spacing,
slice timing, the Siemens protocol values from the ASCII "Phoenix" block of
the CSA series header) are computed after it. ``to_json`` formats the dict
exactly as dcm2niix prints it (tabs, ``%g`` numbers, numeric arrays one item a line).
"""
from __future__ import annotations

import math
import re

from ..dicom import canon, ge, siemens, uih
from ..dicom.header import as_header
from ..dicom.siemens import protocol_float as _key_float, protocol_int as _key_int, protocol_text as _key_str
from ..dicom.values import VENDORS as VENDOR_NAMES, atof, floats, is_multi, number as _float, text as _str, vendor_key
from ..dicom.values import words as _words
from .naming import echo_number
from .slice_timing import ge_series_timing, slice_timing

# (BIDS key, DICOM keyword, conversion); conversions: "str" (skip empty), "pos" (%g, skip <= 0),
# "int" (skip <= 0), "s" (ms -> s, skip <= 0), "num" (%g, always)
_TABLE_ID = (
    ("ManufacturersModelName", "ManufacturerModelName", "str"),
    ("InstitutionName", "InstitutionName", "str"),
    ("InstitutionalDepartmentName", "InstitutionalDepartmentName", "str"),
    ("InstitutionAddress", "InstitutionAddress", "str"),
    ("DeviceSerialNumber", "DeviceSerialNumber", "str"),
    ("StationName", "StationName", "str"),
)
_TABLE_PATIENT = (  # written only with -ba n
    ("SeriesInstanceUID", "SeriesInstanceUID", "str"),
    ("StudyInstanceUID", "StudyInstanceUID", "str"),
    ("ReferringPhysicianName", "ReferringPhysicianName", "str"),
    ("StudyID", "StudyID", "str"),
    ("PatientName", "PatientName", "str"),
    ("PatientID", "PatientID", "str"),
    ("AccessionNumber", "AccessionNumber", "str"),
)
_TABLE_SERIES = (
    ("BodyPart", "BodyPartExamined", "str"),
    ("PatientPosition", "PatientPosition", "str"),
    ("ProcedureStepDescription", "PerformedProcedureStepDescription", "str"),
    ("SoftwareVersions", "SoftwareVersions", "str"),
    ("MRAcquisitionType", "MRAcquisitionType", "str"),
    ("StudyDescription", "StudyDescription", "str"),
    ("SeriesDescription", "SeriesDescription", "str"),
    ("ProtocolName", "ProtocolName", "str"),
    ("ScanningSequence", "ScanningSequence", "str"),
    ("SequenceVariant", "SequenceVariant", "str"),
    ("ScanOptions", "ScanOptions", "str"),
    ("SequenceName", "SequenceName", "str"),
)
_TABLE_ACQ = (
    ("SliceThickness", "SliceThickness", "pos"),
    ("SpacingBetweenSlices", "SpacingBetweenSlices", "pos"),
    ("SAR", "SAR", "pos"),
)
_TABLE_MR = (
    ("PercentPhaseFOV", "PercentPhaseFieldOfView", "pos"),
    ("PercentSampling", "PercentSampling", "pos"),
)
_MODALITIES = ("CR", "CT", "MR", "PT", "US")


def _put(out, key, value, kind):
    if kind == "str":
        text = _str(value)
        if text:
            out[key] = text
        return
    x = _float(value)
    if kind == "s":
        x /= 1000.0
    if kind == "num" and math.isfinite(x):
        out[key] = x
    elif math.isfinite(x) and x > 0:
        out[key] = int(x) if kind == "int" else x


def _table(out, ds, table):
    enhanced = bool(ds.frames())
    for key, keyword, kind in table:
        # enhanced files: dcm2niix's flat parse keeps the last of nested strings
        nested = ds.last(keyword) if enhanced and kind == "str" else None
        _put(out, key, nested if nested is not None else ds.find(keyword), kind)


def image_type(ds, meta):
    """ImageType as dcm2niix lists it: split at backslashes and underscores, component appended."""
    raw = ds.find("ImageType") or ds.find("FrameType")
    items = [p for v in (raw or []) for p in str(v).split("_") if p]
    flags = [("is_phase", "PHASE"), ("is_real", "REAL"), ("is_imaginary", "IMAGINARY")]
    extra = [name for flag, name in flags if meta.get(flag) and name not in items]
    if meta.get("real_is_fieldmap_hz"):
        extra = [e for e in extra if e != "REAL"] + ["FIELDMAPHZ"]
    # MAGNITUDE only where a header says so (ImageType "M", ComplexImageComponent, GE's image type 0):
    # CT, or a Philips MIXED file, get nothing appended
    ge_type = ds.private((0x0043, 0x102F), nested=False)
    said = "M" in items or _str(ds.find("ComplexImageComponent")) == "MAGNITUDE" or (
        ge_type is not None and _float(ge_type) == 0)
    if said and meta.get("is_magnitude", True) and "MAGNITUDE" not in items and not extra:
        extra.append("MAGNITUDE")
    return items + extra


def _siemens(out, block, meta, ds):
    if meta.get("is_phase"):  # a phase (difference) map reports both echo times of the protocol
        te0, te1 = _key_float(block, "alTE[0]", math.nan), _key_float(block, "alTE[1]", math.nan)
        if te0 > 0 and te1 > 0:
            out["EchoTime1"], out["EchoTime2"] = te0 / 1e6, te1 / 1e6
    pf = {1: 0.5, 2: 0.625, 4: 0.75, 8: 0.875}.get(_key_int(block, "sKSpace.ucPhasePartialFourier"))
    if pf is not None:
        out["PartialFourier"] = pf
    base = _key_int(block, "sKSpace.lBaseResolution")
    if base > 0:
        out["BaseResolution"] = base
    shims = [_key_float(block, f"sGRADSPEC.asGPAData[0].lOffset{a}") for a in "XYZ"]
    for i, a in enumerate("XYZ"):
        if shims[i] == 0.0:
            shims[i] = _key_float(block, f"sGRADSPEC.lOffset{a}")
    shims += [_key_float(block, f"sGRADSPEC.alShimCurrent[{i}]") for i in range(5)]
    if shims[0] != 0.0:
        out["ShimSetting"] = shims
    if meta.get("diffusion") or ds.find("DiffusionBValue") is not None:
        scheme = _key_int(block, "sDiffusion.dsScheme")
        if scheme == 0:
            mode = _key_int(block, "ucReadOutMode")
            scheme = 3 - mode if mode in (1, 2) else mode
        if scheme in (1, 2):
            out["DiffusionScheme"] = "Bipolar" if scheme == 1 else "Monopolar"
    delay = _key_float(block, "lDelayTimeInTR", -0.001)
    if delay > 0:
        out["DelayTime"] = delay / 1e6
    amp = _key_float(block, "sTXSPEC.asNucleusInfo[0].flReferenceAmplitude")
    if amp > 0:
        out["TxRefAmp"] = amp
    res = _key_float(block, "sKSpace.dPhaseResolution")
    if res > 0:
        out["PhaseResolution"] = res
    over = _key_float(block, "sKSpace.dPhaseOversamplingForDialog")
    if over > 0:
        out["PhaseOversampling"] = over
    coil = _key_str(block, "sCoilElementID.tCoilID")
    if coil:
        out["ReceiveCoilName"] = coil
    elements = _key_str(block, "sCoilSelectMeas.sCoilStringForConversion")
    if elements:
        out["ReceiveCoilActiveElements"] = elements
    coil_string = _str(ds.private((0x0051, 0x100F), nested=False)) or _str(ds.find("ReceiveCoilName"))
    if coil_string and coil_string != elements:
        out["CoilString"] = coil_string
    for key, name in (("tSequenceFileName", "PulseSequenceDetails"), ("sWipMemBlock.tFree", "WipMemBlock")):
        text = _key_str(block, key)
        if text:
            out[name] = text
    ref = _key_int(block, "sPat.lRefLinesPE")
    if ref > 0:
        out["RefLinesPE"] = ref
    combine = _key_int(block, "ucCoilCombineMode", -1)
    if combine in (1, 2):
        out["CoilCombinationMethod"] = "Sum of Squares" if combine == 1 else "Adaptive Combine"
    consistency = (_key_str(block, "sProtConsistencyInfo.tMeasuredBaselineString")
                   or _key_str(block, "sProtConsistencyInfo.tBaselineString") or str(_key_int(block, "ulVersion") or ""))
    if consistency:
        out["ConsistencyInfo"] = consistency
    if _key_int(block, "sPat.lAccelFactPE") > 0:
        mode = _key_int(block, "sPat.ucPATMode", -1)
        out["MatrixCoilMode"] = {1: "SENSE", 2: "GRAPPA"}.get(mode, "None")
    return over


def build_sidecar(vol, header=None, *, anonymize=True):
    """The sidecar dict dcm2niix writes for ``vol`` (keys in dcm2niix's order).

    Parameters
    ----------
    vol : Volume
        The series; its ``meta`` gives the image components, slice times and TR.
    header : medfast.dicom.header.Header or pydicom.Dataset, optional
        The series' first header; defaults to ``vol.meta["header"]``.
    anonymize : bool
        dcm2niix's ``-ba y`` (default): leave out patient and study identifiers.

    Examples
    --------
    >>> import numpy as np, pydicom
    >>> from medfast.volume import Volume
    >>> ds = pydicom.Dataset()
    >>> ds.Modality, ds.Manufacturer, ds.SeriesNumber, ds.EchoTime = "MR", "SIEMENS", 3, 30
    >>> side = build_sidecar(Volume(np.zeros((2, 2, 2), np.int16), np.eye(4)), ds)
    >>> side["Modality"], side["Manufacturer"], side["SeriesNumber"], side["EchoTime"]
    ('MR', 'Siemens', 3, 0.03)
    """
    meta = vol.meta
    ds = as_header(header if header is not None else meta.get("header"))
    out = {}
    modality = _str(ds.find("Modality"))
    if modality in _MODALITIES:
        out["Modality"] = modality
    _put(out, "MagneticFieldStrength", ds.find("MagneticFieldStrength"), "pos")
    freq = _float(ds.find("ImagingFrequency"))
    if not freq > 0:
        freq = _float(ds.find("TransmitterFrequency"))
    if freq < 9_000_000:
        _put(out, "ImagingFrequency", freq, "pos")
    vendor = vendor_key(ds.find("Manufacturer"))
    if vendor == "TO" and canon.comment_gradient(ds) is not None:
        vendor = "CA"  # a Toshiba image with its gradient in ImageComments is Canon to dcm2niix (issue 388)
    if vendor in VENDOR_NAMES and vendor not in ("MR", "HY"):
        out["Manufacturer"] = VENDOR_NAMES[vendor]
    _table(out, ds, _TABLE_ID)
    out.setdefault("InstitutionalDepartmentName", "None")  # dcm2niix's placeholder when the tag is absent
    if not anonymize:
        _table(out, ds, _TABLE_PATIENT)
        birth = _str(ds.find("PatientBirthDate"))
        if len(birth) == 8 and birth.isdigit():
            out["PatientBirthDate"] = f"{birth[:4]}-{birth[4:6]}-{birth[6:]}"
        sex = _str(ds.find("PatientSex"))
        if sex:
            out["PatientSex"] = sex[0]
        _put(out, "PatientWeight", ds.find("PatientWeight"), "pos")
    _table(out, ds, _TABLE_SERIES)
    if vendor == "SI":  # Siemens XA enhanced keeps the classic sequence attributes in private (0021,105A-C)
        for key, element in (("ScanningSequence", 0x105A), ("SequenceVariant", 0x105B), ("ScanOptions", 0x105C)):
            if key not in out:
                _put(out, key, ds.private((0x0021, element)), "str")
    if "SequenceName" not in out:
        _put(out, "SequenceName", ds.find("PulseSequenceName") or ds.private((0x0019, 0x109C), nested=False), "str")
    block = siemens.protocol(ds) if vendor == "SI" else ""
    ge_block = ge.protocol_block(ds) if vendor == "GE" else {}
    if ge_block.get("PSEQ") and "ProcedureStepDescription" not in out:  # GE keeps it in the protocol block
        out["ProcedureStepDescription"] = ge_block["PSEQ"]
    ge_timing = ge_series_timing(vol, ds) if vendor == "GE" else None
    if ge_timing and ge_timing["internal"] > 0:
        out["InternalPulseSequenceName"] = "EPI" if ge_timing["internal"] == 1 else "EPI2"
    slice_times = ge_timing["times"] if ge_timing else slice_timing(vol, ds, vendor, block)
    multiband = multiband_factor(block, slice_times) if modality == "MR" and vendor != "GE" else 1
    if ge_timing and modality == "MR":
        multiband = ge_timing["multiband"]
    pst = pulse_sequence_type(out.get("ScanningSequence"), out.get("SequenceVariant"), multiband)
    if pst:
        out["PulseSequenceType"] = pst
    kinds = image_type(ds, meta)
    if kinds:
        out["ImageType"] = kinds
    text_types = _words(ds.private((0x0021, 0x1175))) if vendor == "SI" else []
    if text_types:
        out["ImageTypeText"] = text_types
    words = set(text_types) | set(_words(ds.find("ImageType")))  # distortion correction, any vendor
    if words & {"DIS2D", "DIS3D"}:
        out["NonlinearGradientCorrection"] = True
    elif "ND" in words or text_types:
        out["NonlinearGradientCorrection"] = False
    series = int(_float(ds.find("SeriesNumber")) or 0) if math.isfinite(_float(ds.find("SeriesNumber"))) else 0
    if vendor == "GE":
        series = ge.series_number(ds, series)
    if series > 0:
        out["SeriesNumber"] = series
    acq_time = _str(ds.find("AcquisitionTime"))
    acq_date = _str(ds.find("AcquisitionDate") or ds.find("StudyDate"))
    if not acq_time:
        stamp = _str(ds.find("AcquisitionDateTime", _first_frame(meta)))
        acq_time, acq_date = stamp[8:], stamp[:8]
    if acq_time and acq_date:
        out["AcquisitionTime"] = _iso_time(acq_time)
    _put(out, "AcquisitionNumber", ds.find("AcquisitionNumber"), "int")
    _put(out, "ImageComments", ds.find("ImageComments"), "str")
    if vendor == "GE":
        _put(out, "TriggerDelayTime", _ge_trigger_delay(meta, ds), "pos")
        if ge.zip_factor(ds) > 1:
            out["Interpolation3D"] = ge.zip_factor(ds)
    frame = _first_frame(meta)
    if vendor == "PH":
        _philips_scaling(out, ds, frame)
    if meta.get("real_is_fieldmap_hz") and meta.get("is_real", True):
        out["Units"] = "Hz"
    _table(out, ds, _TABLE_ACQ)
    table = _table_position(ds, vendor)
    if table is not None:
        out["TablePosition"] = table
    echo = echo_number(ds, meta, default=0)
    if echo > 1 or (meta.get("multi_echo") and echo > 0):
        out["EchoNumber"] = echo
    te = _float(meta.get("EchoTime") or ds.find("EchoTime") or ds.find("EffectiveEchoTime"))
    if meta.get("real_is_fieldmap_hz"):
        venc = _float(ds.private((0x0019, 0x10E2), nested=False))  # velocity encode scale: -1 / (2 pi dTE)
        if te > 0 and vendor == "GE" and venc < 0:  # a field map in Hz has echo times, not an echo time
            out["EchoTime1"] = te / 1000.0
            out["EchoTime2"] = te / 1000.0 - 1.0 / (2.0 * math.pi * venc)
        elif te > 0 and vendor == "GE":  # (a Philips B0 map keeps no echo time, as its Ref shows)
            out["EchoTime"] = te / 1000.0
    elif te > 0 and modality not in ("CT", "CR", "DX"):
        out["EchoTime"] = te / 1000.0
    tr = meta.get("repetition_time")
    tr = float(tr) if tr else _float(ds.find("RepetitionTime")) / 1000.0
    if ge_timing:  # GE: the TR grows by the group delay
        tr = ge_timing["tr"] / 1000.0
    if tr > 0:
        out["RepetitionTime"] = tr
    for key, name in (("repetition_time_excitation", "RepetitionTimeExcitation"),
                      ("repetition_time_inversion", "RepetitionTimeInversion")):
        if meta.get(key):  # the header's TR where acquisition times gave another (issue 560)
            out[name] = meta[key]
    inversion = ds.find("InversionTime")
    if inversion is None:
        times = ds.find("InversionTimes")
        inversion = _floats_first(times)
    _put(out, "InversionTime", inversion, "s")
    value = _str(ds.find("MagnetizationTransfer"))
    if value:
        out["MTState"] = value != "NONE"
    _spoiling(out, ds, out.get("SequenceVariant", ""))
    _put(out, "FlipAngle", ds.find("FlipAngle"), "pos")
    if vendor == "UI":
        _put(out, "PhaseEncodingDirectionDisplayed", uih.displayed_phase_direction(ds), "str")
    _asl(out, ds, block)
    oversampling = _siemens(out, block, meta, ds) if block else 0.0
    if not block:
        coil = _str(ds.private((0x0051, 0x100F), nested=False)) if vendor in ("SI", "CP") else ""
        _put(out, "CoilString", coil or ds.find("ReceiveCoilName"), "str")
    if vendor == "GE":
        shims = [ds.private((0x0043, t), nested=False) for t in (0x1002, 0x1003, 0x1004)]
        if all(v is not None for v in shims):
            out["ShimSetting"] = [_float(v) for v in shims]
        _put(out, "PrescanReuseString", ds.private((0x0043, 0x1095), nested=False), "str")
        out.update(ge.diffusion_keys(ds))
        excitations = _float(ds.private((0x0027, 0x1062), nested=False))
        if excitations > 1:
            out["NumberOfExcitations"] = excitations
    if multiband > 1:
        out["MultibandAccelerationFactor"] = multiband
    _table(out, ds, _TABLE_MR)
    etl = _echo_train_length(ds, vendor)
    _put(out, "EchoTrainLength", etl if etl > 1 else None, "int")
    steps = ds.find("NumberOfPhaseEncodingSteps") or ds.find("MRAcquisitionPhaseEncodingStepsInPlane")
    if vendor == "PH" and _str(ds.find("PartialFourier")) == "YES" and steps:
        out["PartialFourierEnabled"] = "YES"
        _put(out, "PhaseEncodingStepsNoPartialFourier", steps, "int")
    else:
        _put(out, "PhaseEncodingSteps", steps, "int")
    _put(out, "FrequencyEncodingSteps", ds.find("MRAcquisitionFrequencyEncodingSteps"), "int")
    _put(out, "PhaseEncodingStepsOutOfPlane", ds.find("MRAcquisitionPhaseEncodingStepsOutOfPlane"), "int")
    duration = _float(ds.find("AcquisitionDuration"))
    if vendor == "GE" and ds.private((0x0019, 0x105A), nested=False) is not None:  # GE's (us) takes precedence
        duration = _float(ds.private((0x0019, 0x105A), nested=False)) / 1e6
    if duration > 0 and vendor != "UI":  # UIH: the duration is the readout time (below)
        out["AcquisitionDuration"] = duration
    _put(out, "NumberOfKSpaceTrajectories", ds.find("NumberOfKSpaceTrajectories"), "int")
    _phase_encoding(out, vol, ds, vendor, oversampling, slice_times)
    return out


def _spoiling(out, ds, variant):
    """SpoilingState and SpoilingType as dcm2niix: (0018,9016), else an SP in SequenceVariant means spoiled.

    dcm2niix reads any Spoiling value holding "RF" as RF and gradient
    (COMBINED), GRADIENT as gradient, NONE as not spoiled.
    """
    value = _str(ds.find("Spoiling")) if len(_str(ds.find("Spoiling"))) >= 2 else ""
    kind = "COMBINED" if "RF" in value else "GRADIENT" if "GRADIENT" in value else "NONE" if "NONE" in value else ""
    variant = _str(variant)
    says_sp = variant == "SP" or variant.startswith("SP\\") or "\\SP" in variant  # dcm2niix's token test
    if kind == "NONE":
        out["SpoilingState"] = False
    elif kind or says_sp:
        out["SpoilingState"] = True
    if kind in ("COMBINED", "GRADIENT"):
        out["SpoilingType"] = kind


def _ge_trigger_delay(meta, ds):
    """GE's TriggerDelayTime (ms): the trigger time of the last image less the first's, else the first's.

    dcm2niix reads (0018,1060) for GE (and Philips) only; with several
    images it reports the span from the first to the last image in instance
    order, when positive.
    """
    first = _float(ds.find("TriggerTime"))
    span = meta.get("trigger_span")
    if span is not None and span[1] - span[0] > 0:
        return span[1] - span[0]
    return first


def _asl(out, ds, block):
    """ASL keys of an enhanced MR ASL series: labeling type, labeling duration and post-labeling delay."""
    kind = {"PSEUDOCONTINUOUS": "PCASL", "CONTINUOUS": "CASL", "PULSED": "PASL"}.get(
        _str(ds.find("ArterialSpinLabelingContrast")))
    if kind is None:
        return
    if kind != "PASL":
        duration = _float(ds.last("ASLPulseTrainDuration"))  # ms, nested in the ASL slab items
        if duration > 0:
            out["LabelingDuration"] = duration / 1000.0
        delay = _key_float(block, "alTI[2]", math.nan) if block else math.nan  # Siemens protocol, us
        if delay > 0:
            out["PostLabelingDelay"] = delay / 1e6
    out["ArterialSpinLabelingType"] = kind


def _floats_first(value):
    if is_multi(value):
        return value[0] if len(value) else None
    return value


def _first_frame(meta):
    frames = meta.get("frames") or []
    return frames[0][1] if frames and meta.get("enhanced") else None


def _philips_scaling(out, ds, frame):
    """dcm2niix's Philips scaling keys (see its PhilipsPrecise): display, real-world and private scale."""
    scale = _float(ds.private((0x2005, 0x100E), frame))
    if not (math.isfinite(scale) and scale != 0):
        return
    rwv = _float(ds.find("RealWorldValueSlope", frame))
    if math.isfinite(rwv) and rwv != 0:
        out["PhilipsRWVSlope"] = rwv
        out["PhilipsRWVIntercept"] = _float(ds.find("RealWorldValueIntercept", frame) or 0.0)
    slope = _float(ds.find("RescaleSlope", frame))
    out["PhilipsRescaleSlope"] = slope if math.isfinite(slope) else 1.0
    inter = _float(ds.find("RescaleIntercept", frame))
    out["PhilipsRescaleIntercept"] = inter if math.isfinite(inter) else 0.0
    out["PhilipsScaleSlope"] = scale
    out["UsePhilipsFloatNotDisplayScaling"] = 1


def pulse_sequence_type(scanning, variant, multiband):
    """dcm2niix's PulseSequenceType from ScanningSequence and SequenceVariant ('' when it names none).

    Examples
    --------
    >>> pulse_sequence_type("EP", "SK", 3), pulse_sequence_type("GR\\IR", "SK\\SP\\MP", 1)
    ('Multiband Gradient Echo EPI', 'MPRAGE')
    """
    seq, var = set(_words(scanning)), set(_words(variant))
    if "EP" in seq:
        kind = "Spin Echo EPI" if "SE" in seq else "Gradient Echo EPI"
        return ("Multiband " + kind) if multiband > 1 else kind
    if "GR" in seq and "IR" in seq and "MP" in var:
        return "MPRAGE"
    if "GR" in seq:
        return "Spoiled Gradient Echo" if "SP" in var else "Gradient Echo"
    if "SE" in seq:
        return "Inversion Recovery Spin Echo" if "IR" in seq else "Spin Echo"
    if "IR" in seq:
        return "Inversion Recovery"
    return ""


def multiband_factor(block, times):
    """Slices excited at once: the protocol's value, else ties with the first slice time (dcm2niix's rule)."""
    factor = _key_int(block, "sSliceAcceleration.lMultiBandFactor") if block else 0
    if factor > 1:
        return factor
    if times is None or len(times) < 2:
        return 1
    return 1 + sum(1 for t in list(times)[1:] if t == list(times)[0])


def _table_position(ds, vendor):
    position = ds.private((0x0019, 0x1014), nested=False)
    if position is None and vendor == "SI":
        position = ds.private((0x0021, 0x1005))
    if vendor == "SI" and position is not None:
        found = [_float(v) for v in (position if is_multi(position) else str(position).split("\\"))]
        if len(found) == 3:
            return found
    if vendor == "GE":  # the third value of (0043,10B2) less the table delta (0019,107F), dcm2niix issue 726
        found = floats(ds.private((0x0043, 0x10B2), nested=False))
        if len(found) >= 3:
            delta = _float(ds.private((0x0019, 0x107F), nested=False))
            return [0.0, 0.0, found[2] - (delta if math.isfinite(delta) else 0.0)]
    if vendor == "PH":  # Philips: table position (2005,143C), opposite sign, top level or in the stack (2001,105F)
        items = [ds] + (ds.items((0x2001, 0x105F)) if ds.vr((0x2001, 0x105F)) == "SQ" else [])
        philips = next((v for v in (_float(item.private((0x2005, 0x143C), nested=False)) for item in items)
                        if math.isfinite(v)), math.nan)
        if math.isfinite(philips):
            return [0.0, 0.0, -philips + 0.0]
    z = _float(ds.find("TablePosition"))
    return [0.0, 0.0, z] if math.isfinite(z) else None


def _echo_train_length(ds, vendor):
    etl = _float(ds.find("EchoTrainLength"))
    return uih.echo_train_length(ds, etl) if vendor == "UI" else etl


def _accel(ds, vendor):
    """(in-plane, out-of-plane) parallel reduction factors; NaN where no source gives one."""
    inplane, outplane = _float(ds.find("ParallelReductionFactorInPlane")), _float(ds.find("ParallelReductionFactorOutOfPlane"))
    if vendor == "UI" and ds.get((0x0065, 0x100D)) is not None:  # UIH's factor, unless (0018,9069) is larger
        inplane = max(uih.accel_in_plane(ds), inplane if inplane > 1 else 0.0)
    block = siemens.protocol(ds) if vendor == "SI" else ""
    if block and not inplane > 0:  # Siemens protocol: sPat.lAccelFactPE / lAccelFact3D
        inplane = float(_key_int(block, "sPat.lAccelFactPE", -1))
    if block and not outplane > 0:
        outplane = float(_key_int(block, "sPat.lAccelFact3D", -1))
    if vendor == "SI":
        for tag in ((0x0051, 0x1011), (0x0021, 0x1009)):
            text = _str(ds.private(tag, nested=False))
            m = re.match(r"p(\d+)", text)
            if m:
                inplane = float(m.group(1))
                break
    if vendor == "GE":
        asset = floats(ds.private((0x0043, 0x1083), nested=False))
        if asset and asset[0] > 0:
            inplane = round(1.0 / asset[0], 4)
        if len(asset) > 1 and asset[1] > 0:
            outplane = round(1.0 / asset[1], 4)
    return (inplane if inplane > 0 else math.nan), (outplane if outplane > 0 else math.nan)


def _iso_time(text):
    # dcm2niix prints the time with 5 decimals ("%+013.5f") before splitting it; a broken time: atof's number
    seconds = atof(text.replace(":", ""))
    text = f"{seconds if math.isfinite(seconds) else 0.0:012.5f}"
    return f"{text[:2]}:{text[2:4]}:{float(text[4:]):09.6f}"


def _phase_encoding(out, vol, ds, vendor, oversampling, times):
    shape = vol.stored.shape
    meta = vol.meta
    rc = _str(ds.find("InPlanePhaseEncodingDirection"))[:1]
    acq = [int(v) for v in floats(ds.find("AcquisitionMatrix")) if math.isfinite(v)]  # not numbers: none
    # AcquisitionMatrix: frequency rows, frequency columns, phase rows, phase columns (one of each pair is 0)
    lines = acq[2] + acq[3] if len(acq) == 4 else 0
    if not lines:
        lines = int(_float(ds.find("MRAcquisitionPhaseEncodingStepsInPlane") or 0) or 0)
    if lines > 0 and _str(ds.find("Modality")) == "MR":
        out["AcquisitionMatrixPE"] = lines
    # the image size before any reorientation of a 3-D volume (a mosaic's tiles are the shape, not Rows/Columns)
    cols, rows = (shape[0], shape[1]) if len(shape) >= 2 else (0, 0)
    if meta.get("reoriented"):
        rows, cols = int(_float(ds.find("Rows") or 0) or 0), int(_float(ds.find("Columns") or 0) or 0)
    recon = lines
    if rows > 0 and cols > 0:
        recon = rows if rows == cols or rc == "C" else cols if rc == "R" else lines
    if _str(ds.find("Modality")) == "MR" and recon > 0:
        out["ReconMatrixPE"] = recon
    bw = _float(meta.get("bandwidth_per_pixel_phase_encode"))
    if not bw > 0:
        bw = siemens.csa_float(ds, "BandwidthPerPixelPhaseEncode")
    if not bw > 0 and vendor == "SI":  # XA enhanced: (0021,1153)
        bw = _float(ds.private((0x0021, 0x1153)))
    if bw > 0:
        out["BandwidthPerPixelPhaseEncode"] = bw
    vendor = vendor_key(ds.find("Manufacturer"))
    accel, accel_oop = _accel(ds, vendor)
    for key, value in (("ParallelReductionFactorInPlane", accel), ("ParallelReductionFactorOutOfPlane", accel_oop)):
        if value > 0:  # only what the headers report: no default
            out[key] = int(value) if float(value).is_integer() else value
    accel = accel if accel > 0 else 1.0
    _put(out, "ParallelAcquisitionTechnique", ds.find("ParallelAcquisitionTechnique"), "str")
    if vendor == "GE":
        out.update(ge.reconstruction_keys(ds))
    if _str(ds.find("PartialFourier")) == "YES":
        _put(out, "PartialFourierDirection", ds.find("PartialFourierDirection"), "str")
    ees = 0.0
    if recon > 0 and bw > 0:
        ees = 1.0 / (bw * recon)
    ge_readout = ge.readout(ds, lines, recon, ge.accel_in_plane(ds)) if vendor == "GE" else None
    if ge_readout and math.isfinite(ge_readout[0]) and ge_readout[0] > 0:
        out["EffectiveEchoSpacing"], out["TotalReadoutTime"] = ge_readout
    if vendor == "UI" and not out.get("EffectiveEchoSpacing", ees) > 0:  # UIH: AcquisitionDuration (ms) is the readout
        _put(out, "TotalReadoutTime", _float(ds.find("AcquisitionDuration")) / 1000.0, "pos")
    if ees and not ge_readout:
        out["EffectiveEchoSpacing"] = ees
        factor = (1.0 / accel if accel > 1 else 1.0) * (1.0 + oversampling if oversampling > 0 else 1.0)
        out["DerivedVendorReportedEchoSpacing"] = 1.0 / (bw * factor * recon)
        out["TotalReadoutTime"] = ees * (recon - 1.0)
    wfs = _float(ds.private((0x2001, 0x1022), nested=False)) if vendor == "PH" else math.nan
    if math.isfinite(wfs) and wfs > 0:
        out["WaterFatShift"] = wfs
        freq = _float(ds.find("ImagingFrequency"))
        etl = _float(ds.find("EchoTrainLength"))
        if not etl > 1:
            etl = _float(ds.private((0x2001, 0x1013), nested=False))
        if "EffectiveEchoSpacing" not in out and freq > 0 and etl > 0 and recon > 1:
            actual = wfs / (freq * 3.4 * (etl + 1))
            total = actual * etl
            out["EstimatedEffectiveEchoSpacing"] = total / (recon - 1)
            out["EstimatedTotalReadoutTime"] = total
    _put(out, "PixelBandwidth", ds.find("PixelBandwidth"), "pos")
    # dcm2niix reads the dwell time from (0019,1018) only, not from the CSA header
    dwell = _float(ds.private((0x0019, 0x1018), nested=False)) if vendor == "SI" else math.nan
    if not dwell > 0 and vendor == "SI":  # XA enhanced: (0021,1142), ns
        dwell = _float(ds.private((0x0021, 0x1142)))
    if dwell > 0:
        out["DwellTime"] = dwell * 1e-9
    positive = meta.get("phase_encoding_positive")
    if positive is None and vendor == "GE":
        polarity = ge.phase_polarity(ds)
        if polarity:
            out["PhaseEncodingPolarityGE"] = polarity
            positive = 0 if polarity == "Flipped" else 1
    if positive is None and vendor == "UI":
        positive = uih.phase_positive(ds)
    if positive is None and vendor == "SI":
        value = siemens.csa_float(ds, "PhaseEncodingDirectionPositive")
        if not math.isfinite(value):
            value = _float(ds.private((0x0021, 0x111C)))
        positive = int(value) if math.isfinite(value) else -1
    # 3-D acquisitions have no phase-encoding axis, unless an echo train (not spin echo) or an EPI readout
    not_se = "SE" not in _str(ds.find("ScanningSequence"))
    skip_axis = _str(ds.find("MRAcquisitionType")) == "3D" and not (
        (_echo_train_length(ds, vendor) > 1 or bw > 0) and not_se)
    if rc in ("R", "C") and not skip_axis:
        axis = "j" if rc == "C" else "i"
        if positive is None or positive < 0:
            out["PhaseEncodingAxis"] = axis
        else:
            # NIfTI rows run opposite to DICOM rows: a positive column direction is "j-"
            negative = positive == 1 if rc == "C" else positive == 0
            out["PhaseEncodingDirection"] = axis + ("-" if negative else "")
    if times is not None and _str(ds.find("Modality")) not in ("CT", "PT") and _str(ds.find("MRAcquisitionType")) != "3D":
        out["SliceTiming"] = [float(t) for t in times]
    orient = ds.find("ImageOrientationPatient")
    if orient is not None and max(abs(_float(v)) for v in orient) > 0:
        out["ImageOrientationPatientDICOM"] = [_float(v) for v in orient]
    text = _str(ds.private((0x0051, 0x100E), nested=False)) if vendor == "SI" else ""
    if text:
        out["ImageOrientationText"] = text
    if rc == "C":
        out["InPlanePhaseEncodingDirectionDICOM"] = "COL"
    elif rc == "R":
        out["InPlanePhaseEncodingDirectionDICOM"] = "ROW"


def _g(x):
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    text = f"{x:g}"
    return text


def to_json(sidecar, version="medfast"):
    r"""The sidecar as dcm2niix prints it, with ConversionSoftware keys appended.

    Examples
    --------
    >>> text = to_json({"Modality": "MR", "EchoTime": 0.03, "ImageType": ["ORIGINAL", "M"], "Shim": [1.0, -2.0]})
    >>> text.splitlines()[1:7]
    ['\t"Modality": "MR",', '\t"EchoTime": 0.03,', '\t"ImageType": ["ORIGINAL", "M"],', '\t"Shim": [', '\t\t1,', '\t\t-2\t],']
    """
    import json

    items = dict(sidecar)
    items["ConversionSoftware"] = "medfast"
    items["ConversionSoftwareVersion"] = version
    lines = []
    for key, value in items.items():
        if isinstance(value, str):
            text = json.dumps(value, ensure_ascii=False)
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            text = "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in value) + "]"
        elif isinstance(value, list):
            text = "[\n" + ",\n".join(f"\t\t{_g(v)}" for v in value) + "\t]"
        else:
            text = _g(value)
        lines.append(f'\t"{key}": {text}')
    return "{\n" + ",\n".join(lines) + "\n}\n"
