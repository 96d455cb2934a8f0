"""The PET keys of dcm2niix's sidecar (BIDS-PET) and its per-volume frame timing.

dcm2niix prints them in three runs around the reconstruction kernel:
``isotope_keys`` (tracer and dose, before ConvolutionKernel),
``correction_keys`` (units, corrections, reconstruction and the frame lists,
before ReconFilterType) and ``time_keys`` (SeriesTime, AcquisitionTime,
ScanStart and decay correction time, before the CT keys). Each key is written
only when the header states its value, whatever the modality, except the
times, which are PET's; the radiopharmaceutical's values are the last in the
file (nested in its information sequence).

The frame lists follow dcm2niix's collection of one file a volume (those at
the first file's position), done for a series of several files when it is
PET or not GE: the frame durations (0018,1242) of each volume; for PET with
a SeriesTime the onset of each volume (its AcquisitionTime less the
SeriesTime, never negative) and its decay factor (0054,1321); else, when the
volumes are unevenly apart (any modality), each volume's onset after the first.
"""
from __future__ import annotations

from ..dicom.values import dcm_str, leading_int, number, seconds, text

# reconstruction method (0054,1103) -> the name dcm2niix writes, first match
_RECON_NAMES = (("PSF+TOF3i21s", "Point-Spread Function + Time Of Flight"),
                ("PSF TOF 3D OSEM", "Point-Spread Function 3D Time Of Flight"),
                ("OP-OSEM", "Ordinary Poisson - Ordered Subset Expectation Maximization"),
                ("OSEM3D-OP-PSF", "Ordinary Poisson 3D Ordered Subset Expectation Maximization + Point-Spread Function"),
                ("LOR-RAMLA", "Line Of Response - Row Action Maximum Likelihood"),
                ("3D-RAMLA", "3D Row Action Maximum Likelihood"), ("3DRP", "3DRP"),
                ("3D Kinahan-Rogers", "3D Kinahan-Rogers"))
# else the words of every part it names, in this order; a tuple of tokens is an if / else-if pair
_RECON_PARTS = ((("OSEM", "Ordered Subset Expectation Maximization"), ("OS", "Ordered Subset")),
                (("LOR", "Line Of Response"),), (("RAMLA", "Row Action Maximum Likelihood"),),
                (("OP", "Ordinary Poisson"),), (("PSF", "Point-Spread Function modelling"),),
                (("TOF", "Time Of Flight"),), (("TF", "Time Of Flight"),),
                (("VPHD", "VUE Point HD"), ("VPHD-S", "3D Ordered Subset Expectation Maximization with Point-Spread "
                                                      "Function modelling")),
                (("VPFX", "VUE Point HD using Time Of Flight"),
                 ("VPFXS", "VUE Point HD using Time Of Flight with Point-Spread Function modelling")),
                (("Q.Clear", "VUE Point HD with regularization (smoothing)"),),
                (("BLOB", "3D spherically symmetric basis function"),),
                (("FilteredBack", "Filtered Back Projection"), ("Filtered Back", "Filtered Back Projection")),
                (("3DRP", "3D Kinahan-Rogers"),))


def _positive(out, key, value, scale=1.0):
    x = number(value, 0.0)
    if x == x and x > 0:
        out[key] = x * scale


def isotope_keys(ds, vendor):
    """Tracer, radionuclide and dose keys: TracerName ... DoseCalibrationFactor.

    Examples
    --------
    >>> from medfast.dicom.header import ValuesHeader
    >>> isotope_keys(ValuesHeader({"Radiopharmaceutical": "FDG -- fluorodeoxyglucose", "RadionuclideTotalDose": 3.7e8}), "")
    {'TracerName': 'FDG', 'InjectedRadioactivity': 370.0, 'InjectedRadioactivityUnits': 'MBq'}
    """
    out = {}
    tracer = dcm_str(ds.last("Radiopharmaceutical")).split(" -- ")[0]  # GE: "FDG -- fluorodeoxyglucose"
    if tracer:
        out["TracerName"] = tracer
    nuclide = _radionuclide(ds)
    if nuclide:
        out["TracerRadionuclide"] = nuclide
    _positive(out, "RadionuclidePositronFraction", ds.last("RadionuclidePositronFraction"))
    _positive(out, "InjectedRadioactivity", ds.last("RadionuclideTotalDose"), 1e-6)  # Bq -> MBq
    if "InjectedRadioactivity" in out:
        out["InjectedRadioactivityUnits"] = "MBq"
    _positive(out, "MolarActivity", ds.last("RadiopharmaceuticalSpecificActivity"))
    if "MolarActivity" in out:
        out["MolarActivityUnits"] = "Bq/umol"
    if vendor == "GE":
        _positive(out, "InjectedVolume", ds.private((0x0009, 0x103A), nested=False))
    _positive(out, "RadionuclideHalfLife", ds.last("RadionuclideHalfLife"))
    _positive(out, "DoseCalibrationFactor", ds.find("DoseCalibrationFactor"))
    return out


def _radionuclide(ds):
    """The first CodeMeaning inside the Radiopharmaceutical Information Sequence, its carets removed."""
    for item in ds.items("RadiopharmaceuticalInformationSequence")[:1]:
        for tag, _, value in item.walk():
            if tag == 0x00080104:
                return dcm_str(value).replace("^", "")
    return ""


def correction_keys(vol, ds, tr_ms):
    """Units, corrections, reconstruction method and the frame lists: Units ... FrameReferenceTime.

    ``tr_ms`` is the repetition time the sidecar reports (ms), which stands
    for a frame duration of 0.

    Examples
    --------
    >>> import numpy as np
    >>> from medfast.volume import Volume
    >>> from medfast.dicom.header import ValuesHeader
    >>> correction_keys(Volume(np.zeros((2, 2, 2), np.int16), np.eye(4)),
    ...                 ValuesHeader({"Units": "BQML", "ReconstructionMethod": "OSEM3D 3i21s"}), 0.0)["ReconMethodName"]
    'Ordered Subset Expectation Maximization'
    """
    out = {}
    units = dcm_str(ds.find("Units"))
    if units:
        out["Units"] = "Bq/mL" if units == "BQML" else units
    decay = dcm_str(ds.find("DecayCorrection"))
    for key, value in (("DecayCorrection", decay),
                       ("AttenuationCorrectionMethod", dcm_str(ds.find("AttenuationCorrectionMethod")))):
        if value:
            out[key] = value
    if out.get("AttenuationCorrectionMethod"):
        out["AttenuationCorrection"] = out["AttenuationCorrectionMethod"].split(",")[0]  # BIDS' spelling
    method = dcm_str(ds.find("ReconstructionMethod"))
    for key, value in (("RandomsCorrectionMethod", dcm_str(ds.find("RandomsCorrectionMethod"))),
                       ("ScatterCorrectionMethod", dcm_str(ds.find("ScatterCorrectionMethod"))),
                       ("ReconstructionMethod", method), ("ReconMethodName", recon_method_name(method))):
        if value:
            out[key] = value
    subsets, iterations = _subsets_iterations(method)
    if subsets > 0 and iterations > 0:
        out["ReconMethodParameterLabels"] = ["subsets", "iterations"]
        out["ReconMethodParameterValues"] = [subsets, iterations]
    scatter = number(ds.find("ScatterFractionFactor"), 0.0)
    if scatter > 0:
        out["ScatterFraction"] = [scatter]
    out.update(_frame_lists(vol, ds, tr_ms))
    return out


def recon_method_name(method):
    """dcm2niix's ReconMethodName for a PET ReconstructionMethod (0054,1103); '' when it names nothing it knows.

    Examples
    --------
    >>> recon_method_name("OSEM3D 3i21s"), recon_method_name("VPFXS"), recon_method_name("LOR-RAMLA")
    ('Ordered Subset Expectation Maximization', 'VUE Point HD using Time Of Flight', 'Line Of Response - Row Action Maximum Likelihood')
    """
    for token, name in _RECON_NAMES:
        if token in method:
            return name
    words = []
    for choices in _RECON_PARTS:
        words += [name for token, name in choices if token in method][:1]
    return " ".join(words)


def _subsets_iterations(method):
    """The largest subset and iteration counts (1-31, 1-32) the method names: "3i21s" style, or "i3s21"."""
    suffixed = method.endswith("s")
    named = lambda letter, i: f"{i}{letter}" if suffixed else f"{letter}{i}"  # noqa: E731
    subsets = max((i for i in range(1, 32) if named("s", i) in method), default=0)
    iterations = max((i for i in range(1, 33) if named("i", i) in method), default=0)
    return subsets, iterations


def _volume_headers(vol):
    """The first file of each volume (dcm2niix's files at the first file's position), or [] for one file."""
    from ..dicom.reader import header_of

    meta = vol.meta
    frames = meta.get("frames") or []
    nz, nt = meta.get("shape_nz_nt") or (1, 1)
    if len({path for path, _ in frames}) < 2 or len(frames) < nz * nt:
        return []
    return [header_of(frames[t * nz][0]) for t in range(nt)]


def _frame_lists(vol, ds, tr_ms):
    out = {}
    pet = text(ds.find("Modality"))[:2].upper() == "PT"
    series = seconds(ds.find("SeriesTime")) if pet and number(ds.find("SeriesTime"), 0.0) > 0 else None
    volumes = _volume_headers(vol) if pet or text(ds.find("Manufacturer"))[:2].upper() != "GE" else []
    nt = len(volumes)
    onsets = decays = None
    if volumes and series is not None:  # PET: each volume's start after the SeriesTime
        onsets = [max(0.0, seconds(h.find("AcquisitionTime")) - series)
                  if seconds(h.find("AcquisitionTime")) is not None else 0.0 for h in volumes]
        decays = [number(h.find("DecayFactor"), 0.0) for h in volumes]
    elif nt > 1 and _times_vary(volumes):  # volumes unevenly apart: each one's start after the first's (issue 407)
        onsets = [_time_difference(volumes[0], h) for h in volumes]
        decays = [number(h.find("DecayFactor"), 0.0) for h in volumes] if pet else None
    decay = number(ds.find("DecayFactor"), 0.0)
    if decays is not None:
        out["DecayCorrectionFactor"] = _until_negative(decays)
    elif decay > 0:
        out["DecayFactor"] = [decay]
    if nt > 1 and onsets is not None:
        out["FrameTimesStart"] = _until_negative(onsets)
    elif decay > 0 and (vol.shape[3] if len(vol.shape) > 3 else 1) == 1:
        start = seconds(ds.find("AcquisitionTime")) if series is not None else None
        out["FrameTimesStart"] = [max(0.0, start - series) if start is not None else 0.0]
    durations = [leading_int(h.find("ActualFrameDuration")) if h.find("ActualFrameDuration") is not None else -1
                 for h in volumes]
    if durations and durations[0] >= 0:  # (0 stands for the TR)
        out["FrameDuration"] = [(tr_ms if ms == 0 and tr_ms > 0 else ms) / 1000.0 for ms in _until_negative(durations)]
    references = [number(h.find("FrameReferenceTime"), -1.0) for h in volumes]
    if nt > 1 and references[0] >= 0 and len(set(references)) > 1:
        out["FrameReferenceTime"] = [ms / 1000.0 for ms in _until_negative(references)]
    return out


def _time_difference(first, other):
    """Seconds from one image's AcquisitionTime to another's; -1 across dates or without a time."""
    if text(first.find("AcquisitionDate")) != text(other.find("AcquisitionDate")):
        return -1.0
    a, b = seconds(first.find("AcquisitionTime")), seconds(other.find("AcquisitionTime"))
    return -1.0 if a is None or b is None else b - a


def _times_vary(volumes):
    """The steps between successive volumes (those that go forward) differ by more than 50 ms."""
    steps = [_time_difference(a, b) for a, b in zip(volumes, volumes[1:])]
    steps = [step for step in steps if step > 0]
    return bool(steps) and max(steps) - min(steps) > 0.05


def _until_negative(values):
    """The values before the first negative one (a volume that did not state its own)."""
    out = []
    for value in values:
        if value < 0:
            break
        out.append(value)
    return out


def time_keys(ds):
    """PET's SeriesTime, AcquisitionTime, ScanStart and decay-correction keys (none for other modalities).

    Examples
    --------
    >>> from medfast.dicom.header import ValuesHeader
    >>> time_keys(ValuesHeader({"Modality": "PT", "SeriesTime": "101000", "DecayCorrection": "START"}))
    {'SeriesTime': '10:10:00', 'ScanStart': 0, 'ImageDecayCorrected': True, 'ImageDecayCorrectionTime': 0}
    """
    out = {}
    series, acquired = number(ds.find("SeriesTime"), 0.0), number(ds.find("AcquisitionTime"), 0.0)
    series, acquired = (x if x == x else 0.0 for x in (series, acquired))
    if text(ds.find("Modality"))[:2].upper() != "PT" or not (series > 0 or acquired > 0):
        return out
    if series > 0:
        whole = int(series)
        out["SeriesTime"] = f"{whole // 10000:02d}:{whole // 100 % 100:02d}:{whole % 100:02d}"
    if acquired > 0:
        hours, minutes = int(acquired / 10000), int(acquired / 100) % 100
        out["AcquisitionTime"] = f"{hours:02d}:{minutes:02d}:{acquired - (hours * 10000 + minutes * 100):09.6f}"
    out["ScanStart"] = 0
    decay = dcm_str(ds.find("DecayCorrection"))
    if decay:
        out["ImageDecayCorrected"] = decay != "NONE"
        injected = number(ds.last("RadiopharmaceuticalStartTime"), 0.0)
        if decay == "START":
            out["ImageDecayCorrectionTime"] = 0
        elif decay == "ADMIN" and injected > 0:
            start, zero = seconds(f"{injected:012.5f}"), seconds(f"{series if series > 0 else acquired:012.5f}")
            if start is not None and zero is not None:
                out["ImageDecayCorrectionTime"] = start - zero
    return out
