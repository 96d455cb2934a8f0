"""Sidecar keys of vendor private tags and protocols, on synthesised series, against the dcm2niix package.

Each test writes a few small series that carry what a vendor writes (Siemens
ASCII protocol values, GE ASL private tags, the ASL attributes of the
standard) and asserts that medfast's sidecar equals the one dcm2niix writes,
and that dcm2niix did write the keys the test is about (so a series that
stops exercising its rule is noticed).
"""
from __future__ import annotations

import json

import pytest

from vendor_series import against_dcm2niix, assert_same, private, siemens_protocol

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _series(folder, number, name, shape, extra, edit=None):
    from medfast.synth import write_mr_series

    extra = {"ProtocolName": name, "SeriesDescription": name, "InPlanePhaseEncodingDirection": "COL", **extra}
    write_mr_series(folder / str(number), shape=shape, series_number=number, extra=extra,
                    per_slice=(lambda t, k, ds: edit(ds)) if edit else None)


def _same_as_dcm2niix(tmp_path, args=("-b", "y", "-z", "n", "-f", "%s_%p")):
    """Convert ``tmp_path/in`` with both; assert medfast wrote what dcm2niix wrote; dcm2niix's sidecars by name."""
    assert_same(against_dcm2niix(tmp_path / "in", tmp_path / "work", args))
    return {p.name: json.loads(p.read_text()) for p in sorted((tmp_path / "work" / "ref").glob("*.json"))}


def _siemens(**protocol):
    def edit(ds):
        private(ds, 0x0029, "SIEMENS CSA HEADER", {0x20: ("OB", siemens_protocol(**protocol))})
    return edit


_SIEMENS = {"Manufacturer": "SIEMENS", "SoftwareVersions": "syngo MR E11", "SequenceName": "epfid2d1_64",
            "ImageType": ["ORIGINAL", "PRIMARY", "M", "ND", "NORM"]}
_PCASL = {"tSequenceFileName": "%SiemensSeq%\\ep2d_pcasl", "sWipMemBlock.adFree[1]": 90.0,
          "sWipMemBlock.adFree[2]": 1800000.0, "sWipMemBlock.adFree[3]": 80.0, "sWipMemBlock.adFree[4]": 360.0,
          "sWipMemBlock.adFree[10]": 6.0, "sWipMemBlock.adFree[11]": 0.5}


def test_siemens_asl_and_protocol_keys(tmp_path):
    """Siemens ASL protocols (pCASL with its M0, PICORE PASL, FAIR), AveragesDouble and Interpolation2D."""
    folder = tmp_path / "in"
    _series(folder, 2, "pcasl", (16, 12, 6, 2), _SIEMENS, _siemens(**_PCASL))
    _series(folder, 3, "pcasl_m0", (16, 12, 6, 1), _SIEMENS, _siemens(**_PCASL))
    _series(folder, 4, "pasl", (16, 12, 6, 3), _SIEMENS,
            _siemens(tSequenceFileName="%SiemensSeq%\\ep2d_pasl", **{"alTI[0]": 700000, "alTI[2]": 1800000},
                     dAveragesDouble=1.4))
    _series(folder, 5, "fairest", (16, 12, 6, 2), _SIEMENS,
            _siemens(tSequenceFileName="%CustomerSeq%\\ep2d_fairest", **{"sWipMemBlock.adFree[2]": 1200.0,
                                                                       "sWipMemBlock.adFree[4]": 1500.0}))
    _series(folder, 6, "bold_interpolated", (16, 12, 6, 2), _SIEMENS,
            _siemens(tSequenceFileName="%SiemensSeq%\\ep2d_bold", **{"sKSpace.uc2DInterpolation": 1}))
    theirs = _same_as_dcm2niix(tmp_path)
    assert theirs["2_pcasl.json"]["ArterialSpinLabelingType"] == "PCASL"
    assert theirs["2_pcasl.json"]["LabelingDuration"] == pytest.approx(80 * 0.0184)
    assert "M0Type" not in theirs["2_pcasl.json"] and theirs["3_pcasl_m0.json"]["M0Type"] == "Included"
    assert theirs["4_pasl.json"]["PASLType"] == "PICORE" and theirs["4_pasl.json"]["AveragesDouble"] == 1.4
    assert theirs["5_fairest.json"]["PostLabelingDelay"] == 1.5
    assert theirs["6_bold_interpolated.json"]["Interpolation2D"] == 1


_GE = {"Manufacturer": "GE MEDICAL SYSTEMS", "ScanningSequence": "RM", "InversionTime": 2025.0,
       "SoftwareVersions": ["27", "LX", "MR Software release:RX27.0_R02_1831.a"],
       "ImageType": ["ORIGINAL", "PRIMARY", "ASL"]}


def _ge_asl(technique, labeling, duration):
    def edit(ds):
        private(ds, 0x0019, "GEMS_ACQU_01", {0x9C: ("LO", "3dasl")})
        private(ds, 0x0043, "GEMS_PARM_01", {0xA3: ("CS", technique), 0xA4: ("LO", labeling), 0xA5: ("IS", duration)})
        private(ds, 0x0027, "GEMS_IMAG_01", {0x60: ("FL", 512.0), 0x61: ("FL", 8.0)})
    return edit


def test_ge_asl_keys(tmp_path):
    """GE 3D ASL: labeling type from (0043,10A3/A4), LabelingDuration (0043,10A5), TI as PostLabelingDelay, arms."""
    folder = tmp_path / "in"
    _series(folder, 7, "3D_pCASL", (16, 12, 6, 1), _GE, _ge_asl("PSEUDOCONTINUOUS", "3D pulsed continuous ASL", "1450"))
    _series(folder, 8, "3D_CASL", (16, 12, 6, 1), _GE, _ge_asl("CONTINUOUS", "3D continuous ASL", "1500"))
    theirs = _same_as_dcm2niix(tmp_path)
    assert theirs["7_3D_pCASL.json"]["ArterialSpinLabelingType"] == "PCASL"
    assert theirs["8_3D_CASL.json"]["ArterialSpinLabelingType"] == "CASL"
    assert theirs["7_3D_pCASL.json"]["LabelingDuration"] == 1.45
    assert theirs["7_3D_pCASL.json"]["PostLabelingDelay"] == 2.025
    assert theirs["7_3D_pCASL.json"]["NumberOfArms"] == 8


def test_standard_asl_attributes_and_pulse_sequence_type(tmp_path):
    """ArterialSpinLabelingContrast (0018,9250) and ASLPulseTrainDuration (0018,9258) of any vendor;
    PulseSequenceType names spin echo, gradient echo and EPI families, never inversion recovery alone."""
    folder = tmp_path / "in"
    asl = {"ArterialSpinLabelingContrast": "PULSED", "ASLPulseTrainDuration": 1650}
    _series(folder, 9, "pasl_uih", (16, 12, 6, 2), {"Manufacturer": "UIH", **asl})
    _series(folder, 10, "pcasl_canon", (16, 12, 6, 2), {"Manufacturer": "CANON_MEC",
                                                        "ArterialSpinLabelingContrast": "PSEUDOCONTINUOUS"})
    _series(folder, 11, "flair_ir", (16, 12, 6, 1), {"Manufacturer": "Philips Medical Systems", "ScanningSequence": "IR",
                                                      "SequenceVariant": "SK", "EchoTime": 120})
    _series(folder, 12, "t1_ffe", (16, 12, 6, 1), {"Manufacturer": "Philips Medical Systems", "ScanningSequence": "GR",
                                                    "SequenceVariant": ["OSP", "SK"]})
    theirs = _same_as_dcm2niix(tmp_path)
    assert theirs["9_pasl_uih.json"]["ArterialSpinLabelingType"] == "PASL"
    assert theirs["9_pasl_uih.json"]["PostLabelingDelay"] == 1.65
    assert theirs["10_pcasl_canon.json"]["ArterialSpinLabelingType"] == "PCASL"
    assert "PulseSequenceType" not in theirs["11_flair_ir.json"]
    assert theirs["12_t1_ffe.json"]["PulseSequenceType"] == "Gradient Echo"  # OSP is not SP



_PHILIPS = {"Manufacturer": "Philips Medical Systems", "SoftwareVersions": ["5.7.1", "5.7.1.2"],
            "ScanningSequence": "SE", "SequenceVariant": "SK", "NumberOfPhaseEncodingSteps": 12}


def _private(group, creator, element, vr, value):
    """A private element at a fixed tag (dcm2niix reads these by tag) with its creator in the slot it needs."""
    def edit(ds):
        ds.add_new((group, element >> 8), "LO", creator)
        ds.add_new((group, element), vr, value)
    return edit


def test_reconstruction_keys(tmp_path):
    """Partial Fourier (Philips' partial matrix (2001,1019), the PFF scan option, its direction alone),
    deep-learning reconstruction (Philips (2005,1110) "_AI", Siemens DRB/DRG/DRS image types) and
    Philips' prepulse delay (2001,101B) as the inversion time."""
    folder = tmp_path / "in"
    _series(folder, 13, "partial_matrix", (16, 12, 6, 1), _PHILIPS,
            _private(0x2001, "Philips Imaging DD 001", 0x1019, "CS", "Y"))
    _series(folder, 14, "pff", (16, 12, 6, 1), {**_PHILIPS, "ScanOptions": ["FC", "PFF"],
                                                "PartialFourierDirection": "PHASE"})
    _series(folder, 15, "cs_sense_ai", (16, 12, 6, 1), _PHILIPS,
            _private(0x2005, "Philips MR Imaging DD 002", 0x1110, "CS", "CS_SENSE_AI"))
    _series(folder, 16, "ir_prepulse", (16, 12, 6, 1), {**_PHILIPS, "ScanningSequence": ["SE", "IR"],
                                                        "InversionTime": 300},
            _private(0x2001, "Philips Imaging DD 001", 0x101B, "FL", 2500.0))
    _series(folder, 17, "t2_tse_drb", (16, 12, 6, 1),
            {"Manufacturer": "SIEMENS", "ImageType": ["ORIGINAL", "PRIMARY", "M", "DRB", "ND", "NORM"]},
            _private(0x0021, "SIEMENS MR SDI 02", 0x1176, "LO", "DeepResolve Boost: strength=medium"))
    theirs = _same_as_dcm2niix(tmp_path)
    assert theirs["13_partial_matrix.json"]["PartialFourierEnabled"] == "YES"
    assert theirs["14_pff.json"]["PhaseEncodingStepsNoPartialFourier"] == 12
    assert theirs["14_pff.json"]["PartialFourierDirection"] == "PHASE"
    assert theirs["15_cs_sense_ai.json"]["DeepLearningDetails"] == "CS_SENSE_AI"
    assert theirs["16_ir_prepulse.json"]["InversionTime"] == 2.5
    assert theirs["17_t2_tse_drb.json"]["DeepLearning"] is True
    assert theirs["17_t2_tse_drb.json"]["DeepLearningDetails"].startswith("DeepResolve")


def test_three_d_acquisition(tmp_path):
    """dcm2niix's is3DAcq: Philips' private acquisition type (2005,106F) overrides (0018,0023); GE's rules make
    silent fMRI (LoopingStar) 3-D: MRAcquisitionType 3D, and no phase-encoding axis without an echo train."""
    folder = tmp_path / "in"
    _series(folder, 18, "silent_fMRI", (16, 12, 6, 2), {**_GE, "ScanningSequence": "GR", "InversionTime": 0},
            lambda ds: private(ds, 0x0019, "GEMS_ACQU_01", {0x9C: ("LO", "LoopingStar")}))
    for number, public, stated in ((19, "2D", "3D"), (20, "3D", "2D")):
        _series(folder, number, f"T1_{stated}", (16, 12, 6, 1), {**_PHILIPS, "MRAcquisitionType": public},
                _private(0x2005, "Philips MR Imaging DD 001", 0x106F, "CS", stated))
    theirs = _same_as_dcm2niix(tmp_path)
    assert theirs["18_silent_fMRI.json"]["MRAcquisitionType"] == "3D"
    assert "PhaseEncodingAxis" not in theirs["18_silent_fMRI.json"]
    assert theirs["19_T1_3D.json"]["MRAcquisitionType"] == "3D" and "MRAcquisitionType" not in theirs["20_T1_2D.json"]


def test_protocol_echo_spacing_mt_and_patient_keys(tmp_path):
    """Siemens' protocol echo spacing (sFastImaging.lEchoSpacing) and MT pulse (sPrepPulses.ucMTC, after (0018,9020));
    with -ba n the patient's size and age in years."""
    folder = tmp_path / "in"
    patient = {"PatientAge": "045Y", "PatientSize": 1.82, "PatientWeight": 80}
    _series(folder, 21, "t1_mt", (16, 12, 6, 1), {**_SIEMENS, **patient},
            _siemens(tSequenceFileName="%SiemensSeq%\\fl2d", **{"sFastImaging.lEchoSpacing": 510,
                                                              "sPrepPulses.ucMTC": 1}))
    _series(folder, 22, "t1_mt_stated", (16, 12, 6, 1), {**_SIEMENS, **patient, "PatientAge": "006M",
                                                         "MagnetizationTransfer": "NONE"},
            _siemens(tSequenceFileName="%SiemensSeq%\\fl2d", **{"sPrepPulses.ucMTC": 1}))
    theirs = _same_as_dcm2niix(tmp_path, ("-b", "y", "-ba", "n", "-z", "n", "-f", "%s_%p"))
    one, two = theirs["21_t1_mt.json"], theirs["22_t1_mt_stated.json"]
    assert one["VendorReportedEchoSpacing"] == 0.00051 and one["MTState"] is True and two["MTState"] is False
    assert one["PatientAge"] == 45 and one["PatientSize"] == 1.82 and "PatientAge" not in two


def test_protocol_name_from_the_siemens_protocol(tmp_path):
    """A Siemens series without ProtocolName or SeriesDescription: the protocol's tProtocolName (heudiconv issue 80)."""
    folder = tmp_path / "in"
    _series(folder, 23, "x", (16, 12, 6, 1), {**_SIEMENS, "ProtocolName": "", "SeriesDescription": ""},
            _siemens(tSequenceFileName="%SiemensSeq%\\fl2d", tProtocolName="t1_fl2d_tra"))
    theirs = _same_as_dcm2niix(tmp_path, ("-b", "y", "-z", "n", "-f", "%s"))
    assert theirs["23.json"]["ProtocolName"] == "t1_fl2d_tra"


def test_manufacturer_names(tmp_path):
    """dcm2niix names every vendor it knows by the first two letters, MR Solutions, Hyperfine and Leica too."""
    folder = tmp_path / "in"
    makers = {24: "MRSolutions", 25: "Hyperfine Inc", 26: "Leica Microsystems", 27: "Acme"}
    for number, maker in makers.items():
        _series(folder, number, "t1", (16, 12, 4, 1), {"Manufacturer": maker, "ScanningSequence": "GR"})
    theirs = _same_as_dcm2niix(tmp_path, ("-b", "y", "-z", "n", "-f", "%s"))
    named = {name: side.get("Manufacturer") for name, side in theirs.items()}
    assert named == {"24.json": "MRSolutions", "25.json": "Hyperfine", "26.json": "Leica", "27.json": None}


def _pet(series_uid, frame, duration_ms, decay):
    """A PET slice edit: tracer information, corrections, reconstruction and the timing of ``frame``."""
    from pydicom.dataset import Dataset

    def edit(k, ds):
        ds.Modality, ds.SOPClassUID = "PT", "1.2.840.10008.5.1.4.1.1.128"
        ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
        ds.SeriesInstanceUID, ds.SeriesNumber = series_uid, 30
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = f"{series_uid}.{frame}.{k + 1}"
        ds.Units, ds.DecayCorrection, ds.CorrectedImage = "BQML", "ADMIN", ["DECY", "ATTN"]
        ds.AttenuationCorrectionMethod, ds.ReconstructionMethod = "CT-based, 3D", "PSF TOF 3D OSEM i4s16"
        ds.RandomsCorrectionMethod, ds.ScatterCorrectionMethod = "DLYD", "Model-based"
        ds.DecayFactor, ds.DoseCalibrationFactor, ds.ScatterFractionFactor = decay, 1.0, 0.3
        ds.FrameReferenceTime, ds.ActualFrameDuration = frame * 60000.0 + duration_ms / 2, duration_ms
        ds.SeriesTime, ds.AcquisitionDate = "100000", "20260101"
        ds.AcquisitionTime = ("100000", "100130", "100300")[frame]  # 90 s apart, as the TR says
        ds.InstanceNumber = frame * 5 + k + 1
        info = Dataset()
        info.Radiopharmaceutical, info.RadionuclideTotalDose = "Fluorodeoxyglucose", 370123456.0
        info.RadionuclideHalfLife, info.RadionuclidePositronFraction = 6586.2, 0.97
        info.RadiopharmaceuticalStartTime, info.RadiopharmaceuticalSpecificActivity = "093000.00", 123456789.5
        code = Dataset()
        code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = "C-111A1", "SRT", "^18^Fluorine"
        info.RadionuclideCodeSequence = [code]
        ds.RadiopharmaceuticalInformationSequence = [info]
    return edit


def test_pet_keys(tmp_path):
    """BIDS-PET keys of a dynamic PET series (three frames): tracer and dose, corrections, reconstruction method
    name and parameters, frame starts, durations, reference times and decay factors, decay-correction time."""
    from medfast.synth import write_ct_series

    for frame, (duration, decay) in enumerate(((60000, 1.01), (120000, 1.02), (0, 1.04))):
        write_ct_series(tmp_path / "in" / str(frame), shape=(16, 16, 5), series_number=30,
                        extra={"Manufacturer": "SIEMENS", "RepetitionTime": 90000},
                        per_slice=_pet("1.2.826.0.1.3680043.2.1125.7", frame, duration, decay))
    theirs = _same_as_dcm2niix(tmp_path, ("-b", "y", "-z", "n", "-f", "%s"))["30.json"]
    assert theirs["TracerRadionuclide"] == "18Fluorine" and theirs["InjectedRadioactivity"] == 370.12346  # %.8g
    assert theirs["ReconMethodName"] == "Point-Spread Function 3D Time Of Flight"
    assert theirs["ReconMethodParameterValues"] == [16, 4] and theirs["AttenuationCorrection"] == "CT-based"
    assert theirs["FrameTimesStart"] == [0, 90, 180] and theirs["FrameDuration"] == [60, 120, 90]
    assert theirs["DecayCorrectionFactor"] == [1.01, 1.02, 1.04] and theirs["ImageDecayCorrectionTime"] == -1800
    assert "RepetitionTime" not in theirs and "FrameReferenceTime" in theirs


def test_philips_multi_tr_series(tmp_path):
    """A Philips series with two TRs stated in (2005,1030) (actual flip-angle imaging, issue 743): one file a TR,
    named _r<TR>, not multi-echo."""
    folder = tmp_path / "in"

    def two_trs(t, k, ds):
        _private(0x2005, "Philips MR Imaging DD 001", 0x1030, "FL", [15.0, 75.0])(ds)
        ds.RepetitionTime = (15.0, 75.0)[t]

    from medfast.synth import write_mr_series

    write_mr_series(folder, shape=(16, 12, 6, 2), series_number=31, per_slice=two_trs,
                    extra={**_PHILIPS, "ScanningSequence": "GR", "SequenceVariant": "SP", "MRAcquisitionType": "3D",
                           "ProtocolName": "B1_AFI"})
    theirs = _same_as_dcm2niix(tmp_path)
    assert sorted(theirs) == ["31_B1_AFI_r15.json", "31_B1_AFI_r75.json"]


def test_uneven_volumes_frame_times(tmp_path):
    """Volumes unevenly apart (sparse or jittered fMRI, any non-GE vendor): FrameTimesStart from the first volume."""
    from medfast.synth import write_mr_series

    def jitter(t, k, ds):
        ds.AcquisitionTime = f"1010{(0.0, 2.0, 5.0)[t] + k * 0.3:09.6f}"

    write_mr_series(tmp_path / "in", shape=(16, 12, 5, 3), series_number=32, per_slice=jitter,
                    extra={"Manufacturer": "Philips Medical Systems", "ProtocolName": "sparse_fMRI",
                           "ScanningSequence": "EP", "SequenceVariant": "SK"})
    theirs = _same_as_dcm2niix(tmp_path)["32_sparse_fMRI.json"]
    assert theirs["FrameTimesStart"] == [0, 2, 5]


def test_oxford_vessel_encoded_pcasl(tmp_path):
    """Oxford's 2D and 3D vessel-encoded pCASL protocols: labeling parameters, post-labeling delay lists, tag plane."""
    folder = tmp_path / "in"
    free = {f"sWipMemBlock.alFree[{i}]": v for i, v in ((4, 20), (5, 600), (6, 900), (9, 1400), (10, 1800),
                                                         (11, 250), (12, 500), (13, 1000))}
    oxford_2d = {"tSequenceFileName": "%CustomerSeq%\\to_ep2d_VEPCASL", "alTI[0]": 1400000, "alTI[2]": 2000000,
                 "sWipMemBlock.adFree[0]": 0.6, "sWipMemBlock.adFree[1]": 6.0, "sWipMemBlock.adFree[3]": 12.5,
                 "sRSatArray.asElm[1].dThickness": 20.0, "sRSatArray.asElm[1].ulShape": 1,
                 "sRSatArray.asElm[1].sPosition.dTra": -80.0, "sRSatArray.asElm[1].sNormal.dTra": 1.0, **free}
    _series(folder, 33, "vepcasl_2d", (16, 12, 6, 7), _SIEMENS, _siemens(**oxford_2d))
    free_3d = {f"sWipMemBlock.alFree[{i}]": v for i, v in ((6, 20), (7, 600), (8, 900), (9, 1800), (10, 100),
                                                            (30, 250), (31, 500))}
    _series(folder, 34, "vepcasl_3d", (16, 12, 6, 2), _SIEMENS,
            _siemens(tSequenceFileName="%CustomerSeq%\\jw_tgse_VEPCASL", **free_3d,
                     **{"sRSatArray.asElm[1].dThickness": 20.0, "sRSatArray.asElm[1].ulShape": 2,
                        "sRSatArray.asElm[1].sPosition.dTra": -70.0, "sRSatArray.asElm[1].sNormal.dTra": 0.5}))
    theirs = _same_as_dcm2niix(tmp_path)
    two, three = theirs["33_vepcasl_2d.json"], theirs["34_vepcasl_3d.json"]
    assert two["PostLabelingDelay"] == [0.25, 0.5, 1] and two["M0Type"] == "Included"  # 3 delays: 6 + 1 volumes
    assert two["sWipMemBlockAdFree3"] == 12.5 and two["TagPlaneDThickness"] == 20
    assert three["InitialPostLabelDelay"] == [0.25, 0.5] and three["Tag0"] == 0.1
    assert three["ArterialSpinLabelingType"] == "PCASL" and "RepetitionTimePreparation" not in three
