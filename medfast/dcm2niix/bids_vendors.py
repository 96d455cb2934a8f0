"""dcm2niix's vendor rules for ``BidsGuess``: Siemens, Philips and GE (``setBidsSiemens/Philips/GE``).

Each vendor is an ordered table: the first row whose test holds on the series
(``bids_series.BidsSeries``) gives the data type (``anat``, ``func``, ``dwi``,
``fmap``, ``perf``, or ``discard`` for localizers and console-derived maps)
and the suffix (``T1w``, ``bold``, ``magnitude1`` ...), and says which
entities follow. The vendor then assembles ``_acq-<label>[_rec-][_dir-]
[_run-][_echo-][_inv-][_part-]_<suffix>``: the ``acq`` label is made of the
sequence names and the acceleration (``p2`` in-plane, ``m3`` multiband). A
derived image becomes data type ``derived``. dcm2niix has no rules for the
other vendors (Canon, Toshiba, UIH, Hitachi, Bruker ...): ``RULES`` maps the
manufacturer key to its rules.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..dicom.values import round_half_away
from .bids_series import f32

_WEIGHTINGS = ("T1", "T2", "PD", "T2star", "FLAIR", "STIR")


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


def _first_row(table, s, g=None):
    """Apply the outcome of the first row whose test holds to ``g``; return that outcome (None when none holds)."""
    for test, outcome in table:
        if test(s):
            if g is not None and callable(outcome):
                outcome(s, g)
            elif g is not None:
                for name, value in outcome.items():
                    setattr(g, name, value)
            return outcome
    return None


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
        out += f"_inv-{2 if abs(s.ti - f32(inv2)) <= 0.0001 else 1}"
    out += _parts(s, g.part, ("phase", "magnitude"))
    return _finish(g, out, keep_discard=True)


def _accelerations(s, accel, scale=1.0):
    out = f"p{round_half_away(scale * accel)}" if accel > 1.0 else ""
    return out + (f"m{s.multiband}" if s.multiband > 1 else "")


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
    # older Philips files name no EPI: a stated volume number marks the series dynamic
    (lambda s: (s.run_number >= 1 or "FEEPI" in s.pulse_sequence) and _SK(s) and _GR(s),
     dict(datatype="func", suffix="bold")),
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
        acq += f"t{round_half_away(f32(s.trigger_delay))}"
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


_SILENT_FMRI = dict(datatype="func", suffix="bold")  # GE's LoopingStar: dcm2niix also makes it a 3-D acquisition

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
    (lambda s: "LoopingStar" in _ge_name(s), _SILENT_FMRI),
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


def ge_silent_fmri(s):
    """True when GE's rules take ``s`` (a ``BidsSeries``) for silent fMRI (LoopingStar).

    dcm2niix then sets the series' is3DAcq, before its slice timing and
    sidecar: MRAcquisitionType 3D, no slice times, no group delay in the TR.

    Examples
    --------
    >>> from medfast.dcm2niix.bids_series import BidsSeries
    >>> ge_silent_fmri(BidsSeries(vendor="GE", pulse_sequence="LoopingStar", slices_in_file=1, files=20))
    True
    """
    return _first_row(_GE, s) is _SILENT_FMRI


RULES = {"SI": _siemens, "PH": _philips, "GE": _ge}
