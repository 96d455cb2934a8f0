"""dcm2niix's ``BidsGuess`` sidecar key: the BIDS data type and entity suffix it guesses for a series.

dcm2niix v1.0.20260724 (``setBids`` in ``nii_dicom_batch.cpp``) classifies a
series in four passes, reproduced here in the same order:

1. **Modality.** CT is ``["ct", "_ct"]`` and PET ``["pet", "_pet"]``, whatever
   the vendor.
2. **The vendor's rules** (``bids_vendors``: Siemens, Philips and GE, in MR
   only but GE's; dcm2niix has none for Canon, Toshiba, UIH, Hitachi,
   Bruker or the others): an ordered table of rows, then ``_acq-`` and the
   other entities, and ``derived`` for a derived image.
3. **Name heuristics** (MR, not discarded) on the protocol name and series
   description, lower-cased: a scanner diffusion map named as such (``FA``,
   ``ADC``, ``trace`` ...) replaces the guess; an ``acq-<x>`` token and a
   phase direction (``AP``, ``PA``, ``LR``, ``RL``) are spliced in where the
   suffix has none.
4. **Acquisition Contrast** (0008,9209): only when nothing gave a data type,
   T1 / T2 / PROTON_DENSITY / T2_STAR / FLUID_ATTENUATED / STIR / TOF, or
   DIFFUSION with gradients, name ``anat`` (or ``dwi``) and its suffix.

dcm2niix writes the key only when both the data type and the suffix are
non-empty. Every pass reads the series as dcm2niix's reader keeps it
(``bids_series.BidsSeries``).
"""
from __future__ import annotations

from ..dicom.header import as_header
from ..dicom.values import text
from .bids_series import BidsSeries
from .bids_vendors import RULES


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
    s = BidsSeries.read(ds, meta, sidecar, phase_positive)
    datatype, suffix = "", ""
    rules = RULES.get(s.vendor)
    if rules is not None and (s.mr or s.vendor == "GE"):  # dcm2niix's GE rules do not check the modality
        datatype, suffix = rules(s)
    if s.mr and "discard" not in datatype:
        datatype, suffix = _heuristics(s, datatype, suffix)
    if not datatype and s.mr:
        datatype, suffix = _from_acquisition_contrast(s, suffix)
    return (datatype, suffix) if datatype and suffix else None


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
