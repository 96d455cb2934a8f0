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
