"""The sidecar keys dcm2niix reads from a Siemens series' ASCII protocol ("Phoenix", CSA series header).

``protocol_keys`` adds them in dcm2niix's order (``sidecar.build_sidecar``
calls it where dcm2niix prints its CSA block); ``asl_keys`` the keys of the
ASL sequences (Siemens' and the LOFT lab's), by sequence file name.
"""
from __future__ import annotations

import math

from ..dicom.diffusion import frame_gradient
from ..dicom.siemens import protocol_float as _key_float, protocol_int as _key_int, protocol_text as _key_str
from ..dicom.values import floats, number as _float, text as _str


def protocol_keys(out, block, vol, ds):
    r"""Add the keys of the Siemens ASCII protocol ``block`` (CSA series header) to ``out``; return the phase oversampling.

    In dcm2niix's order: the echo times of a phase map, AveragesDouble, the
    ASL keys (``asl_keys``), partial Fourier, interpolation, base resolution,
    shims, diffusion scheme, delay time, reference amplitude, phase
    resolution and oversampling, echo spacing, coils, sequence and protocol
    names, reference lines, coil combination, MT, consistency, matrix coil mode.

    Examples
    --------
    >>> import numpy as np
    >>> from medfast.volume import Volume
    >>> from medfast.dicom.header import ValuesHeader
    >>> out = {}
    >>> protocol_keys(out, "sKSpace.lBaseResolution\t = \t64\n", Volume(np.zeros((2, 2, 2), np.int16), np.eye(4)),
    ...               ValuesHeader({}))
    0.0
    >>> out["BaseResolution"], out["MatrixCoilMode"]
    (64, 'None')
    """
    meta = vol.meta
    if meta.get("is_phase"):  # a phase (difference) map reports both echo times of the protocol
        te0, te1 = _key_float(block, "alTE[0]", math.nan), _key_float(block, "alTE[1]", math.nan)
        if te0 > 0 and te1 > 0:
            out["EchoTime1"], out["EchoTime2"] = te0 / 1e6, te1 / 1e6
    averages = _key_float(block, "dAveragesDouble")  # fractional, beside (0018,0083)
    if averages > 1:
        out["AveragesDouble"] = averages
    asl_keys(out, block, vol, ds)
    pf = {1: 0.5, 2: 0.625, 4: 0.75, 8: 0.875}.get(_key_int(block, "sKSpace.ucPhasePartialFourier"))
    if pf is not None:
        out["PartialFourier"] = pf
    if _key_int(block, "sKSpace.uc2DInterpolation") > 0:
        out["Interpolation2D"] = 1
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
    if ds.find("DiffusionBValue") is not None or frame_gradient(ds) is not None:  # dcm2niix: CSA.numDti > 0
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
    spacing = _key_int(block, "sFastImaging.lEchoSpacing")  # us
    if spacing > 0:
        out["VendorReportedEchoSpacing"] = spacing / 1e6
    coil = _key_str(block, "sCoilElementID.tCoilID")
    if coil:
        out["ReceiveCoilName"] = coil
    elements = _key_str(block, "sCoilSelectMeas.sCoilStringForConversion")
    if elements:
        out["ReceiveCoilActiveElements"] = elements
    coil_string = _str(ds.private((0x0051, 0x100F), nested=False)) or _str(ds.find("ReceiveCoilName"))
    if coil_string and coil_string != elements:
        out["CoilString"] = coil_string
    for key, name in (("tSequenceFileName", "PulseSequenceDetails"), ("sWipMemBlock.tFree", "WipMemBlock"),
                      ("tProtocolName", "ProtocolName")):  # the protocol's name only when the header has none
        text = _key_str(block, key)
        if text and name not in out:
            out[name] = text
    ref = _key_int(block, "sPat.lRefLinesPE")
    if ref > 0:
        out["RefLinesPE"] = ref
    combine = _key_int(block, "ucCoilCombineMode", -1)
    if combine in (1, 2):
        out["CoilCombinationMethod"] = "Sum of Squares" if combine == 1 else "Adaptive Combine"
    if _key_int(block, "sPrepPulses.ucMTC", -1) == 1 and "MTState" not in out:  # (0018,9020) takes precedence
        out["MTState"] = True
    consistency = (_key_str(block, "sProtConsistencyInfo.tMeasuredBaselineString")
                   or _key_str(block, "sProtConsistencyInfo.tBaselineString") or str(_key_int(block, "ulVersion") or ""))
    if consistency:
        out["ConsistencyInfo"] = consistency
    mode = _key_int(block, "sPat.ucPATMode", -1) if _key_int(block, "sPat.lAccelFactPE") > 0 else -1
    out["MatrixCoilMode"] = {1: "SENSE", 2: "GRAPPA"}.get(mode, "None")  # "None" also without acceleration
    return over


# Siemens ASL sequences (tSequenceFileName) -> (labeling type, [(key, protocol key, scale)]); the WIP
# parameters sWipMemBlock.adFree[i] are written "adFree[i]", the inversion times "alTI[i]"
_TAG_PLANE = (("TagPlaneDThickness", "sRSatArray.asElm[1].dThickness"), ("TagPlaneUlShape", "sRSatArray.asElm[1].ulShape"),
              ("TagPlaneSPositionDTra", "sRSatArray.asElm[1].sPosition.dTra"),
              ("TagPlaneSNormalDTra", "sRSatArray.asElm[1].sNormal.dTra"))
_SIEMENS_ASL = (
    ("ep2d_asl", "", (("LabelingDuration", "sAsl.ulLabelingDuration", 1e-6),
                      ("PostLabelingDelay", "sAsl.sPostLabelingDelay[0]", 1e-6))),
    ("ep2d_pcasl", "PCASL", (("LabelingDistance", "adFree[1]", 1.0), ("PostLabelingDelay", "adFree[2]", 1e-6),
                             ("NumRFBlocks", "adFree[3]", 1.0),
                             ("LabelingDuration", "adFree[3]", 0.92 * 20.0 / 1000.0),  # 18.4 ms an RF block
                             ("RFGap", "adFree[4]", 1e-6), ("MeanGzx10", "adFree[10]", 1.0),
                             ("PhiAdjust", "adFree[11]", 1.0))),
    ("tgse_pcasl", "PCASL", (("LabelingDuration", "adFree[2]", 1e-6), ("RFGap", "adFree[4]", 1e-6),
                             ("MeanGzx10", "adFree[10]", 1.0), ("T1", "adFree[12]", 1e-6),
                             ("NumRFBlocks", "adFree[3]", 1.0))),
    ("ep2d_pasl", "PASL", (("PASLType", "PICORE", None), ("BolusDuration", "alTI[0]", 1e-6),
                           ("InversionTime", "alTI[2]", 1e-6))),
    ("tgse_pasl", "PASL", (("PASLType", "FAIR QII", None), ("BolusDuration", "alTI[0]", 1e-6),
                           ("InversionTime", "alTI[2]", 1e-6))),
    ("ep2d_fairest", "PASL", (("PASLType", "FAIR", None), ("PostInversionDelay", "adFree[2]", 1e-3),
                              ("PostLabelingDelay", "adFree[4]", 1e-3))),
    # Oxford's (Thomas Okell) vessel-encoded pCASL, 2D and 3D: post-labeling delays as lists
    ("to_ep2d_VEPCASL", "oxford", (("InversionTime", "alTI[2]", 1e-6), ("BolusDuration", "alTI[0]", 1e-6),
                                   ("LabelingPulseFlipAngle", "alFree[4]", 1.0),
                                   ("LabelingPulseDuration", "alFree[5]", 1e-6), ("TagRFSeparation", "alFree[6]", 1e-6),
                                   ("LabelingPulseAverageGradient", "adFree[0]", 1.0),
                                   ("LabelingPulseMaximumGradient", "adFree[1]", 1.0),
                                   ("TagDuration", "alFree[9]", 1e-3), ("MaximumT1Opt", "alFree[10]", 1e-3),
                                   ("PostLabelingDelay", ("alFree", 11, 31), 1e-3))
     + tuple((f"sWipMemBlockAdFree{k}", f"adFree[{k}]", 1.0) for k in range(3, 11))),
    ("jw_tgse_VEPCASL", "oxford", (("TagRFFlipAngle", "alFree[6]", 1.0), ("TagRFDuration", "alFree[7]", 1e-6),
                                   ("TagRFSeparation", "alFree[8]", 1e-6), ("MaximumT1Opt", "alFree[9]", 1e-3))
     + tuple((f"Tag{k}", f"alFree[{10 + k}]", 1e-3) for k in range(4))
     + (("InitialPostLabelDelay", ("alFree", 30, 38), 1e-3),)),
)


def _asl_value(block, source, wip):
    """A protocol value as dcm2niix reads it for its ASL keys: None when it leaves the key out.

    WIP integers (alFree) read as 0 when absent and are written when positive,
    the other numbers (adFree, alTI, sAsl) whenever present; a list source
    ("alFree", first, stop) gives the values up to the first that is not positive.
    """
    if isinstance(source, tuple):
        found = []
        for i in range(source[1], source[2]):
            value = _key_float(block, f"sWipMemBlock.alFree[{i}]")
            if not value > 0:
                break
            found.append(value)
        return found or None
    if source.startswith("alFree["):
        value = _key_float(block, "sWipMemBlock." + source)
        return value if value > 0 else None
    value = _key_float(block, wip + source[7:] if source.startswith("adFree[") else source, math.nan)
    return value if value == value else None


def asl_keys(out, block, vol, ds):
    """The ASL keys dcm2niix reads from the protocol of Siemens', the LOFT lab's and Oxford's ASL sequences.

    Each sequence that names its family writes its parameters (absent ones
    left out); pCASL and PASL also write the labeling type, the acquisition
    voxel size (without in-plane interpolation), the TR as
    RepetitionTimePreparation (pCASL but Oxford's 3D, in ms as dcm2niix prints
    it), and M0Type "Included" when the volumes are label/control pairs (a
    pair each echo and delay) and one more.
    """
    details = _key_str(block, "tSequenceFileName")
    wip = "sWipMemBlock.adFree[" if "sWipMemBlock.adFree[" in block else "sWiPMemBlock.adFree["
    kind, delays = "", 0
    for name, family, keys in _SIEMENS_ASL:
        if name not in details:
            continue
        kind = family or kind
        for key, source, scale in keys:
            value = source if scale is None else _asl_value(block, source, wip)
            if isinstance(value, list):
                delays = len(value)
                out[key] = [v * scale for v in value]
            elif value is not None:
                out[key] = value if scale is None else value * scale
    tr = vol.meta.get("repetition_time")
    tr = tr * 1000.0 if tr else _float(ds.find("RepetitionTime"), 0.0)
    if (kind == "PCASL" or "to_ep2d_VEPCASL" in details) and tr > 0:
        out["RepetitionTimePreparation"] = tr
    if kind == "oxford":
        for key, source in _TAG_PLANE:
            out[key] = _key_float(block, source)
        kind = "PCASL"
    if not kind:
        return
    out["ArterialSpinLabelingType"] = kind
    if _key_int(block, "sKSpace.uc2DInterpolation") <= 0:
        spacing = floats(ds.find("PixelSpacing"))[:2]  # rows apart, columns apart
        if len(spacing) == 2:
            out["AcquisitionVoxelSize"] = [spacing[1], spacing[0], _float(ds.find("SliceThickness"), 0.0)]
    pairs = 2 * max(1, delays) * max(1, _key_int(block, "lContrasts"))
    volumes = vol.shape[3] if len(vol.shape) > 3 else 1
    if volumes % pairs and (volumes - 1) % pairs == 0:
        out["M0Type"] = "Included"
