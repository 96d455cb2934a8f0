"""The BIDS JSON sidecar dcm2niix writes beside each NIfTI.

Table-driven: ``_TABLE`` maps DICOM keywords to BIDS keys with a conversion,
in dcm2niix's key order; the derived keys (phase encoding, echo spacing,
slice timing) are computed after it; the Siemens protocol keys come from
``sidecar_siemens``, the PET keys from ``sidecar_pet``. ``to_json`` formats
the dict exactly as dcm2niix prints it (tabs, ``%g`` numbers, numeric arrays
one item a line).
"""
from __future__ import annotations

import math

from ..dicom import canon, ge, siemens, uih
from ..dicom.grouping import protocol_name
from ..dicom.header import as_header
from ..dicom.series import derived_image
from ..dicom.siemens import protocol_int as _key_int
from ..dicom.values import VENDORS as VENDOR_NAMES, atof, floats, integer, is_multi, number as _float, strings, text as _str, vendor_key
from ..dicom.values import dcm_str, leading_int, words as _words
from . import sidecar_pet, sidecar_siemens
from .bids_guess import bids_guess
from .bids_series import BidsSeries
from .bids_vendors import ge_silent_fmri
from .naming import echo_number
from .slice_timing import ge_series_timing, multiband_factor, slice_timing

# (BIDS key, DICOM keyword, conversion); conversions: "str" (skip empty), "protocol" (``protocol_name``), "pos" (%g, skip <= 0),
# "int" (skip <= 0), "s" (ms -> s, skip <= 0), "num" (%g, always)
#: dcm2niix's ``-c ""``: no ImageComments in the sidecar, nothing in ``aux_file``
MASK_COMMENTS = "\t"

_TABLE_ID = (
    ("ManufacturersModelName", "ManufacturerModelName", "str"),
    ("InstitutionName", "InstitutionName", "str"),
    ("InstitutionalDepartmentName", "InstitutionalDepartmentName", "str"),
    ("InstitutionAddress", "InstitutionAddress", "str"),
    ("DeviceSerialNumber", "DeviceSerialNumber", "str"),
    ("StationName", "StationName", "str"),
)
_TABLE_STUDY = (  # written with -ba n and -ba o: identifiers of no person
    ("SeriesInstanceUID", "SeriesInstanceUID", "str"),
    ("StudyInstanceUID", "StudyInstanceUID", "str"),
    ("StudyID", "StudyID", "str"),
)
_TABLE_PATIENT = (  # written only with -ba n
    ("ReferringPhysicianName", "ReferringPhysicianName", "str"),
    ("PatientName", "PatientName", "str"),
    ("PatientID", "PatientID", "str"),
    ("AccessionNumber", "AccessionNumber", "str"),
)
_TABLE_SERIES = (
    ("BodyPart", "BodyPartExamined", "str"),
    ("PatientPosition", "PatientPosition", "str"),
    ("ProcedureStepDescription", "PerformedProcedureStepDescription", "str"),
    ("SoftwareVersions", "SoftwareVersions", "str"),
    ("MRAcquisitionType", "MRAcquisitionType", "acq"),
    ("StudyDescription", "StudyDescription", "str"),
    ("SeriesDescription", "SeriesDescription", "str"),
    ("ProtocolName", "ProtocolName", "protocol"),
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
#: keys dcm2niix reads into its 256-byte buffers (``dcmStr(..., true)``); every other string keeps 65 characters
_LONG_STRINGS = frozenset({"InstitutionAddress", "ScanOptions"})
# dcm2niix knows a modality by its first two letters (the second in any case): what it prints for each
_MODALITIES = {"CR": "CR", "CT": "CT", "MR": "MR", "PT": "PT", "US": "US", "SE": "SEG"}


def _put(out, key, value, kind):
    if kind == "acq":  # dcm2niix knows only 2D and 3D acquisitions
        if _str(value)[:2].upper() in ("2D", "3D"):
            out[key] = _str(value)[:2].upper()
        return
    if kind == "str":  # held in dcm2niix's string buffers: 65 characters, 255 for the few long ones
        text = dcm_str(value, 256 if key in _LONG_STRINGS else 66)
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


_CODE_FIELDS = {0x00080100: "CodeValue", 0x00080102: "CodingSchemeDesignator", 0x00080103: "CodingSchemeVersion",
                0x00080104: "CodeMeaning"}


def deidentification_codes(ds):
    """dcm2niix's DeidentificationMethodCodeSequence: the code fields met inside (0012,0064), nested ones too,
    an entry closed by each CodeMeaning, none before the first CodeValue, 10 entries at most.

    Examples
    --------
    >>> import pydicom
    >>> from medfast.dicom.header import DatasetHeader
    >>> ds, code = pydicom.Dataset(), pydicom.Dataset()
    >>> code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = "113100", "DCM", "Basic Profile"
    >>> ds.DeidentificationMethodCodeSequence = [code]
    >>> deidentification_codes(DatasetHeader(ds))
    [{'CodeValue': '113100', 'CodingSchemeDesignator': 'DCM', 'CodeMeaning': 'Basic Profile'}]
    """
    out, entry, started = [], {}, False
    for item in ds.items("DeidentificationMethodCodeSequence"):
        for tag, _, value in item.walk():
            name = _CODE_FIELDS.get(tag)
            started = started or name == "CodeValue"
            if name is None or not started or len(out) >= 10:
                continue
            entry[name] = dcm_str(value)  # every field in a 66-byte buffer, CodeMeaning too
            if name == "CodeMeaning":
                out.append({k: entry[k] for k in _CODE_FIELDS.values() if entry.get(k)})
                entry = {}
    return out


def str_list(text):
    r"""dcm2niix's ``json_StrList``: a string split at its backslashes; runs of them, and one at the end, part nothing.

    Examples
    --------
    >>> str_list("a\\b\\\\c\\"), str_list("\\a")
    (['a', 'b', 'c'], ['', 'a'])
    """
    out = [""]
    for i, ch in enumerate(text):
        if ch == "\\":
            continue
        if i > 0 and text[i - 1] == "\\":
            out.append("")
        out[-1] += ch
    return out


def _table(out, ds, table):
    enhanced = bool(ds.frames())
    for key, keyword, kind in table:
        if kind == "protocol":  # dcm2niix's protocol name, the one %p writes (fallbacks, _MoCo)
            _put(out, key, protocol_name(ds, strings(ds.find("ImageType"))), "str")
            continue
        # enhanced files: dcm2niix's flat parse keeps the last value of a tag, nested or not
        nested = ds.last(keyword) if enhanced else None
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
    # dcm2niix looks for "_M_" in the values joined by "_": an M neither first nor last
    said = "M" in items[1:-1] or _str(ds.find("ComplexImageComponent")) == "MAGNITUDE" or (
        ge_type is not None and _float(ge_type) == 0)
    # an enhanced file whose volumes differ in echo time or component is converted in parts, none flagged magnitude
    if said and meta.get("is_magnitude", True) and "MAGNITUDE" not in items and not extra and not _split_enhanced(ds):
        extra.append("MAGNITUDE")
    return items + extra


def _split_enhanced(ds):
    """True when an enhanced file's frames differ in echo time or complex component (dcm2niix's isScaleOrTEVaries)."""
    if not ds.frames():
        return False
    from ..dicom import enhanced

    seen = set()
    for f in enhanced.frames(ds):
        component = _str(f.get("ComplexImageComponent")).upper()
        seen.add((_float(f.get("EffectiveEchoTime")), component if component != "MAGNITUDE" else ""))
        if len(seen) > 1:
            return True
    return False


def build_sidecar(vol, header=None, *, anonymize=True, comment=None, omit_pii=False, philips_precise=True):
    """The sidecar dict dcm2niix writes for ``vol`` (keys in dcm2niix's order).

    Parameters
    ----------
    vol : Volume
        The series; its ``meta`` gives the image components, slice times and TR.
    header : medfast.dicom.header.Header or pydicom.Dataset, optional
        The series' first header; defaults to ``vol.meta["header"]``.
    anonymize : bool
        dcm2niix's ``-ba y`` (default): leave out patient and study identifiers
        and the acquisition date.
    omit_pii : bool
        dcm2niix's ``-ba o`` (with ``anonymize`` False): leave out the patient
        and the referring physician, keep the study identifiers and the date.
    comment : str, optional
        dcm2niix's ``-c`` text, written as ConversionComments; ``MASK_COMMENTS``
        (``-c ""``) leaves ImageComments out instead.
    philips_precise : bool
        False for dcm2niix's ``-p n``: UsePhilipsFloatNotDisplayScaling 0.

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
    if modality[:1] + modality[1:2].upper() in _MODALITIES:
        out["Modality"] = _MODALITIES[modality[:1] + modality[1:2].upper()]
    _put(out, "MagneticFieldStrength", ds.find("MagneticFieldStrength"), "pos")
    freq = _float(ds.find("ImagingFrequency"))
    if not freq > 0:
        freq = _float(ds.find("TransmitterFrequency"))
    if freq < 9_000_000:
        _put(out, "ImagingFrequency", freq, "pos")
    vendor = vendor_key(ds.find("Manufacturer"))
    if vendor == "TO" and canon.comment_gradient(ds) is not None:
        vendor = "CA"  # a Toshiba image with its gradient in ImageComments is Canon to dcm2niix (issue 388)
    if vendor in VENDOR_NAMES:
        out["Manufacturer"] = VENDOR_NAMES[vendor]
    _table(out, ds, _TABLE_ID[:3])
    out.setdefault("InstitutionalDepartmentName", "None")  # dcm2niix's placeholder when the tag is absent
    _table(out, ds, _TABLE_ID[3:])
    if not anonymize:
        _table(out, ds, _TABLE_STUDY)
    if not anonymize and not omit_pii:
        _table(out, ds, _TABLE_PATIENT)
        birth = _str(ds.find("PatientBirthDate"))
        if len(birth) == 8 and birth.isdigit():
            out["PatientBirthDate"] = f"{birth[:4]}-{birth[4:6]}-{birth[6:]}"
        sex = _str(ds.find("PatientSex"))
        if sex:
            out["PatientSex"] = sex[0]
        _put(out, "PatientSize", ds.find("PatientSize"), "pos")
        _put(out, "PatientWeight", ds.find("PatientWeight"), "pos")
        age = _str(ds.find("PatientAge"))
        if len(age) > 1 and age.endswith("Y"):  # in years only (BIDS)
            out["PatientAge"] = leading_int(age[:-1])
    _table(out, ds, _TABLE_SERIES)
    three_d = acquisition_3d(ds, meta, vendor)
    if three_d and out.get("MRAcquisitionType") != "3D":
        new = "MRAcquisitionType" not in out
        out["MRAcquisitionType"] = "3D"  # (dcm2niix prints 3D after a 2D the header states: 3D is read)
        if new:
            out = _before(out, "MRAcquisitionType", "StudyDescription")
    elif not three_d and out.get("MRAcquisitionType") == "3D":  # Philips' private type says otherwise
        del out["MRAcquisitionType"]
    if vendor == "SI":  # Siemens XA enhanced keeps the classic sequence attributes in private (0021,105A-C)
        for key, element in (("ScanningSequence", 0x105A), ("SequenceVariant", 0x105B), ("ScanOptions", 0x105C)):
            if key not in out:
                _put(out, key, ds.private((0x0021, element)), "str")
    if "SequenceName" not in out:
        _put(out, "SequenceName", ds.find("PulseSequenceName") or ds.private((0x0019, 0x109C), nested=False), "str")
    else:  # dcm2niix writes both when SequenceName is there
        _put(out, "PulseSequenceName", ds.find("PulseSequenceName"), "str")
    block = siemens.protocol(ds) if vendor == "SI" else ""
    ge_block = ge.protocol_block(ds) if vendor == "GE" else {}
    if ge_block.get("PSEQ") and "ProcedureStepDescription" not in out:  # GE keeps it in the protocol block
        out["ProcedureStepDescription"] = ge_block["PSEQ"]
    ge_timing = ge_series_timing(vol, ds, three_d) if vendor == "GE" else None
    if ge_timing and ge_timing["internal"] > 0:
        out["InternalPulseSequenceName"] = "EPI" if ge_timing["internal"] == 1 else "EPI2"
    slice_times = ge_timing["times"] if ge_timing else slice_timing(vol, ds, vendor, block)
    multiband = multiband_factor(vol, ds, vendor, slice_times) if modality == "MR" and vendor != "GE" else 1
    if ge_timing and modality == "MR":
        multiband = ge_timing["multiband"]
    pst = pulse_sequence_type(out.get("ScanningSequence"), out.get("SequenceVariant"), multiband)
    if pst:
        out["PulseSequenceType"] = pst
    kinds = image_type(ds, meta)
    if kinds:
        out["ImageType"] = kinds
    text_types = _words(ds.private((0x0021, 0x1175))) if vendor == "SI" else []
    derived = derived_image(strings(ds.find("ImageType")))
    if text_types:
        out["ImageTypeText"] = text_types
    words = set(text_types) | set(_words(ds.find("ImageType")))  # distortion correction, any vendor
    if words & {"DIS2D", "DIS3D"}:
        out["NonlinearGradientCorrection"] = True
    elif "ND" in words or text_types:
        out["NonlinearGradientCorrection"] = False
    if derived:
        out["RawImage"] = False
    deid = dcm_str(ds.find("DeidentificationMethod"))
    if deid:
        out["DeidentificationMethod"] = str_list(deid)
    codes = deidentification_codes(ds)
    if codes:
        out["DeidentificationMethodCodeSequence"] = codes
    series = int(_float(ds.find("SeriesNumber")) or 0) if math.isfinite(_float(ds.find("SeriesNumber"))) else 0
    if vendor == "GE":
        series = ge.series_number(ds, series)
    if series < 1:  # none: the reader's CRC-32 of SeriesInstanceUID, as dcm2niix
        series = int(meta.get("SeriesNumber") or 0)
    if series > 0:
        out["SeriesNumber"] = series
    # dcm2niix: AcquisitionTime and AcquisitionDate (0008,0022), or, when both are absent, AcquisitionDateTime
    acq_time, acq_date = _str(ds.find("AcquisitionTime")), _str(ds.find("AcquisitionDate"))
    if not _float(acq_time, 0.0) and not _float(acq_date, 0.0):
        stamp = _str(ds.find("AcquisitionDateTime", _first_frame(meta)))
        if len(stamp) > 13:
            acq_time, acq_date = stamp[8:], stamp[:8]
    pet = modality[:1] + modality[1:2].upper() == "PT"  # (PET's times come with its other keys)
    if _float(acq_time, 0.0) > 0 and _float(acq_date, 0.0) > 0 and not pet:
        out["AcquisitionTime"] = _iso_time(acq_time)
        if not anonymize:  # dcm2niix prints the date as a signed 8-digit number, read back as year, month, day
            day = f"{int(_float(acq_date)):+09d}"
            out["AcquisitionDateTime"] = f"{int(day[:5]):4d}-{day[5:7]}-{day[7:9]}T{out['AcquisitionTime']}"
    _put(out, "AcquisitionNumber", ds.find("AcquisitionNumber"), "int")
    comments = dcm_str(ds.find("ImageComments"), 256)  # its cut may end in a blank, kept
    if comment != MASK_COMMENTS:  # dcm2niix -c "": neither comment is written
        if comments:
            out["ImageComments"] = comments
        if comment:
            out["ConversionComments"] = comment
    if vendor == "GE":
        _put(out, "TriggerDelayTime", _ge_trigger_delay(meta, ds), "pos")
        if ge.zip_factor(ds) > 1:
            out["Interpolation3D"] = ge.zip_factor(ds)
    frame = _first_frame(meta)
    if vendor == "PH":
        _philips_keys(out, ds, meta, frame, philips_precise)
    if meta.get("real_is_fieldmap_hz") and meta.get("is_real", True):
        out["Units"] = "Hz"
    xray = x_ray_exposure(ds)
    _ct_keys(out, vol, ds, vendor, xray)
    if xray is None:  # CT slice thickness often varies: dcm2niix leaves both out for X-ray images
        _table(out, ds, _TABLE_ACQ[:2])
    _table(out, ds, _TABLE_ACQ[2:])
    table = _table_position(ds, vendor)
    if table is not None:
        out["TablePosition"] = table
    averages = _float(ds.find("NumberOfAverages"), 0.0)
    if averages > 1:
        out["NumberOfAverages"] = averages
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
    elif te > 0 and xray is None:
        out["EchoTime"] = te / 1000.0
    tr = meta.get("repetition_time")
    tr = float(tr) if tr else _float(ds.find("RepetitionTime")) / 1000.0
    if ge_timing:  # GE: the TR grows by the group delay
        tr = ge_timing["tr"] / 1000.0
    if tr > 0 and "FrameDuration" not in out:  # frames of their own duration have no one TR
        out["RepetitionTime"] = tr
    for key, name in (("repetition_time_excitation", "RepetitionTimeExcitation"),
                      ("repetition_time_inversion", "RepetitionTimeInversion")):
        if meta.get(key):  # the header's TR where acquisition times gave another (issue 560)
            out[name] = meta[key]
    inversion = ds.find("InversionTime")
    if inversion is None:
        times = ds.find("InversionTimes")
        inversion = _floats_first(times)
    prepulse = _float(ds.private((0x2001, 0x101B), nested=False)) if vendor == "PH" else math.nan
    if prepulse > 0:  # Philips' prepulse delay (ms) is its inversion time
        inversion = prepulse
    _put(out, "InversionTime", inversion, "s")
    _mt_state(out, ds)
    _spoiling(out, ds, out.get("SequenceVariant", ""))
    _put(out, "FlipAngle", ds.find("FlipAngle"), "pos")
    if _str(ds.find("VariableFlipAngleFlag"))[:1].upper() == "Y":
        out["VariableFlipAngleFlag"] = True
    if vendor == "UI":
        _put(out, "PhaseEncodingDirectionDisplayed", uih.displayed_phase_direction(ds), "str")
    oversampling = sidecar_siemens.protocol_keys(out, block, vol, ds) if block else 0.0
    if not block and vendor == "SI" and siemens.has_series_header(ds):  # a series header without protocol
        out["MatrixCoilMode"] = "None"
    if not block:
        coil = _str(ds.private((0x0051, 0x100F), nested=False)) if vendor in ("SI", "CP") else ""
        _put(out, "CoilString", coil or ds.find("ReceiveCoilName"), "str")
    _asl(out, ds, vendor)
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
    if vendor == "PH" and partial_fourier(ds) and steps:
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
    _phase_encoding(out, vol, ds, vendor, oversampling, None if three_d else slice_times, three_d)
    guess = bids_guess(ds, meta, out, phase_positive=phase_polarity(meta, ds, vendor)[0])
    if guess:
        out["BidsGuess"] = list(guess)
    return _in_dcm2niix_order(out)


_TAIL = ("TotalReadoutTime", "PixelBandwidth", "DwellTime", "PhaseEncodingAxis", "PhaseEncodingDirection", "SliceTiming",
         "ImageOrientationPatientDICOM", "ImageOrientationText", "InPlanePhaseEncodingDirectionDICOM", "BidsGuess")
# keys computed out of dcm2niix's print order -> the keys they must precede (the first present one)
_PRINT_ORDER = (
    ("PulseSequenceType", ("ScanOptions", "SequenceName", "PulseSequenceName", "ImageType")),
    ("PartialFourierDirection", ("PartialFourierEnabled", "PhaseEncodingStepsNoPartialFourier", "PhaseEncodingSteps",
                                 "FrequencyEncodingSteps", "PhaseEncodingStepsOutOfPlane", "AcquisitionMatrixPE")),
    ("WaterFatShift", ("EstimatedEffectiveEchoSpacing", "EffectiveEchoSpacing", "DerivedVendorReportedEchoSpacing") + _TAIL),
    ("EstimatedEffectiveEchoSpacing", ("EffectiveEchoSpacing", "DerivedVendorReportedEchoSpacing") + _TAIL),
    ("EstimatedTotalReadoutTime", ("EffectiveEchoSpacing", "DerivedVendorReportedEchoSpacing") + _TAIL),
    ("AcquisitionDuration", _TAIL),
    ("NumberOfKSpaceTrajectories", _TAIL),
)


def acquisition_3d(ds, meta, vendor):
    """dcm2niix's is3DAcq: the acquisition type (0018,0023), or Philips' (2005,106F) when present, starts "3D";
    or GE's rules take the series for silent fMRI (``bids_vendors.ge_silent_fmri``).

    A 3-D acquisition has no slice times and, unless an echo train or EPI
    readout says otherwise, no phase-encoding axis.

    Examples
    --------
    >>> from medfast.dicom.header import ValuesHeader
    >>> acquisition_3d(ValuesHeader({"MRAcquisitionType": "3D"}), {}, "SI"), acquisition_3d(ValuesHeader({}), {}, "GE")
    (True, False)
    """
    stated = _str(ds.find("MRAcquisitionType"))
    private = _str(ds.private((0x2005, 0x106F)))
    if len(private) > 1:
        stated = private
    if stated[:1] == "3" and stated[1:2].upper() == "D":
        return True
    return vendor == "GE" and ge_silent_fmri(BidsSeries.read(ds, meta))


def _before(out, key, anchor):
    """``out`` with ``key`` moved just before ``anchor`` (or left last when ``anchor`` is absent)."""
    value = out.pop(key)
    moved = {}
    for k, v in out.items():
        if k == anchor:
            moved[key] = value
        moved[k] = v
    moved.setdefault(key, value)
    return moved


def _in_dcm2niix_order(out):
    """Keys medfast computes late moved to where dcm2niix prints them (the values are unchanged)."""
    for key, anchors in _PRINT_ORDER:
        if key in out:
            out = _before(out, key, next((k for k in anchors if k in out and k != key), None))
    return out


def x_ray_exposure(ds):
    """Exposure (0018,1152, mAs) of an X-ray image (CT, CR, DX), or None for other images.

    dcm2niix flags an image as X-ray when it carries Exposure and no echo
    time; it then writes XRayExposure instead of EchoTime, and no slice
    thickness or spacing.

    Examples
    --------
    >>> from medfast.dicom.header import ValuesHeader
    >>> x_ray_exposure(ValuesHeader({"Exposure": 250})), x_ray_exposure(ValuesHeader({"Exposure": 2, "EchoTime": 3.0}))
    (250.0, None)
    """
    exposure = ds.find("Exposure")
    if exposure is None or _float(ds.find("EchoTime"), 0.0) != 0:
        return None
    x = _float(exposure, 0.0)
    return x if math.isfinite(x) else 0.0


def _ct_keys(out, vol, ds, vendor, xray):
    """PET keys (``sidecar_pet``) around ConvolutionKernel (split into ReconFilterType/Size), then ExposureTime,
    XRayTubeCurrent and XRayExposure, as dcm2niix prints them."""
    out.update(sidecar_pet.isotope_keys(ds, vendor))
    kernel = _str(ds.find("ConvolutionKernel"))
    _put(out, "ConvolutionKernel", kernel, "str")
    tr = vol.meta.get("repetition_time")
    out.update(sidecar_pet.correction_keys(vol, ds, tr * 1000.0 if tr else _float(ds.find("RepetitionTime"), 0.0)))
    size = _float(ds.private((0x0009, 0x108F), nested=False)) if vendor == "GE" else math.nan
    if math.isnan(size) and kernel:
        name, number = _kernel_parts(kernel)
        if name:
            out["ReconFilterType"] = name
        if number > 0:
            out["ReconFilterSize"] = number
    elif not math.isnan(size):
        out["ReconFilterSize"] = size
    out.update(sidecar_pet.time_keys(ds))
    exposure_ms = leading_int(ds.find("ExposureTime"))  # IS, read as C's atoi: an integer
    if exposure_ms > 0:
        out["ExposureTime"] = exposure_ms / 1000.0
    current = leading_int(ds.find("XRayTubeCurrent"))
    if current > 0:
        out["XRayTubeCurrent"] = current
    if xray is not None and xray > 0:
        out["XRayExposure"] = xray


def _kernel_parts(kernel):
    """A kernel named "<type><size>" ("XYZ Gauss4.00", "FC13") -> (type, size); ('', 0) when it ends in letters.

    The size starts at the first digit or '.' after which only digits, '.'
    and blanks follow; the type is what precedes it, trailing blanks cut.
    """
    split = -1
    for i, c in enumerate(kernel):
        if c.isdigit() or c == ".":
            if split < 0:
                split = i
        elif c != " ":
            split = -1
    if split <= 0:
        return "", 0.0
    return kernel[:split].rstrip(" "), atof(kernel[split:])


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


def _asl(out, ds, vendor):
    """dcm2niix's ASL keys of any vendor: (0018,9258) as the post-labeling delay, the labeling type, GE's labeling.

    The labeling type comes from ArterialSpinLabelingContrast (0018,9250) and
    GE's (0043,10A3) and (0043,10A4); of several, pulsed wins over
    pseudo-continuous over continuous (dcm2niix prints each, the last counts).
    GE's label duration (0043,10A5, ms) also gives the inversion time as the
    post-labeling delay and the spiral's points per arm and arms.
    """
    delay = integer(ds.last("ASLPulseTrainDuration"), 0)  # ms; dcm2niix names it the post-labeling delay
    if delay > 0:
        out["PostLabelingDelay"] = delay / 1000.0
    contrast = _str(ds.find("ArterialSpinLabelingContrast"))
    kinds = {"PCASL" if "PSEUDOCONTINUOUS" in contrast else "CASL" if "CONTINUOUS" in contrast else
             "PASL" if "PULSED" in contrast else ""}
    if vendor == "GE":
        technique = _str(ds.private((0x0043, 0x10A3), nested=False))
        kinds.add("PCASL" if "PSEUDOCONTINUOUS" in technique else "CASL" if "CONTINUOUS" in technique else "")
        labeling = _str(ds.private((0x0043, 0x10A4), nested=False))
        kinds |= {"CASL" if "3D continuous" in labeling else "", "PCASL" if "3D pulsed continuous" in labeling else ""}
    kind = next((k for k in ("PASL", "PCASL", "CASL") if k in kinds), None)
    if kind:
        out["ArterialSpinLabelingType"] = kind
    duration = integer(ds.private((0x0043, 0x10A5), nested=False), 0) if vendor == "GE" else 0
    if duration > 0:
        out["LabelingDuration"] = duration / 1000.0
        _put(out, "PostLabelingDelay", _float(ds.find("InversionTime"), 0.0) / 1000.0, "pos")
        for name, element in (("NumberOfPointsPerArm", 0x1060), ("NumberOfArms", 0x1061)):
            _put(out, name, ds.private((0x0027, element), nested=False), "pos")


def _mt_state(out, ds):
    """MTState from (0018,9020) as dcm2niix reads it: OFF_RESONANCE true, ON_RESONANCE or NONE false."""
    mt = _str(ds.find("MagnetizationTransfer")).upper()
    if mt[:2] == "OF":
        out["MTState"] = True
    elif mt[:2] in ("ON", "NO"):
        out["MTState"] = False


def _floats_first(value):
    if is_multi(value):
        return value[0] if len(value) else None
    return value


def _first_frame(meta):
    frames = meta.get("frames") or []
    return frames[0][1] if frames and meta.get("enhanced") else None


def _philips_keys(out, ds, meta, frame, precise=True):
    """dcm2niix's Philips keys after ImageComments: trigger delay, real-world scaling, display and private scale.

    TriggerDelayTime: the trigger time (ms) of the series, or the span from its
    first to its last image when that is positive (saveDcm2NiiCore). The
    real-world slope (0040,9225) is reported whenever set (below 1e38); the
    rescale keys (see PhilipsPrecise) only with a private scale slope
    (2005,100E) that does not vary between the frames of an enhanced file.
    """
    trigger = _float(meta.get("trigger_delay_time"), 0.0)
    if trigger > 0:
        out["TriggerDelayTime"] = trigger
    rwv = _float(ds.find("RealWorldValueSlope", frame))
    if math.isfinite(rwv) and rwv != 0 and rwv <= 1e38:
        out["PhilipsRWVSlope"] = rwv
        out["PhilipsRWVIntercept"] = _float(ds.find("RealWorldValueIntercept", frame) or 0.0)
    scale = _float(ds.private((0x2005, 0x100E), frame))
    scaling = meta.get("scaling") or {}
    if not (math.isfinite(scale) and scale != 0) or (meta.get("enhanced") and (scaling.get("varies") or scaling.get("ignored"))):
        return
    slope = _float(ds.find("RescaleSlope", frame))
    out["PhilipsRescaleSlope"] = slope if math.isfinite(slope) else 1.0
    inter = _float(ds.find("RescaleIntercept", frame))
    out["PhilipsRescaleIntercept"] = inter if math.isfinite(inter) else 0.0
    out["PhilipsScaleSlope"] = scale
    out["UsePhilipsFloatNotDisplayScaling"] = int(precise)


_PARTIAL_FOURIER_DIRECTIONS = {"P": "PHASE", "F": "FREQUENCY", "S": "SLICE_SELECT", "C": "COMBINATION"}


def partial_fourier(ds):
    r"""dcm2niix's isPartialFourier: (0018,9081) YES, PFF in ScanOptions, or Philips' partial matrix (2001,1019) YES.

    Examples
    --------
    >>> from medfast.dicom.header import ValuesHeader
    >>> partial_fourier(ValuesHeader({"ScanOptions": "FC\\PFF"})), partial_fourier(ValuesHeader({"PartialFourier": "NO"}))
    (True, False)
    """
    return (_str(ds.find("PartialFourier"))[:1].upper() == "Y" or "PFF" in _str(ds.find("ScanOptions"))
            or _str(ds.private((0x2001, 0x1019), nested=False))[:1].upper() == "Y")


def _deep_learning(ds, vendor):
    """The details of a deep-learning reconstruction ('' when unnamed), or None for a conventional one.

    Philips names it in (2005,1110) (an "_AI" method such as CS_SENSE_AI);
    Siemens marks Deep Resolve Boost, Gain and Sharp in ImageType or its text
    (0021,1175) as DRB, DRG, DRS, and details them in (0021,1176).
    """
    if vendor == "PH":
        method = dcm_str(ds.private((0x2005, 0x1110), nested=False))
        return method if "_AI" in method else None
    if vendor == "SI":
        for value in (ds.find("ImageType"), ds.private((0x0021, 0x1175))):
            joined = dcm_str("\\".join(strings(value))).replace("\\", "_")
            if any(mark in joined for mark in ("_DRB_", "_DRG_", "_DRS_")):
                return dcm_str(ds.private((0x0021, 0x1176)), 256)  # its text, when it states one
    return None


def pulse_sequence_type(scanning, variant, multiband):
    r"""dcm2niix's PulseSequenceType from ScanningSequence and SequenceVariant ('' when it names none).

    Examples
    --------
    >>> pulse_sequence_type("EP", "SK", 3), pulse_sequence_type("GR\\IR", "SK\\SP\\MP", 1)
    ('Multiband Gradient Echo EPI', 'MPRAGE')
    """
    seq, var = "\\".join(_words(scanning)), "\\".join(_words(variant))
    spoiled = var == "SP" or var.startswith("SP\\") or "\\SP" in var  # not the SP of OSP
    if "EP" in seq:
        kind = "Spin Echo EPI" if "SE" in seq else "Gradient Echo EPI"
        return ("Multiband " + kind) if multiband > 1 else kind
    if "GR" in seq:
        return "MPRAGE" if "MP" in var and "IR" in seq else "Spoiled Gradient Echo" if spoiled else "Gradient Echo"
    if "SE" in seq:
        return "Inversion Recovery Spin Echo" if "IR" in seq else "Spin Echo"
    return ""  # (inversion recovery alone, RM and the others: none)


def _table_position(ds, vendor):
    position = ds.private((0x0019, 0x1014), nested=False)
    if position is None and vendor == "SI":
        position = ds.private((0x0021, 0x1005))
    if vendor == "SI" and position is not None:
        found = [_float(v) for v in (position if is_multi(position) else str(position).split("\\"))]
        if len(found) == 3:  # dcm2niix reverses z (its issue 726), so 0 prints as -0
            return [found[0], found[1], -found[2]]
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
    gradient = _float(ds.find("GradientEchoTrainLength"))  # (0018,9241) comes later in a file: it wins from 2 on
    etl = gradient if gradient >= 2 else _float(ds.find("EchoTrainLength"))
    return uih.echo_train_length(ds, etl) if vendor == "UI" else etl


def _accel(ds, vendor):
    """(in-plane, out-of-plane) parallel reduction factors; NaN where no source gives one."""
    inplane, outplane = _float(ds.find("ParallelReductionFactorInPlane")), _float(ds.find("ParallelReductionFactorOutOfPlane"))
    if vendor == "UI" and ds.get((0x0065, 0x100D)) is not None:  # UIH's factor, unless (0018,9069) is larger
        inplane = max(uih.accel_in_plane(ds), inplane if inplane > 1 else 0.0)
    if vendor == "SI":  # dcm2niix ignores (0018,9069) and (0018,9155) for Siemens: PAT mode text, then the protocol
        inplane, outplane = siemens.pat_mode(ds)[0] or math.nan, math.nan
        block = siemens.protocol(ds)
        if block and _key_int(block, "sPat.lAccelFactPE") > 0:  # sPat.lAccelFactPE / lAccelFact3D win (issue 672)
            inplane = float(_key_int(block, "sPat.lAccelFactPE"))
        if block and _key_int(block, "sPat.lAccelFact3D") > 0:
            outplane = float(_key_int(block, "sPat.lAccelFact3D"))
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


def _phase_encoding(out, vol, ds, vendor, oversampling, times, three_d):
    shape = vol.stored.shape
    meta = vol.meta
    rc = _str(ds.find("InPlanePhaseEncodingDirection"))[:1]
    acq = [int(v) for v in floats(ds.find("AcquisitionMatrix")) if math.isfinite(v)]  # not numbers: none
    # AcquisitionMatrix: frequency rows, frequency columns, phase rows, phase columns (one of each pair is 0)
    lines = acq[2] + acq[3] if len(acq) == 4 else 0
    if not lines and vendor == "SI":  # Siemens: the protocol's lines (XA: the enhanced steps); no other vendor
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
    technique = _str(ds.find("ParallelAcquisitionTechnique"))
    compressed = math.nan
    if vendor == "PH" and accel > 1 and "CSENSE" in technique:  # Philips reports compressed SENSE as its factor
        compressed, accel, technique = accel, 1.0, ""
    for key, value in (("ParallelReductionFactorInPlane", accel), ("ParallelAcquisitionTechnique", technique),
                       ("ParallelReductionFactorOutOfPlane", accel_oop), ("CompressedSensingFactor", compressed)):
        if isinstance(value, str):
            _put(out, key, value, "str")
        elif value > 0 and (key != "CompressedSensingFactor" or value > 1):  # only what the headers report
            out[key] = int(value) if float(value).is_integer() else value
    accel = accel if accel > 0 else 1.0
    if vendor == "GE":
        out.update(ge.reconstruction_keys(ds))
    direction = _str(ds.find("PartialFourierDirection"))[:1].upper()
    if direction in _PARTIAL_FOURIER_DIRECTIONS:
        out["PartialFourierDirection"] = _PARTIAL_FOURIER_DIRECTIONS[direction]
    deep = _deep_learning(ds, vendor)
    if deep is not None:
        out["DeepLearning"] = True
        _put(out, "DeepLearningDetails", deep, "str")
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
    wfs = _float(ds.private((0x2001, 0x1022))) if vendor == "PH" else math.nan
    if math.isfinite(wfs) and wfs > 0:
        out["WaterFatShift"] = wfs
        freq = _float(ds.find("ImagingFrequency"))
        etl = _float(ds.find("EchoTrainLength"))
        if not etl > 1:
            etl = _float(ds.private((0x2001, 0x1013)))
        if "EffectiveEchoSpacing" not in out and freq > 0 and etl > 0 and recon > 1:
            actual = wfs / (freq * 3.4 * (etl + 1))
            total = actual * etl
            out["EstimatedEffectiveEchoSpacing"] = total / (recon - 1)
            out["EstimatedTotalReadoutTime"] = total
    _put(out, "PixelBandwidth", ds.last("PixelBandwidth") if ds.frames() else ds.find("PixelBandwidth"), "pos")
    # dcm2niix reads the dwell time from (0019,1018) only, not from the CSA header
    dwell = _float(ds.private((0x0019, 0x1018), nested=False)) if vendor == "SI" else math.nan
    if not dwell > 0 and vendor == "SI":  # XA enhanced: (0021,1142), ns
        dwell = _float(ds.private((0x0021, 0x1142)))
    if dwell > 0:
        out["DwellTime"] = dwell * 1e-9
    positive, ge_polarity = phase_polarity(meta, ds, vendor)
    if ge_polarity:
        out["PhaseEncodingPolarityGE"] = ge_polarity
    # 3-D acquisitions have no phase-encoding axis, unless an echo train (not spin echo) or an EPI readout
    not_se = "SE" not in _str(ds.find("ScanningSequence"))
    skip_axis = three_d and not (
        (_echo_train_length(ds, vendor) > 1 or bw > 0) and not_se)
    if rc in ("R", "C") and not skip_axis:
        axis = "j" if rc == "C" else "i"
        if positive is None or positive < 0:
            out["PhaseEncodingAxis"] = axis
        else:
            # NIfTI rows run opposite to DICOM rows: a positive column direction is "j-"
            negative = positive == 1 if rc == "C" else positive == 0
            out["PhaseEncodingDirection"] = axis + ("-" if negative else "")
    if times is not None and _str(ds.find("Modality")) not in ("CT", "PT"):
        out["SliceTiming"] = [float(t) for t in times]
    orient = floats(ds.find("ImageOrientationPatient"))  # a broken value (one number, text): none
    if orient and max(abs(v) for v in orient) > 0:
        out["ImageOrientationPatientDICOM"] = orient
    text = _str(ds.private((0x0051, 0x100E), nested=False)) if vendor == "SI" else ""
    if text:
        out["ImageOrientationText"] = text
    if rc == "C":
        out["InPlanePhaseEncodingDirectionDICOM"] = "COL"
    elif rc == "R":
        out["InPlanePhaseEncodingDirectionDICOM"] = "ROW"


def phase_polarity(meta, ds, vendor):
    """(dcm2niix's phaseEncodingDirectionPositive: 1, 0 or -1 unknown; GE's polarity text or None).

    The reader's value wins; GE: ``ge.phase_polarity``; UIH: ``uih.phase_positive``;
    Siemens: the CSA PhaseEncodingDirectionPositive, else XA's (0021,111C).
    """
    positive = meta.get("phase_encoding_positive")
    ge_polarity = None
    if positive is None and vendor == "GE":
        ge_polarity = ge.phase_polarity(ds) or None
        if ge_polarity:
            positive = 0 if ge_polarity == "Flipped" else 1
    if positive is None and vendor == "UI":
        positive = uih.phase_positive(ds)
    if positive is None and vendor == "SI":
        value = siemens.csa_float(ds, "PhaseEncodingDirectionPositive")
        if not math.isfinite(value):
            value = _float(ds.private((0x0021, 0x111C)))
        positive = int(value) if math.isfinite(value) else -1
    return (-1 if positive is None else int(positive)), ge_polarity


# keys dcm2niix prints with more digits than %g (its json_Float format strings); the rest: %g
_FORMATS = {"ImagingFrequency": "%.10g", "InjectedRadioactivity": "%.8g", "DoseCalibrationFactor": "%.8g",
            "MolarActivity": "%.9g", "SpectralWidth": "%.17g", "SpectrometerFrequency": "%.9g"}
_ONE_LINE_LISTS = frozenset({"ScatterFraction"})  # numeric lists dcm2niix prints on one line
# control characters dcm2niix's json_Str escapes (0x01-0x07 it drops); 0x0B becomes an escaped backslash
_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\x0b": "\\\\", "\f": "\\f", "\r": "\\r", '"': '\\"', "\\": "\\\\"}


def _g(x, fmt="%g"):
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    return fmt % x


def _json_str(value):
    """A string as dcm2niix's json_Str writes it: quotes and backslashes escaped, \\b \\t \\n \\f \\r, 0x01-0x07 dropped."""
    out = []
    for ch in value:
        if "\x01" <= ch <= "\x07":
            continue
        if ch not in _ESCAPES and ord(ch) < 0x20:  # dcm2niix leaves these raw (invalid JSON): escaped here
            out.append(f"\\u{ord(ch):04x}")
            continue
        out.append(_ESCAPES.get(ch, ch))
    return '"' + "".join(out) + '"'


def conversion_software():
    """(ConversionSoftware, ConversionSoftwareVersion) medfast writes: its own name, its version as dcm2niix's "v..." form.

    dcm2niix writes "dcm2niix" and "v1.0.20260724". The sidecar names the
    program that wrote it (BIDS' provenance keys), in the same form, so tools
    that read the version as "v" followed by dotted numbers keep working.

    Examples
    --------
    >>> name, version = conversion_software()
    >>> name, version.startswith("v")
    ('medfast', True)
    """
    from .. import __version__

    return "medfast", "v" + str(__version__)


def to_json(sidecar, version=None):
    r"""The sidecar as dcm2niix prints it (tabs, %g numbers, arrays one number a line), ConversionSoftware keys last.

    Examples
    --------
    >>> text = to_json({"Modality": "MR", "EchoTime": 0.03, "ImageType": ["ORIGINAL", "M"], "Shim": [1.0, -2.0]})
    >>> text.splitlines()[1:7]
    ['\t"Modality": "MR",', '\t"EchoTime": 0.03,', '\t"ImageType": ["ORIGINAL", "M"],', '\t"Shim": [', '\t\t1,', '\t\t-2\t],']
    >>> to_json({"ImagingFrequency": 123.2512345678}).splitlines()[1]
    '\t"ImagingFrequency": 123.2512346,'
    """
    name, own_version = conversion_software()
    items = dict(sidecar)
    items["ConversionSoftware"] = name
    items["ConversionSoftwareVersion"] = version or own_version
    lines = []
    for key, value in items.items():
        if isinstance(value, str):
            text = _json_str(value)
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            sep = "," if key == "BidsGuess" else ", "  # dcm2niix prints BidsGuess without the blank
            text = "[" + sep.join(_json_str(v) for v in value) + "]"
        elif isinstance(value, list) and value and isinstance(value[0], dict):  # the code sequence's layout
            text = "[ \n" + ",\n".join("\t  { \n" + ",\n".join(f'\t\t"{k}": {_json_str(v)}' for k, v in entry.items())
                                      + "\n\t  }" for entry in value) + "\n\t]"
        elif isinstance(value, list) and key in _ONE_LINE_LISTS:
            text = "[" + ", ".join(_g(v) for v in value) + "]"
        elif isinstance(value, list):
            text = "[\n" + ",\n".join(f"\t\t{_g(v)}" for v in value) + "\t]"
        else:
            text = _g(value, _FORMATS.get(key, "%g"))
        lines.append(f'\t"{key}": {text}')
    return "{\n" + ",\n".join(lines) + "\n}\n"
