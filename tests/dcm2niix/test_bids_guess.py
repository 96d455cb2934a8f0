"""The ``BidsGuess`` sidecar key (dcm2niix's guess of the BIDS data type and name) against dcm2niix.

Two oracles: every sidecar of the corpus's Ref/ (the corpus scoreboard leaves
the key out of its acquisition keys, so it is compared here), and the
``dcm2niix`` package run on synthesised series of each vendor that exercise
the rows of its rules: T1 (MPRAGE, MP2RAGE), T2, PD, FLAIR, SPACE, BOLD with
its SBRef, DWI, field maps (magnitude, phase difference, Philips' B0 map),
spin-echo EPI field maps, ASL, localizers, derived images, multi-echo, SWI,
angiography, and the Acquisition Contrast fallback of the vendors dcm2niix
has no rules for. Each case also states what dcm2niix guesses for it, so a
series that stops exercising its row is noticed.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from dcm2niix_compare import CORPUS_COMMANDS
from support import corpus_root
from vendor_series import bids_guesses, siemens_protocol

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.mark.corpus
@pytest.mark.parametrize("name", list(CORPUS_COMMANDS))
def test_corpus_bids_guess(name, tmp_path):
    """Every Ref sidecar's BidsGuess, as medfast writes it with the corpus's command."""
    from medfast.dcm2niix import main

    root = corpus_root() / name
    args, inputs = CORPUS_COMMANDS[name]
    for src in inputs:
        main([*args, "-o", str(tmp_path), str(root / src)])
    refs = sorted((root / "Ref").glob("*.json"))
    assert refs
    wrong = {}
    for ref in refs:
        want = json.loads(ref.read_text()).get("BidsGuess")
        got = tmp_path / ref.name
        have = json.loads(got.read_text()).get("BidsGuess") if got.exists() else "not written"
        if have != want:
            wrong[ref.name] = (have, want)
    assert wrong == {}


# ---- synthesised series -----------------------------------------------------------------------------


@dataclass
class Case:
    """One series: its number, protocol name, shape, header values, per-file edit and dcm2niix's guess."""

    number: int
    name: str
    expect: tuple | None        # dcm2niix's BidsGuess of (one of) its outputs; None: no key
    shape: tuple = (16, 12, 6, 1)
    extra: dict = field(default_factory=dict)
    edit: object = None         # edit(t, k, ds)


def _write(folder, cases, vendor):
    from medfast.synth import write_mr_series

    for case in cases:
        extra = {**vendor, "ProtocolName": case.name, "SeriesDescription": case.name, **case.extra}
        write_mr_series(folder / str(case.number), shape=case.shape, series_number=case.number, extra=extra,
                        per_slice=case.edit)


def _check(tmp_path, cases, vendor):
    _write(tmp_path / "in", cases, vendor)
    found = bids_guesses(tmp_path / "in", tmp_path / "work")
    differ = {name: {"dcm2niix": theirs, "medfast": mine} for name, _, theirs, mine in found if mine != theirs}
    assert differ == {}
    by_series = {}
    for _, number, theirs, _ in found:
        by_series.setdefault(number, []).append(theirs)
    unexercised = {c.name: (c.expect, by_series.get(c.number)) for c in cases
                   if c.expect not in by_series.get(c.number, [])}
    assert unexercised == {}, "dcm2niix guesses otherwise than the case says"


def _edits(*edits):
    def edit(t, k, ds):
        for one in edits:
            one(t, k, ds)
    return edit


def _element(group, creator_slot, creator, element, vr, value):
    """Set a private element at a fixed tag (dcm2niix reads these by tag), with its creator."""
    def edit(t, k, ds):
        ds.add_new((group, creator_slot), "LO", creator)
        ds.add_new((group, element), vr, value)
    return edit


def _without(*keywords):
    def edit(t, k, ds):
        for keyword in keywords:
            delattr(ds, keyword)
    return edit


def _protocol(**values):
    """A Siemens CSA series header (0029,1020) holding the ASCII protocol."""
    return _element(0x0029, 0x0010, "SIEMENS CSA HEADER", 0x1020, "OB", siemens_protocol(**values))


def _by_volume(**values):
    """Header values that step with the volume: ``EchoNumbers=[1, 2]`` gives volume t the t-th value."""
    def edit(t, k, ds):
        for keyword, items in values.items():
            setattr(ds, keyword, items[t])
    return edit


def _seq(name):
    return {"tSequenceFileName": name}


SIEMENS = {"Manufacturer": "SIEMENS", "InPlanePhaseEncodingDirection": "COL", "SoftwareVersions": "syngo MR E11",
           "ImageType": ["ORIGINAL", "PRIMARY", "M", "ND", "NORM"]}
_3D = {"MRAcquisitionType": "3D", "ScanningSequence": ["GR", "IR"], "SequenceVariant": ["SK", "SP", "MP"]}
_TSE = {"ScanningSequence": "SE", "SequenceVariant": ["SK", "SP", "OSP"], "EchoTrainLength": 15, "RepetitionTime": 5000}
_FIELD_MAP = {"SequenceName": "*fm2d2r", "ScanningSequence": "GR", "SequenceVariant": "SP", "RepetitionTime": 500,
              "FlipAngle": 60}
_MP2RAGE = _seq("%CustomerSeq%\\mp2rage") | {"alTI[0]": 700000, "alTI[1]": 2500000}
_PE_NEGATIVE = _element(0x0021, 0x0011, "SIEMENS MR SDI 02", 0x111C, "IS", "0")

SIEMENS_CASES = [
    Case(2, "t1_mprage_sag", ("anat", "_acq-tfl3p2_run-2_T1w"),
         extra={**_3D, "SequenceName": "*tfl3d1_16ns", "EchoTime": 2.3, "InversionTime": 900, "FlipAngle": 8},
         edit=_edits(_protocol(**_seq("%SiemensSeq%\\tfl") | {"alTI[0]": 900000}),
                     _element(0x0051, 0x0010, "SIEMENS MR HEADER", 0x1011, "LO", "p2"))),
    Case(3, "mp2rage_inv2", ("anat", "_acq-tfl3_run-3_inv-2_MP2RAGE"),
         extra={**_3D, "SequenceName": "*tfl3d1_16", "InversionTime": 2500}, edit=_protocol(**_MP2RAGE)),
    Case(4, "mp2rage_uni", ("anat", "_acq-tfl3_run-4_UNIT1"),
         extra={**_3D, "SequenceName": "*tfl3d1_16", "InversionTime": 0,
                "ImageType": ["DERIVED", "PRIMARY", "M", "ND", "UNI"]}, edit=_protocol(**_MP2RAGE)),
    Case(5, "t2_tse_tra", ("anat", "_acq-tse2_run-5_T2w"), extra={**_TSE, "SequenceName": "*tse2d1_15",
                                                                  "EchoTime": 100}, edit=_protocol(**_seq("%SiemensSeq%\\tse"))),
    Case(6, "pd_tse_tra", ("anat", "_acq-tse2_run-6_PDw"), extra={**_TSE, "SequenceName": "*tse2d1_15",
                                                                  "EchoTime": 12}, edit=_protocol(**_seq("%SiemensSeq%\\tse"))),
    Case(7, "t2_tirm_tra_dark-fluid", ("anat", "_acq-tir2_run-7_FLAIR"),
         extra={**_TSE, "SequenceName": "*tir2d1_15", "EchoTime": 90, "InversionTime": 2500},
         edit=_protocol(**_seq("%SiemensSeq%\\tse"))),
    Case(8, "t2_space_dark-fluid_sag", ("anat", "_acq-spcir2_run-8_FLAIR"),
         extra={**_TSE, "MRAcquisitionType": "3D", "SequenceName": "*spcir_220ns", "EchoTime": 380},
         edit=_protocol(**_seq("%SiemensSeq%\\tse_vfl"))),
    Case(9, "t2_space_sag", ("anat", "_acq-spc2_run-9_T2w"),
         extra={**_TSE, "MRAcquisitionType": "3D", "SequenceName": "*spc_200ns", "EchoTime": 400},
         edit=_protocol(**_seq("%SiemensSeq%\\tse_vfl"))),
    Case(10, "rest_bold", ("func", "_acq-epfid2p2_dir-AP_run-10_bold"), shape=(16, 12, 6, 3),
         extra={"SequenceName": "epfid2d1_64"},
         edit=_edits(_protocol(**_seq("%SiemensSeq%\\ep2d_bold")),
                     _element(0x0051, 0x0010, "SIEMENS MR HEADER", 0x1011, "LO", "p2"))),
    Case(11, "rest_bold_SBRef", ("func", "_acq-epfid2_dir-PA_run-11_sbref"),
         extra={"SequenceName": "epfid2d1_64"}, edit=_edits(_protocol(**_seq("%CustomerSeq%\\cmrr_mbep2d_bold")),
                                                           _PE_NEGATIVE)),
    Case(12, "dwi_dir3", ("dwi", "_acq-epb1_dir-AP_run-12_dwi"), shape=(16, 12, 6, 3),
         extra={"SequenceName": "*ep_b1000#1", "ScanningSequence": "EP", "EchoTime": 80, "RepetitionTime": 5000},
         edit=_edits(_protocol(**_seq("%SiemensSeq%\\ep2d_diff")),
                     _by_volume(DiffusionBValue=[0.0, 1000.0, 1000.0],
                                DiffusionGradientOrientation=[[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))),
    Case(13, "gre_field_mapping", ("fmap", "_acq-fm2_magnitude2"), shape=(16, 12, 6, 2),
         extra=_FIELD_MAP, edit=_edits(_protocol(**_seq("%SiemensSeq%\\gre_field_mapping")),
                                       _by_volume(EchoNumbers=[1, 2], EchoTime=[4.92, 7.38]))),
    Case(14, "gre_field_mapping", ("fmap", "_acq-fm2_phasediff"),
         extra={**_FIELD_MAP, "EchoNumbers": 2, "EchoTime": 7.38, "ImageType": ["ORIGINAL", "PRIMARY", "P", "ND"]},
         edit=_protocol(**_seq("%SiemensSeq%\\gre_field_mapping"))),
    Case(15, "se_epi_fmap", ("fmap", "_acq-epse2_dir-PA_run-15_epi"), shape=(16, 12, 6, 2),
         extra={"SequenceName": "*epse2d1_64", "ScanningSequence": "EP", "EchoTime": 66},
         edit=_edits(_protocol(**_seq("%SiemensSeq%\\ep2d_se")), _PE_NEGATIVE)),
    Case(16, "pcasl", ("perf", "_acq-epfid2_run-16_asl"), shape=(16, 12, 6, 2),
         extra={"SequenceName": "epfid2d1_64"}, edit=_protocol(**_seq("%SiemensSeq%\\ep2d_pcasl"))),
    Case(17, "pcasl_m0", ("perf", "_acq-epfid2_run-17_m0scan"), extra={"SequenceName": "epfid2d1_64"},
         edit=_protocol(**_seq("%SiemensSeq%\\ep2d_pcasl"))),
    Case(18, "localizer", ("discard", "_acq-fl2_run-18_localizer"), shape=(16, 12, 3, 1),
         extra={"SequenceName": "*fl2d1", "ScanningSequence": "GR"}),
    Case(19, "t2star_me_gre", ("anat", "_acq-fl2_run-19_echo-2_part-mag_MEGRE"), shape=(16, 12, 6, 3),
         extra={"SequenceName": "*fl2d3", "ScanningSequence": "GR", "SequenceVariant": "SP"},
         edit=_edits(_protocol(**_seq("%SiemensSeq%\\gre") | {"lContrasts": 3}),
                     _by_volume(EchoNumbers=[1, 2, 3], EchoTime=[5.0, 10.0, 15.0]))),
    Case(20, "swi_mag", ("anat", "_acq-swi3_run-20_part-mag_T2starw"),
         extra={"SequenceName": "*swi3d1r", "MRAcquisitionType": "3D", "ScanningSequence": "GR",
                "ImageType": ["ORIGINAL", "PRIMARY", "M", "SWI", "ND", "NORM"]}),
    Case(21, "tof_fl3d", ("anat", "_acq-fl3_run-21_angio"),
         extra={"SequenceName": "*fl3d1r_t70", "MRAcquisitionType": "3D", "ScanningSequence": "GR"}),
    Case(22, "t1_vibe", ("anat", "_acq-fl3_run-22_part-mag_T1w"),
         extra={"SequenceName": "*fl3d2", "MRAcquisitionType": "3D", "ScanningSequence": "GR", "EchoTime": 2.0,
                "RepetitionTime": 5.0, "FlipAngle": 10}, edit=_protocol(**_seq("%SiemensSeq%\\fl3d_vibe"))),
    Case(23, "t2star_mpr", ("derived", "_acq-fl2_run-23_part-mag_T2starw"),
         extra={"SequenceName": "*fl2d3", "ScanningSequence": "GR",
                "ImageType": ["DERIVED", "SECONDARY", "M", "ND", "MPR"]}, edit=_protocol(**_seq("%SiemensSeq%\\gre"))),
    Case(24, "rest_bold_noise", ("func", "_acq-epfid2_dir-AP_run-24_noRF"),
         extra={"SequenceName": "epfid2d1_64"},
         edit=_edits(_protocol(**_seq("%SiemensSeq%\\ep2d_bold")),
                     _element(0x0021, 0x0011, "SIEMENS MR SDI 02", 0x1175, "CS", ["NOISE", "ND"]))),
    Case(25, "tfl_b1map", ("fmap", "_acq-anattfl2_run-25_TB1TFL"),
         extra={"SequenceName": "*tfl2d1_16", "ScanningSequence": "GR"},
         edit=_protocol(**_seq("%SiemensSeq%\\tfl_b1map"))),
    Case(26, "tfl_b1map", ("derived", "_acq-famptfl2_run-26_TB1TFL"),
         extra={"SequenceName": "*tfl2d1_16", "ScanningSequence": "GR",
                "ImageType": ["DERIVED", "PRIMARY", "FLIP ANGLE MAP", "ND"]},
         edit=_protocol(**_seq("%SiemensSeq%\\tfl_b1map"))),
    Case(27, "mp2rage_t1map", ("anat", "_acq-tfl3_run-27_T1map"),
         extra={**_3D, "SequenceName": "*tfl3d1_16", "ImageType": ["DERIVED", "PRIMARY", "T1 MAP", "ND"]},
         edit=_protocol(**_MP2RAGE)),
    Case(28, "mp2rage_inv1", ("anat", "_acq-tfl3_run-28_inv-1_MP2RAGE"),
         extra={**_3D, "SequenceName": "*tfl3d1_16", "InversionTime": 700}, edit=_protocol(**_MP2RAGE)),
    Case(29, "t2_tse3d", ("anat", "_acq-tse3_run-29"),
         extra={**_TSE, "SequenceName": "*tse3d1_52", "MRAcquisitionType": "3D", "EchoTime": 100},
         edit=_protocol(**_seq("%SiemensSeq%\\tse"))),
    Case(30, "oef_ase", None, extra={"SequenceName": "epse2d1_64"}, edit=_protocol(**_seq("%CustomerSeq%\\ep2d_ase"))),
    Case(31, "haste_loc", ("discard", "_acq-h2_run-31_localizer"),
         extra={"SequenceName": "*h2d1_256", "ScanningSequence": "SE"}, edit=_protocol(**_seq("%SiemensSeq%\\haste"))),
    Case(32, "trufi_loc", ("discard", "_acq-tfi2_run-32_localizer"),
         extra={"SequenceName": "*tfi2d1_98", "ScanningSequence": "GR"}, edit=_protocol(**_seq("%SiemensSeq%\\trufi"))),
    Case(33, "t2s_mIP", ("discard", "_acq-epfid3_run-33_part-mag_mIP"),
         extra={"SequenceName": "*epfid3d1_15", "MRAcquisitionType": "3D", "ScanningSequence": ["EP", "GR"],
                "ImageType": ["DERIVED", "PRIMARY", "M", "MNIP", "ND"]},
         edit=_protocol(**_seq("%SiemensSeq%\\ep_seg_fid"))),
    Case(34, "dwi_ADC", ("discard", "_acq-epb0_run-34_derivedDWI"),
         extra={"SequenceName": "*ep_b0_1000", "ImageType": ["DERIVED", "PRIMARY", "DIFFUSION", "ADC", "ND"]},
         edit=_protocol(**_seq("%SiemensSeq%\\ep2d_diff"))),
    Case(35, "dwi_SBRef", ("dwi", "_acq-epb0_dir-AP_run-35_sbref"),
         extra={"SequenceName": "*ep_b0", "DiffusionBValue": 0.0}, edit=_protocol(**_seq("%SiemensSeq%\\ep2d_diff"))),
    Case(36, "bold_row", ("func", "_acq-epfid2_dir-RL_run-36_bold"), shape=(16, 12, 6, 2),
         extra={"SequenceName": "epfid2d1_64", "InPlanePhaseEncodingDirection": "ROW"},
         edit=_edits(_protocol(**_seq("%SiemensSeq%\\ep2d_bold")),
                     _element(0x0021, 0x0011, "SIEMENS MR SDI 02", 0x111C, "IS", "1"))),
    Case(37, "pd_t2_tse", ("anat", "_acq-tse2_run-37_T2w"), shape=(16, 12, 6, 2),
         extra={**_TSE, "SequenceName": "*tse2d2_7"},
         edit=_edits(_protocol(**_seq("%SiemensSeq%\\tse")), _by_volume(EchoNumbers=[1, 2], EchoTime=[12.0, 100.0]))),
    Case(38, "bold_sms", ("func", "_acq-epfid2m3_dir-AP_run-38_bold"), shape=(16, 12, 6, 2),
         extra={"SequenceName": "epfid2d1_64"},
         edit=_edits(_protocol(**_seq("%SiemensSeq%\\ep2d_bold")),
                     _element(0x0051, 0x0010, "SIEMENS MR HEADER", 0x1011, "LO", "p2s3"))),
]


SIEMENS_CASES += [  # Siemens' and Philips' rules, the heuristics and Acquisition Contrast are MR only
    Case(39, "t1_FA_secondary", None, extra={"Modality": "OT", "SequenceName": "*tfl3d1", "AcquisitionContrast": "T1"},
         edit=_protocol(**_seq("%SiemensSeq%\\tfl"))),
    Case(40, "xa_bold", None, extra={"Modality": "XA", "SequenceName": "epfid2d1_64"},
         edit=_protocol(**_seq("%SiemensSeq%\\ep2d_bold"))),
]


def test_siemens(tmp_path):
    """setBidsSiemens: the sequence file name (protocol), the sequence name, image type, TIs and echoes."""
    _check(tmp_path, SIEMENS_CASES, SIEMENS)


PHILIPS = {"Manufacturer": "Philips Medical Systems", "InPlanePhaseEncodingDirection": "ROW",
           "SoftwareVersions": ["5.7.1", "5.7.1.2"], "ImageType": ["ORIGINAL", "PRIMARY", "M_FFE", "M", "FFE"]}
_ASL_LABEL = _element(0x2005, 0x0014, "Philips MR Imaging DD 005", 0x1429, "CS", "LABEL")

PHILIPS_CASES = [
    Case(301, "T1_3D_TFE", ("anat", "_acq-MPGR_run-301_T1w"),
         extra={"MRAcquisitionType": "3D", "ScanningSequence": "GR", "SequenceVariant": "MP", "EchoTime": 3.7}),
    Case(401, "T2W_TSE", ("anat", "_acq-SKSE_run-401_T2w"),
         extra={"ScanningSequence": "SE", "SequenceVariant": "SK", "EchoTime": 100,
                "ImageType": ["ORIGINAL", "PRIMARY", "M_SE", "M", "SE"]}),
    Case(402, "PDW_TSE", ("anat", "_acq-SKSE_run-402_PDw"),
         extra={"ScanningSequence": "SE", "SequenceVariant": "SK", "EchoTime": 10}),
    Case(501, "FLAIR", ("anat", "_acq-SKIR_run-501_FLAIR"),
         extra={"ScanningSequence": "IR", "SequenceVariant": "SK", "EchoTime": 120, "InversionTime": 2800}),
    Case(601, "fMRI_rest", ("func", "_acq-SKGRFEEPIp20_run-601_bold"), shape=(16, 12, 6, 3),
         extra={"ScanningSequence": "GR", "SequenceVariant": "SK", "PulseSequenceName": "FEEPI",
                "ParallelReductionFactorInPlane": 2.0}),
    Case(701, "SE_EPI_topup", ("fmap", "_acq-SKSESEEPI_epi"), shape=(16, 12, 6, 2),
         extra={"ScanningSequence": "SE", "SequenceVariant": "SK", "PulseSequenceName": "SEEPI"}),
    Case(801, "T2star_FFE", ("anat", "_acq-SSGR_run-801_part-mag_T2starw"),
         extra={"ScanningSequence": "GR", "SequenceVariant": "SS", "EchoTime": 20}),
    Case(901, "B0_phase", ("fmap", "_acq-SPGR_run-901_phasediff"),
         extra={"ScanningSequence": "GR", "SequenceVariant": "SP",
                "ImageType": ["ORIGINAL", "PRIMARY", "PHASE MAP", "P", "FFE"]}),
    Case(902, "B0_magnitude", ("fmap", "_acq-SPGR_run-902_magnitude1"),
         extra={"ScanningSequence": "GR", "SequenceVariant": "SP", "EchoNumbers": 1}),
    Case(1001, "pCASL", ("perf", "_acq-SKGRFEEPI_run-1001_asl"), shape=(16, 12, 6, 2),
         extra={"ScanningSequence": "GR", "SequenceVariant": "SK", "PulseSequenceName": "FEEPI"}, edit=_ASL_LABEL),
    Case(1101, "Survey", ("discard", "_acq-SSGR_run-1101_localizer"), shape=(16, 12, 3, 1),
         extra={"ScanningSequence": "GR", "SequenceVariant": "SS"}),
    Case(1201, "T1_reformat", ("derived", "_acq-MPGR_run-1201_T1w"),
         extra={"ScanningSequence": "GR", "SequenceVariant": "MP", "ImageType": ["DERIVED", "SECONDARY", "M", "MPR"]}),
    Case(1301, "T2W_TSE_SENSE", ("anat", "_acq-SKSEp23_run-1301_T2w"),
         extra={"ScanningSequence": "SE", "SequenceVariant": "SK", "EchoTime": 100,
                "ParallelReductionFactorInPlane": 2.3}),
    Case(1401, "T1_triggered", ("anat", "_acq-MPGRt1800_run-1401_T1w"),
         extra={"ScanningSequence": "GR", "SequenceVariant": "MP", "TriggerTime": 1800}),
    Case(1501, "B0_real", ("fmap", "_acq-SPGR_run-1501_real1"),
         extra={"ScanningSequence": "GR", "SequenceVariant": "SP", "EchoTrainLength": 2, "EchoNumbers": 1,
                "ImageType": ["ORIGINAL", "PRIMARY", "R_FFE", "R", "FFE"]}),
    Case(1601, "DWI_no_gradients", ("dwi", "_acq-SKSE_run-1601_dwi"),
         extra={"ScanningSequence": "SE", "SequenceVariant": "SK", "AcquisitionContrast": "DIFFUSION"}),
    Case(1701, "PERFUSION_image", ("perf", "_acq-SKGR_run-1701_asl"),
         extra={"ScanningSequence": "GR", "SequenceVariant": "SK", "ImageType": ["ORIGINAL", "PRIMARY", "PERFUSION", "NONE"]}),
    # SK + GR without an EPI name: dynamic (func) when the file states a volume or gradient number
    Case(1801, "FFE_dynamic", ("func", "_acq-SKGR_run-1801_bold"), shape=(16, 12, 6, 2),
         extra={"ScanningSequence": "GR", "SequenceVariant": "SK"}),  # TemporalPositionIdentifier
    Case(1901, "FFE_static", None, extra={"ScanningSequence": "GR", "SequenceVariant": "SK"},
         edit=_without("TemporalPositionIdentifier")),
    Case(2001, "FFE_fMRI_status", ("func", "_acq-SKGR_run-2001_bold"),
         extra={"ScanningSequence": "GR", "SequenceVariant": "SK"},
         edit=_edits(_without("TemporalPositionIdentifier"),
                     _element(0x2005, 0x0010, "Philips MR Imaging DD 001", 0x1063, "SS", 1))),
    Case(2101, "FFE_gradient_number", ("func", "_acq-SKGR_run-2101_bold"),
         extra={"ScanningSequence": "GR", "SequenceVariant": "SK"},
         edit=_edits(_without("TemporalPositionIdentifier"),
                     _element(0x2005, 0x0014, "Philips MR Imaging DD 005", 0x1413, "IS", "2"))),
    Case(2201, "FFE_diffusion_volume", ("func", "_acq-SKGR_run-2201_bold"),
         extra={"ScanningSequence": "GR", "SequenceVariant": "SK"},
         edit=_edits(_without("TemporalPositionIdentifier"),
                     _element(0x2005, 0x0015, "Philips MR Imaging DD 006", 0x1596, "IS", "3"))),
]


def test_philips(tmp_path):
    """setBidsPhilips: SequenceVariant, ScanningSequence and PulseSequenceName; SENSE as p<10 x factor>."""
    _check(tmp_path, PHILIPS_CASES, PHILIPS)


@pytest.mark.parametrize("enhanced", [False, True], ids=["classic", "enhanced"])
def test_philips_dwi(tmp_path, enhanced):
    """A Philips DWI (ImageType DIFFUSION): dwi, no _dir- (Philips states no phase polarity)."""
    from medfast.synth import write_philips_dwi

    write_philips_dwi(tmp_path / "in", enhanced=enhanced, bvals=(0, 1000, 1000, 1000))
    found = bids_guesses(tmp_path / "in", tmp_path / "work")
    assert [(theirs, mine) for _, _, theirs, mine in found] == [(("dwi", "_acq-SKSE_run-5_dwi"),) * 2]


def test_philips_enhanced_echoes_and_phase(tmp_path):
    """A Philips enhanced two-echo file split by echo and component: magnitude<echo> and phasediff parts."""
    from medfast.synth import write_philips_enhanced

    write_philips_enhanced(tmp_path / "in", shape=(12, 10, 4))
    found = bids_guesses(tmp_path / "in", tmp_path / "work")
    assert {(theirs, mine) for _, _, theirs, mine in found if theirs != mine} == set()
    theirs = {guess for _, _, guess, _ in found}
    assert {("fmap", "_acq-SPGR_run-7_magnitude2"), ("fmap", "_acq-SPGR_run-7_phasediff")} <= theirs


GE = {"Manufacturer": "GE MEDICAL SYSTEMS", "InPlanePhaseEncodingDirection": "COL",
      "SoftwareVersions": ["27", "LX", "MR Software release:RX27.0_R02_1831.a"], "ImageType": ["ORIGINAL", "PRIMARY", "OTHER"]}


def _ge(pulse, internal=None, **parm):
    """GE's pulse sequence names (0019,109C) and (0019,109E), and GEMS_PARM_01 values (0043,10xx)."""
    def edit(t, k, ds):
        from vendor_series import private

        acqu = {0x9C: ("LO", pulse)}
        if internal:
            acqu[0x9E] = ("LO", internal)
        private(ds, 0x0019, "GEMS_ACQU_01", acqu)
        values = {0x2F: ("SS", 0)}
        values.update({int(key[1:], 16): value for key, value in parm.items()})
        private(ds, 0x0043, "GEMS_PARM_01", values)
    return edit


def _ge_dwi(t, k, ds):
    from vendor_series import private

    b, vector = [(0, (0, 0, 0)), (1000, (1, 0, 0)), (1000, (0, 1, 0))][t]
    private(ds, 0x0019, "GEMS_ACQU_01", {0xBB: ("DS", str(vector[0])), 0xBC: ("DS", str(vector[1])),
                                         0xBD: ("DS", str(vector[2]))})
    private(ds, 0x0043, "GEMS_PARM_01", {0x39: ("IS", [str(b + 1000000000), "8", "0", "0"])})


GE_CASES = [
    Case(2, "rsfMRI", ("func", "_acq-EPIp2_dir-AP_run-2_bold"), shape=(16, 12, 6, 3),
         extra={"ScanningSequence": ["EP", "GR"], "RectilinearPhaseEncodeReordering": "REVERSE_LINEAR"},
         edit=_ge("epiRT", "EPI", x83=("DS", ["0.5", "1"]))),
    Case(3, "DTI", ("dwi", "_acq-EPI2_dir-PA_run-3_dwi"), shape=(16, 12, 6, 3),
         extra={"ScanningSequence": ["EP", "SE"], "EchoTime": 80}, edit=_edits(_ge("epi2", "EPI2"), _ge_dwi)),
    Case(4, "Fieldmap_PA", ("fmap", "_acq-EPI2_dir-PA_run-4_epi"), shape=(16, 12, 6, 2),
         extra={"ScanningSequence": ["EP", "SE"], "RectilinearPhaseEncodeReordering": "LINEAR"},
         edit=_ge("epi", "EPI2")),
    Case(5, "Ax_T2_FSE", ("anat", "_acq-FSE_run-5_T2w"),
         extra={"ScanningSequence": "SE", "EchoTime": 102, "EchoTrainLength": 16}, edit=_ge("fse-xl", "FSE")),
    Case(6, "Ax_T2_FLAIR", ("anat", "_acq-FSE_run-6_FLAIR"),
         extra={"ScanningSequence": ["SE", "IR"], "EchoTime": 140, "InversionTime": 2500}, edit=_ge("fse-xl", "FSE")),
    Case(7, "Sag_T1_BRAVO", ("anat", "_acq-EFGRE3D_run-7_T1w"),
         extra={"ScanningSequence": ["GR", "IR"], "MRAcquisitionType": "3D"}, edit=_ge("efgre3d", "EFGRE3D")),
    Case(8, "Ax_multi_echo_GRE", ("anat", "_acq-GRE_run-8_echo-2_part-mag_T2starw"), shape=(16, 12, 6, 3),
         extra={"ScanningSequence": "GR"},
         edit=_edits(_ge("fgre", "GRE"), _by_volume(EchoNumbers=[1, 2, 3], EchoTime=[5.0, 10.0, 15.0]))),
    Case(9, "3D_ASL", ("perf", "_acq-3dasl_run-9_asl"), extra={"ScanningSequence": "RM"}, edit=_ge("3dasl")),
    Case(10, "3D_TOF", ("anat", "_acq-tof3d_run-10_angio"), extra={"ScanningSequence": "GR"}, edit=_ge("tof3d")),
    Case(11, "3 Plane Loc", ("discard", "_acq-fgre_run-11_localizer"), extra={"ScanningSequence": "GR"},
         edit=_ge("fgre")),
    Case(12, "Ax_T1_reformat", ("derived", "_acq-EFGRE3D_run-12_T1w"),
         extra={"ScanningSequence": "GR", "ImageType": ["DERIVED", "SECONDARY", "REFORMATTED"]},
         edit=_ge("efgre3d", "EFGRE3D")),
    Case(13, "three files", ("discard", "_acq-FSE_run-13_localizer"), shape=(16, 12, 3, 1),
         extra={"ScanningSequence": "SE"}, edit=_ge("fse", "FSE")),
    Case(14, "silent_fMRI", ("func", "_acq-LoopingStar_run-14_bold"), shape=(16, 12, 6, 2),
         extra={"ScanningSequence": "GR"}, edit=_ge("LoopingStar")),
    Case(15, "Silenz", ("anat", "_acq-3dradial_run-15_T1w"), extra={"ScanningSequence": ["GR", "IR"]},
         edit=_ge("3dradial")),
    Case(16, "Ax_T2STAR", ("anat", "_acq-2DFAST_run-16_part-mag_T2starw"), extra={"ScanningSequence": "GR"},
         edit=_ge("fgre", "2DFAST")),
    Case(17, "fieldmap_rev", ("fmap", "_acq-EPI_dir-PA_run-17_epi"), shape=(16, 12, 6, 2),
         extra={"ScanningSequence": ["EP", "GR"]}, edit=_ge("epi", "EPI")),
    Case(18, "research_epi", ("func", "_acq-epi_dir-PA_run-18_bold"), shape=(16, 12, 6, 2),
         extra={"ScanningSequence": ["EP", "RM"], "PerformedProcedureStepDescription": "Gradient Echo EPI"},
         edit=_ge("epi")),
    Case(19, "mb_fMRI", ("func", "_acq-EPIm3_dir-PA_run-19_bold"), shape=(16, 12, 6, 2),
         extra={"ScanningSequence": ["EP", "GR"]}, edit=_ge("epiRT", "EPI", xB6=("LO", ["3", "0", "1"]))),
    Case(20, "plane_256", ("discard", "_acq-fgre_run-20_localizer"), extra={"ScanningSequence": "GR"},
         edit=_edits(_ge("fgre"), lambda t, k, ds: __import__("vendor_series").private(
             ds, 0x0019, "GEMS_ACQU_01", {0x17: ("SS", 256)}))),
    Case(21, "DTI_FA", ("dwi", "_FA"), extra={"ScanningSequence": ["EP", "SE"],
                                              "ImageType": ["DERIVED", "PRIMARY", "OTHER"]}, edit=_ge("epi2", "EPI2")),
    # GE's rules do not check the modality (the name heuristics and Acquisition Contrast are MR only)
    Case(22, "T1_secondary", ("anat", "_acq-EFGRE3D_run-22_T1w"), extra={"Modality": "OT"},
         edit=_ge("efgre3d", "EFGRE3D")),
    Case(23, "xray_FA", ("discard", "_acq-fgre_run-23_localizer"), shape=(16, 12, 1, 1),
         extra={"Modality": "CR", "AcquisitionContrast": "T1"}, edit=_ge("fgre")),
]


def test_ge(tmp_path):
    """setBidsGE: the internal and pulse sequence names, EP\\SE / EP\\GR, diffusion (EPI2), the phase polarity."""
    _check(tmp_path, GE_CASES, GE)


OTHER_CASES = [
    Case(2, "T1_SE", None, extra={"Manufacturer": "CANON_MEC", "ScanningSequence": "SE"}),
    Case(3, "T2_FSE", ("anat", "_T2w"), extra={"Manufacturer": "CANON_MEC", "AcquisitionContrast": "T2"}),
    Case(4, "DWI_ADC", ("dwi", "_ADC"), extra={"Manufacturer": "UIH", "ImageType": ["DERIVED", "PRIMARY", "ADC"]}),
    Case(5, "t1_acq-mprage_PA", ("anat", "_dir-PA_acq-mprage_T1w"),
         extra={"Manufacturer": "Hitachi Medical Corporation", "AcquisitionContrast": "T1"}),
    Case(6, "dwi_b1000", ("dwi", "_dwi"), shape=(16, 12, 6, 2),
         extra={"Manufacturer": "TOSHIBA_MEC", "AcquisitionContrast": "DIFFUSION"},
         edit=_by_volume(DiffusionBValue=[0.0, 1000.0], DiffusionGradientOrientation=[[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]])),
    Case(7, "dwi_no_gradients", None, extra={"Manufacturer": "TOSHIBA_MEC", "AcquisitionContrast": "DIFFUSION"}),
    Case(8, "perfusion_dsc", None, shape=(16, 12, 6, 2), extra={"Manufacturer": "UIH", "AcquisitionContrast": "PERFUSION"}),
    Case(9, "T1_col-fa_map", ("dwi", "_colFA"), extra={"Manufacturer": "SIEMENS", "SequenceName": "*tfl3d1"}),
    Case(10, "DTI_tensor", ("derived", "_TENSOR"), extra={"Manufacturer": "UIH"}),
    Case(11, "t1_acq-ab_acq-abc", ("anat", "_acq-abc_T1w"), extra={"Manufacturer": "UIH", "AcquisitionContrast": "T1"}),
    Case(12, "t2star_te20", ("anat", "_T2starw"), extra={"Manufacturer": "Bruker", "AcquisitionContrast": "T2_STAR"}),
    Case(13, "tof", ("anat", "_angio"), extra={"Manufacturer": "CANON_MEC", "AcquisitionContrast": "TOF"}),
]


def test_other_vendors_and_name_heuristics(tmp_path):
    """No vendor rules (Canon, UIH, Hitachi, Toshiba): names and Acquisition Contrast only; a named FA map anywhere."""
    _check(tmp_path, OTHER_CASES, {"InPlanePhaseEncodingDirection": "COL"})


def test_ct(tmp_path):
    """CT is ["ct", "_ct"] whatever the vendor."""
    from medfast.synth import write_ct_series

    write_ct_series(tmp_path / "in", shape=(32, 32, 6))
    found = bids_guesses(tmp_path / "in", tmp_path / "work")
    assert [(theirs, mine) for _, _, theirs, mine in found] == [(("ct", "_ct"),) * 2]


def test_entities_spliced_in_dcm2niix_order():
    """The name heuristics splice acq- and dir- before later entities, else before the last word."""
    from medfast.dcm2niix.bids_guess import _insert_entity

    assert _insert_entity("_acq-x_run-3_bold", "dir", "AP") == "_acq-x_dir-AP_run-3_bold"
    assert _insert_entity("_FA", "acq", "dti") == "_acq-dti_FA"
    assert _insert_entity("", "acq", "dti") == "_acq-dti"
    assert _insert_entity("_acq-dti", "dir", "PA") == "_dir-PA_acq-dti"  # no later entity: before the last word
    assert _insert_entity("_acq-a_bold", "acq", "b") == "_acq-a_bold"  # already there
