"""CT rules of dcm2niix (sidecar keys, X-ray detection, several series and localizers), compared with the dcm2niix package."""
from __future__ import annotations

import pytest

from test_philips import assert_same_as_dcm2niix

CT_BASE = dict(ExposureTime=1000, XRayTubeCurrent=250, Exposure=250, KVP=120, SoftwareVersions="V4.1",
               StationName="CT01", BodyPartExamined="HEAD", AcquisitionTime="101010.5", ImageComments="routine")


@pytest.mark.parametrize(("manufacturer", "kernel"), [
    ("TOSHIBA", "FC13"),  # "<type><size>": ReconFilterType FC, ReconFilterSize 13
    ("SIEMENS", "XYZ Gauss4.00"),
    ("GE MEDICAL SYSTEMS", "STANDARD"),  # letters only: ConvolutionKernel alone
    ("Philips", "B"),
    ("SIEMENS", "Hr40f"),  # letters after the digits: no split
])
def test_ct_sidecar_keys(tmp_path, manufacturer, kernel):
    """ConvolutionKernel, ReconFilterType/Size, ExposureTime, XRayTubeCurrent, XRayExposure; no SliceThickness or EchoTime."""
    from medfast.synth import write_ct_series

    write_ct_series(tmp_path / "in", shape=(20, 16, 6), spacing=(0.7, 0.7, 1.0),
                    extra=dict(CT_BASE, Manufacturer=manufacturer, ConvolutionKernel=kernel))
    assert_same_as_dcm2niix(tmp_path / "in", tmp_path / "work")


def test_ct_without_exposure_keeps_slice_thickness(tmp_path):
    """Without Exposure (0018,1152) a CT is not flagged X-ray: SliceThickness is written, as dcm2niix does."""
    from medfast.synth import write_ct_series

    write_ct_series(tmp_path / "in", shape=(20, 16, 6), spacing=(0.7, 0.7, 1.0),
                    extra=dict(Manufacturer="SIEMENS", ConvolutionKernel="Br40"))
    assert_same_as_dcm2niix(tmp_path / "in", tmp_path / "work")


def test_kernel_parts():
    """The kernel split of dcm2niix (issue 983), as a function."""
    from medfast.dcm2niix.sidecar import _kernel_parts

    assert _kernel_parts("XYZ Gauss4.00") == ("XYZ Gauss", 4.0)
    assert _kernel_parts("FC13") == ("FC", 13.0)
    assert _kernel_parts("Hr40f") == ("", 0.0)
    assert _kernel_parts("13") == ("", 0.0)  # a size with no type: nothing


def _several_series(folder):
    from medfast.synth import write_ct_series

    base = dict(Manufacturer="SIEMENS", ConvolutionKernel="Br40", Exposure=100, KVP=120, ProtocolName="Head")
    write_ct_series(folder / "loc", shape=(16, 16, 1), spacing=(1, 1, 1), series_number=1,
                    extra=dict(base, ImageType=["ORIGINAL", "PRIMARY", "LOCALIZER"]))
    for number in (3, 4, 5, 12):
        write_ct_series(folder / f"s{number}", shape=(16, 16, 5), spacing=(0.7, 0.7, 1.0), series_number=number,
                        seed=number, extra=base)

    def second_acquisition(k, ds):  # slices 3.. are a second acquisition further along the table
        if k >= 3:
            ds.AcquisitionNumber = 2
            ds.ImagePositionPatient = [ds.ImagePositionPatient[0], ds.ImagePositionPatient[1], 100 + k]

    write_ct_series(folder / "s2", shape=(16, 16, 6), spacing=(0.7, 0.7, 1.0), series_number=2, extra=base,
                    per_slice=second_acquisition)


@pytest.mark.parametrize("template", ["%p", "%p_%s"])
def test_ct_several_series_and_localizer(tmp_path, template):
    """A localizer, two acquisitions in one series and five series named alike: dcm2niix's files and a/b/c order."""
    _several_series(tmp_path / "in")
    assert_same_as_dcm2niix(tmp_path / "in", tmp_path / "work", ("-b", "y", "-z", "n", "-f", template))


def _tilted(folder, manufacturer, shear, uneven, descending):
    """A CT stack sheared along the rows (gantry tilt 14 degrees), optionally with a gap and numbered top-down."""
    from medfast.synth import write_ct_series

    def edit(k, ds):
        z = k * 2.0 + (3.0 if uneven and k >= 4 else 0.0)
        z = -z - 100 if descending else z
        ds.ImagePositionPatient = [float(ds.ImagePositionPatient[0]),
                                   round(float(ds.ImagePositionPatient[1]) + shear * z / 2, 4), z]
        ds.GantryDetectorTilt = 14.0

    write_ct_series(folder, shape=(24, 20, 8), spacing=(0.8, 0.7, 2.0),
                    extra=dict(Manufacturer=manufacturer, Exposure=100), per_slice=edit)


@pytest.mark.parametrize("manufacturer", ["Philips", "SIEMENS", "GE MEDICAL SYSTEMS", "TOSHIBA"])
@pytest.mark.parametrize(("shear", "uneven", "descending"), [
    (0.5, False, False), (-0.4, False, False),
    (0.5, True, False), (-0.4, True, False),  # one _Tilt_Eq_1 file: tilt undone, then slices evened out
    (0.5, False, True), (-0.4, False, True),  # numbered against the normal: origin from the first instance
])
def test_gantry_tilt(tmp_path, manufacturer, shear, uneven, descending):
    """Tilted CT: the main NIfTI's affine and origin, and _Tilt_1 or _Tilt_Eq_1, equal the dcm2niix package's."""
    _tilted(tmp_path / "in", manufacturer, shear, uneven, descending)
    score = assert_same_as_dcm2niix(tmp_path / "in", tmp_path / "work", ("-b", "y", "-z", "n", "-f", "%s"))
    assert score.nifti == 2


def test_ct_localizer_orientations_stack(tmp_path):
    """A CT localizer with two orientations is one output: dcm2niix stacks X-ray images of a series regardless."""
    from medfast.synth import write_ct_series

    def orient(k, ds):
        if k == 1:
            ds.ImageOrientationPatient = [0, 1, 0, 0, 0, -1]
        ds.ImagePositionPatient = [0, -10, 50]

    write_ct_series(tmp_path / "in", shape=(16, 16, 2), spacing=(1, 1, 1), series_number=1, per_slice=orient,
                    extra=dict(Manufacturer="SIEMENS", Exposure=10, ImageType=["ORIGINAL", "PRIMARY", "LOCALIZER"]))
    assert_same_as_dcm2niix(tmp_path / "in", tmp_path / "work")


def test_ct_exposure_varies_by_slice(tmp_path):
    """Tube current modulation: Exposure and XRayTubeCurrent vary by slice, still one volume, keys of the first slice."""
    from medfast.synth import write_ct_series

    def modulated(k, ds):
        ds.Exposure, ds.XRayTubeCurrent = 100 + 10 * k, 200 + k

    write_ct_series(tmp_path / "in", shape=(16, 16, 5), spacing=(1, 1, 1), per_slice=modulated,
                    extra=dict(Manufacturer="GE MEDICAL SYSTEMS"))
    assert_same_as_dcm2niix(tmp_path / "in", tmp_path / "work")


def test_enhanced_ct(tmp_path):
    """An Enhanced CT file (one multi-frame file, AcquisitionDateTime beside AcquisitionDate): dcm2niix's output."""
    import numpy as np
    from pydicom.dataset import Dataset
    from pydicom.uid import EnhancedCTImageStorage

    from medfast.synth import _base_dataset, _uid

    folder = tmp_path / "in"
    folder.mkdir()
    nx, ny, nz = 12, 10, 5
    series = _uid(folder, "ct")
    ds = _base_dataset(EnhancedCTImageStorage, _uid(series, 1), "CT", series, _uid(folder, "st"), 4, "Enh CT")
    ds.Manufacturer, ds.ImageType, ds.InstanceNumber = "Philips", ["ORIGINAL", "PRIMARY", "AXIAL"], 1
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.ConvolutionKernel, ds.KVP, ds.AcquisitionDateTime = "B", 120, "20260101101010.5"
    shared, measures, orient, scale, exposure = (Dataset() for _ in range(5))
    measures.PixelSpacing, measures.SliceThickness = [0.5, 0.5], 1.0
    orient.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    scale.RescaleSlope, scale.RescaleIntercept, scale.RescaleType = 1, -1024, "HU"
    exposure.ExposureTimeInms, exposure.XRayTubeCurrentInmA, exposure.ExposureInmAs = 500.0, 200.0, 100.0
    shared.PixelMeasuresSequence, shared.PlaneOrientationSequence = [measures], [orient]
    shared.PixelValueTransformationSequence, shared.CTExposureSequence = [scale], [exposure]
    ds.SharedFunctionalGroupsSequence = [shared]
    frames = []
    for k in range(nz):
        item, content, plane = Dataset(), Dataset(), Dataset()
        content.DimensionIndexValues, content.InStackPositionNumber, content.StackID = [1, k + 1], k + 1, "1"
        plane.ImagePositionPatient = [-2.75, -2.25, k * 1.0]
        item.FrameContentSequence, item.PlanePositionSequence = [content], [plane]
        frames.append(item)
    ds.PerFrameFunctionalGroupsSequence, ds.NumberOfFrames = frames, nz
    ds.Rows, ds.Columns = ny, nx
    ds.PixelData = np.random.default_rng(0).integers(0, 3000, size=(nz, ny, nx)).astype(np.uint16).tobytes()
    ds.save_as(folder / "ct.dcm", enforce_file_format=True)
    assert_same_as_dcm2niix(folder, tmp_path / "work")
