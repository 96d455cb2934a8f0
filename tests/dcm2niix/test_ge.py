"""GE rules of dcm2niix on synthesised GE series, compared with the dcm2niix package.

Each series is medfast's phantom EPI with GE's private tags (creators
GEMS_ACQU_01, GEMS_PARM_01, GEMS_SERS_01): pulse sequence names, the
protocol data block, the raw header with the phase polarity, echo spacing,
ASSET factors, trigger times, diffusion tags. dcm2niix and medfast convert
the same folder and every NIfTI, bval/bvec and sidecar key must agree.
"""
from __future__ import annotations

import gzip
import struct

import pytest

from vendor_series import against_dcm2niix, assert_same, private, vendor_series

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

RX27 = ["27", "LX", "MR Software release:RX27.0_R02_1831.a"]
MR29 = ["28", "LX", "MR29.1_EA_2039.g"]


def protocol_block(lines):
    raw = gzip.compress("".join(f'{k} "{v}"\n' for k, v in lines.items()).encode())
    return struct.pack("<I", len(raw)) + raw


def raw_header(flipped, bottom_up=False, epi=True, version=26.0):
    """GE's raw header in (0043,102A): version at the offset, EPI bit, phase polarity bit, k-space direction."""
    out = bytearray(1024)
    offset = 16
    struct.pack_into("<H", out, 24, offset)
    struct.pack_into("<f", out, offset, version)
    base, ky = (offset + 0x4C, 0x394 - 0x8C) if version >= 25.002 else (offset, 0x394)
    struct.pack_into("<H", out, base + 0x3A, 0x800 if epi else 0)
    struct.pack_into("<H", out, base + 0x30, 4 if flipped else 0)
    struct.pack_into("<H", out, base + ky, 2 if bottom_up else 0)
    return bytes(out)


def ge_edit(*, pulse="epiRT", internal="EPI", block=None, software=RX27, acq=(0, 12, 12, 0), phase="COL",
            extra=None, params=None, model="DISCOVERY MR750", trigger=None, public=None):
    """An ``edit(ds, t, k)`` that makes the phantom a GE EPI series."""
    def edit(ds, t, k):
        ds.Manufacturer = "GE MEDICAL SYSTEMS"
        ds.ManufacturerModelName = model
        ds.SoftwareVersions = software
        ds.AcquisitionMatrix = list(acq)
        ds.InPlanePhaseEncodingDirection = phase
        ds.ScanOptions = ["EPI_GEMS", "FS"]
        ds.PixelBandwidth = 3906.25
        if trigger is not None:
            ds.TriggerTime = trigger(t, k)
        for keyword, value in (public or {}).items():
            setattr(ds, keyword, value)
        acqu = {0x9C: ("LO", pulse), 0x9E: ("LO", internal)}
        acqu.update((extra or {}) if not callable(extra) else extra(t, k))
        private(ds, 0x0019, "GEMS_ACQU_01", acqu)
        parm = {0x2C: ("SS", 500), 0x83: ("DS", ["1", "1"])}
        parm.update(params or {})
        private(ds, 0x0043, "GEMS_PARM_01", parm)
        if block is not None:
            private(ds, 0x0025, "GEMS_SERS_01", {0x1B: ("OB", protocol_block(block))})
    return edit


def _check(tmp_path, edit, **kw):
    vendor_series(tmp_path / "in", edit, **kw)
    score = against_dcm2niix(tmp_path / "in", tmp_path / "work")
    assert_same(score)
    return score


@pytest.mark.parametrize("order", ["0", "1"])
def test_fmri_epirt_slice_times_tr_and_polarity(tmp_path, order):
    """epiRT: group delay (0043,107C) added to the TR, times interleaved unless SLICEORDER 0, polarity from (0043,102A)."""
    edit = ge_edit(block={"IOPT": "EPI, FMRI", "SLICEORDER": order, "PSEQ": "Gradient Echo"},
                   params={0x7C: ("FL", 0.05), 0x2A: ("OB", raw_header(flipped=True))})
    _check(tmp_path, edit)


@pytest.mark.parametrize("mb_version", [RX27, MR29])
def test_multiband_slice_times(tmp_path, mb_version):
    """Multiband from MBACCEL and (0043,10B6): excitations, the release 27 R03 rule, the factor in the sidecar."""
    edit = ge_edit(block={"IOPT": "EPI, FMRI", "SLICEORDER": "1", "MBACCEL": "2"}, software=mb_version,
                   params={0xB6: ("LO", ["2", "1", "0"]), 0x2A: ("OB", raw_header(flipped=False, bottom_up=True))})
    _check(tmp_path, edit, shape=(16, 12, 8, 2))


def test_multiphase_epi_interleaved_and_trigger_delay(tmp_path):
    """Multi-phase epi: always interleaved, the protocol delay added to the TR; TriggerDelayTime spans the series."""
    edit = ge_edit(pulse="epi", block={"IOPT": "MPh, EPI", "SLICEORDER": "0", "DELACQ": "Other", "DELACQNOAV": "0.3"},
                   trigger=lambda t, k: 100 + t * 2300 + k * 300, public={"RectilinearPhaseEncodeReordering": "LINEAR"})
    _check(tmp_path, edit)


@pytest.mark.parametrize("scheme", [0, 1, 2, 3])
def test_pepolar_series_split_and_rows_flipped(tmp_path, scheme):
    """ABCD pepolar: user data 12 picks the scheme; reversed volumes get series + 1000, flipped rows and polarity."""
    edit = ge_edit(pulse="research/ABCD/epi_pepolar", block={"IOPT": "MPh, EPI", "DELACQ": "Minimum"},
                   extra={0xB3: ("DS", f"{scheme}.000000")}, trigger=lambda t, k: 123 + t * 7400 + k * 500,
                   params={0x2A: ("OB", raw_header(flipped=True))})
    _check(tmp_path, edit, shape=(16, 12, 6, 4))


@pytest.mark.parametrize("acq, phase, pff, asset", [
    ((0, 12, 12, 0), "COL", False, "1"),
    ((12, 0, 0, 14), "ROW", True, "0.5"),
])
def test_echo_spacing_and_readout(tmp_path, acq, phase, pff, asset):
    """EffectiveEchoSpacing / TotalReadoutTime from (0043,102C), rounded lines, ASSET and partial Fourier."""
    def edit(ds, t, k):
        ge_edit(block={"IOPT": "EPI, FMRI"}, acq=acq, phase=phase, params={0x83: ("DS", [asset, "1"])})(ds, t, k)
        if pff:
            ds.ScanOptions = ["EPI_GEMS", "PFF"]
    _check(tmp_path, edit)


def test_dwi_keys_and_gradients(tmp_path):
    """epi2/EPI2: the diffusion keys, no slice times, b-values scaled by the gradient length, GE's vector frame."""
    vectors = [(0, 0, 0), (1, 0, 0), (0, 0.7071, 0.7071), (0.5, 0.5, 0)]
    bvals = [0, 1000, 1000, 1000]

    def extra(t, k):
        v = vectors[t]
        return {0xBB: ("DS", str(v[0])), 0xBC: ("DS", str(v[1])), 0xBD: ("DS", str(v[2])),
                0xE0: ("DS", "3.000000"), 0xDF: ("DS", "1.000000"), 0xB2: ("DS", "0")}

    def edit(ds, t, k):
        ge_edit(pulse="epi2", internal="EPI2", block={"IOPT": "EPI, DIFF"}, extra=extra,
                params={0x39: ("IS", [str(bvals[t] + 1000000000), "8", "0", "0"])})(ds, t, k)
    score = _check(tmp_path, edit, shape=(16, 12, 6, 4))
    assert score.grad == 2


def test_uhp_gradient_cycling(tmp_path):
    """A UHP with user data 12 = 2: 2TR gradient cycling, tensor file 2."""
    def extra(t, k):
        return {0xBB: ("DS", "0"), 0xBC: ("DS", "0"), 0xBD: ("DS", "1"), 0xB3: ("DS", "2"), 0xB6: ("DS", "0.2")}

    edit = ge_edit(pulse="epi2", internal="EPI2", model="SIGNA UHP", block={"IOPT": "EPI, DIFF"}, extra=extra)
    _check(tmp_path, edit, shape=(16, 12, 4, 2))


def anatomical_edit(acquisition="3D", etl=1, sequence="GR"):
    """A GE anatomical series: (0018,9034) polarity, shims, table position, compressed sensing, deep learning."""
    def edit(ds, t, k):
        ds.Manufacturer = "GE MEDICAL SYSTEMS"
        ds.SoftwareVersions = RX27
        ds.MRAcquisitionType, ds.EchoTrainLength, ds.ScanningSequence = acquisition, etl, sequence
        ds.SequenceVariant = ["SS", "SP"]
        ds.RectilinearPhaseEncodeReordering = "REVERSE_LINEAR"
        ds.InPlanePhaseEncodingDirection = "ROW"
        ds.AcquisitionMatrix = [0, 16, 12, 0]
        ds.TriggerTime = 0
        ds.EchoNumbers, ds.EchoTime = t + 1, 10 + 10 * t
        private(ds, 0x0019, "GEMS_ACQU_01", {0x9C: ("LO", "efgre3d"), 0x17: ("SS", 2), 0xA9: ("DS", "3")})
        private(ds, 0x0043, "GEMS_PARM_01", {
            0x02: ("SS", 3), 0x03: ("SS", -4), 0x04: ("SS", 5), 0x95: ("LO", "RN/s1"), 0x2F: ("SS", 0),
            0xB2: ("LO", ["960.5", "400", "17.9", "0", "-9999", "-9999"]), 0xB7: ("LO", ["1.5", "1", "10", "0"]),
            0xCA: ("LO", ["0.75", "High"])})
        private(ds, 0x0027, "GEMS_IMAG_01", {0x62: ("FL", 2.0)})
    return edit


@pytest.mark.parametrize("acquisition, etl, sequence, nt", [("3D", 1, "GR", 1), ("2D", 12, "SE", 1), ("2D", 1, "GR", 3)])
def test_anatomical_and_multi_echo(tmp_path, acquisition, etl, sequence, nt):
    """3-D SPGR, 2-D FSE and multi-echo: polarity from (0018,9034), SpoilingState from SP, GE reconstruction keys."""
    _check(tmp_path, anatomical_edit(acquisition, etl, sequence), shape=(16, 12, 6, nt))


def test_dwi_row_phase_gradients(tmp_path):
    """ROW phase encoding: GE's vectors swap x and y after the plane flips and the y negation (issue 970)."""
    vectors = [(0, 0, 0), (1, 0, 0), (0, 0.6, 0.8), (0.5, 0.5, 0)]

    def edit(ds, t, k):
        v = vectors[t]
        ge_edit(pulse="epi2", internal="EPI2", block={"IOPT": "EPI, DIFF"}, acq=(12, 0, 0, 14), phase="ROW",
                extra={0xBB: ("DS", str(v[0])), 0xBC: ("DS", str(v[1])), 0xBD: ("DS", str(v[2]))},
                params={0x39: ("IS", [str(0 if t == 0 else 1000), "8", "0", "0"])})(ds, t, k)
    assert _check(tmp_path, edit, shape=(16, 12, 6, 4)).grad == 2


@pytest.mark.parametrize("locations, zip_thickness", [(6, None), (3, 7.0), (12, None)])
def test_b0map_split_by_instance(tmp_path, locations, zip_thickness):
    """B0map: images numbered up to (0021,104F) x ZIP are the field map in Hz, the rest the magnitude (issue 501).

    With (0021,104F) equal to ImagesInAcquisition the series is not split.
    """
    def edit(ds, t, k):
        ge_edit(pulse="b0map", internal="B0map", extra={})(ds, t, k)
        private(ds, 0x0021, "GEMS_RELA_01", {0x4F: ("SS", locations)})
        ds.ImagesInAcquisition = 12
        if zip_thickness:
            ds.SliceThickness, ds.SpacingBetweenSlices = zip_thickness, 3.5
    score = _check(tmp_path, edit, shape=(16, 12, 6, 2))
    assert score.nifti == (1 if locations == 12 else 2)


@pytest.mark.parametrize("delta", [None, "12.5"])
def test_table_position_less_table_delta(tmp_path, delta):
    """TablePosition: the third value of (0043,10B2) less the table delta (0019,107F)."""
    extra = {0x7F: ("DS", delta)} if delta else {}
    _check(tmp_path, ge_edit(extra=extra, params={0xB2: ("LO", ["960.5", "400", "17.9108", "0", "-9999"])}))


VECTORS = [(0, 0, 0), (1, 0, 0), (0, 0.6, 0.8), (0.48, 0.6, 0.64)]


def ge_dwi(vectors, phase="COL"):
    """An ``edit`` that makes the six-slice phantom a GE spin-echo DWI series: volume t has b 0 (t=0) or 1000, ``vectors[t]``."""
    def edit(ds, t, k):
        v = vectors[t]
        ge_edit(pulse="epi2", internal="EPI2", block={"IOPT": "EPI, DIFF", "NOSLC": "6"},  # six slices
                phase=phase, extra={0xBB: ("DS", str(v[0])), 0xBC: ("DS", str(v[1])), 0xBD: ("DS", str(v[2]))},
                params={0x39: ("IS", [str(0 if t == 0 else 1000), "8", "0", "0"])})(ds, t, k)
    return edit


@pytest.mark.parametrize("orientation, step", [
    ([0, 1, 0, 0, 0, -1], (3.0, 0, 0)),   # sagittal: GE flips x and y
    ([1, 0, 0, 0, 0, -1], (0, -3.0, 0)),  # coronal: y and z
    ([1, 0, 0, 0, 1, 0], (0, 0, -3.0)),   # axial, slices stored top down (the stack is flipped first)
    ([1, 0, 0, 0, 0.8, -0.6], (0, 1.8, 2.4)),  # oblique: the axis the slice normal runs closest to
], ids=["sagittal", "coronal", "axial-descending", "oblique"])
def test_dwi_gradients_follow_the_slice_plane(tmp_path, orientation, step):
    """geCorrectBvecs' flips depend on the plane: the world axis the NIfTI's slice axis runs closest to."""
    def edit(ds, t, k):
        ge_dwi(VECTORS)(ds, t, k)
        ds.ImageOrientationPatient = orientation
        ds.ImagePositionPatient = [10.0 + k * step[0], -20.0 + k * step[1], 30.0 + k * step[2]]
        ds.SliceLocation = 30.0 + k * sum(step)
    assert _check(tmp_path, edit, shape=(16, 12, 6, 4)).grad == 2


@pytest.mark.parametrize("verbose", ["0", "1"])
@pytest.mark.parametrize("orientation, position, phase, length", [
    ([1, 0, 0, 0, 1, 0], "HFS", "COL", 1.0),    # nothing said at -v 0
    ([0, 1, 0, 0, 0, -1], "HFDR", "COL", 1.0),  # not head first supine, not axial
    ([1, 0, 0, 0, 0, -1], "HFS", "ROW", 0.5),   # ROW: the Reorienting line at any verbosity; a scaled b-value
], ids=["axial", "sagittal-decubitus", "coronal-row-scaled"])
def test_dwi_rotation_messages(tmp_path, capsys, verbose, orientation, position, phase, length):
    """geCorrectBvecs' lines on stdout, line for line with dcm2niix's."""
    vectors = [(0, 0, 0), (length, 0, 0), (0, 0.6 * length, 0.8 * length), (0.48, 0.6, 0.64)]

    def edit(ds, t, k):
        ge_dwi(vectors, phase=phase)(ds, t, k)
        ds.PatientPosition, ds.ImageOrientationPatient = position, orientation
        normal = [orientation[1] * orientation[5] - orientation[2] * orientation[4],
                  orientation[2] * orientation[3] - orientation[0] * orientation[5],
                  orientation[0] * orientation[4] - orientation[1] * orientation[3]]
        ds.ImagePositionPatient = [10.0 + 3 * k * normal[0], -20.0 + 3 * k * normal[1], 30.0 + 3 * k * normal[2]]

    want = _same_stdout(tmp_path, capsys, verbose, edit, shape=(16, 12, 6, 4))
    assert verbose == "0" and phase == "COL" and position == "HFS" or any("GE" in line for line in want)


def _same_stdout(tmp_path, capsys, verbose, edit, shape):
    """dcm2niix's and medfast's stdout on the series ``edit`` makes, line for line; dcm2niix's lines."""
    from test_stdout import stdout_of_both

    source = tmp_path / "in"
    vendor_series(source, edit, shape=shape)
    (want_code, want), (got_code, got) = stdout_of_both(source, verbose, capsys, tmp_path)
    assert got_code == want_code and got == want
    return want


@pytest.mark.parametrize("kind, said", [
    ("dwi-no-slice-count", "Missing DICOMs"),
    ("dwi-cycling", "GE Diffusion:Cycling"),
    ("dwi-2tr", "GE Diffusion:2TR-Cycling"),
    ("epirt-delays-differ", "Group delay reported"),
    ("multiphase-variable", "Variable Delays"),
    ("other-sequence", "this GE dataset"),
    ("echoes", "GE sequence with 2 echoes"),
])
def test_slice_timing_warnings(tmp_path, capsys, kind, said):
    """sliceTimingGE's warnings, in its order, as dcm2niix prints them at -v 0."""
    block = {"IOPT": "EPI, DIFF", "NOSLC": "6"}
    pulse, internal, model, extra, params = "epi2", "EPI2", "DISCOVERY MR750", {}, {}
    if kind == "dwi-no-slice-count":
        del block["NOSLC"]
    elif kind in ("dwi-cycling", "dwi-2tr"):
        model = "SIGNA Premier"
        extra = {0xB3: ("DS", "2" if kind == "dwi-2tr" else "0"), 0xB6: ("DS", "0")}
    elif kind == "epirt-delays-differ":
        pulse, internal, block = "epiRT", "EPI", {"IOPT": "EPI, FMRI", "NOSLC": "6", "DELACQNOAV": "0.05"}
        params = {0x7C: ("FL", 0.02)}
    elif kind == "multiphase-variable":
        pulse, internal, block = "epi", "EPI", {"IOPT": "EPI, MPhVar", "NOSLC": "6"}
    elif kind == "other-sequence":
        pulse, internal, block = "fgre", "FGRE", {"IOPT": "FC", "NOSLC": "6"}
    elif kind == "echoes":
        pulse, internal, block = "epiRT", "EPI", {"IOPT": "EPI, FMRI", "NOSLC": "6"}
        extra = {0xA9: ("DS", "2")}
    want = _same_stdout(tmp_path, capsys, "0", ge_edit(pulse=pulse, internal=internal, block=block, model=model,
                                                        extra=extra, params=params), shape=(16, 12, 6, 3))
    assert any(said in line for line in want), want


def test_dwi_with_public_vectors_projected_as_world(tmp_path):
    """A GE file that also gives (0018,9089): dcm2niix takes the vectors as world vectors (no GE turn),
    GE's private components (read after the public tag) replacing the public ones."""
    def edit(ds, t, k):
        ge_dwi(VECTORS)(ds, t, k)
        ds.add_new((0x0018, 0x9087), "FD", 0.0 if t == 0 else 1000.0)
        ds.add_new((0x0018, 0x9089), "FD", [0.6, 0.8, 0.0] if t else [0.0, 0.0, 0.0])
    assert _check(tmp_path, edit, shape=(16, 12, 6, 4)).grad == 2
