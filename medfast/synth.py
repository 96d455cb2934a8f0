"""Synthetic but realistic DICOM studies: a CT head phantom and a 4-D EPI MR series.

The demo converts them, and the tests and benchmarks generate their data with
them, so every generated series has the same complete headers (patient, study,
series, frame of reference, image plane and pixel modules). Values come from
a 3-D Shepp-Logan-style phantom, so geometry errors (flips, swaps) show.
"""
from __future__ import annotations

import os

import numpy as np

# (centre xyz, semi-axes xyz, rotation about z in degrees, CT number in HU)
_ELLIPSOIDS = (
    ((0.0, 0.0, 0.0), (0.69, 0.92, 0.81), 0, 800),  # skull
    ((0.0, -0.0184, 0.0), (0.6624, 0.874, 0.78), 0, -760),  # brain (added to skull: 40 HU)
    ((0.22, 0.0, 0.0), (0.11, 0.31, 0.22), -18, -30),  # right ventricle
    ((-0.22, 0.0, 0.0), (0.16, 0.41, 0.28), 18, -30),  # left ventricle
    ((0.0, 0.35, -0.15), (0.21, 0.25, 0.41), 0, 20),
    ((0.0, 0.1, 0.25), (0.046, 0.046, 0.05), 0, 25),
    ((-0.08, -0.605, 0.0), (0.046, 0.023, 0.05), 0, 30),
    ((0.06, -0.605, -0.25), (0.023, 0.046, 0.05), 0, 30),
)


def phantom(shape):
    """A 3-D head phantom in Hounsfield units (air -1000), indexed x, y, z.

    Examples
    --------
    >>> p = phantom((32, 32, 16))
    >>> p.dtype, int(p[0, 0, 0]), int(p[16, 16, 8]) > -1000
    (dtype('int16'), -1000, True)
    """
    nx, ny, nz = shape
    x, y, z = np.meshgrid(
        np.linspace(-1, 1, nx), np.linspace(-1, 1, ny), np.linspace(-1, 1, nz), indexing="ij"
    )
    hu = np.full(shape, -1000.0)
    for (cx, cy, cz), (ax, ay, az), deg, value in _ELLIPSOIDS:
        t = np.deg2rad(deg)
        xr = (x - cx) * np.cos(t) + (y - cy) * np.sin(t)
        yr = -(x - cx) * np.sin(t) + (y - cy) * np.cos(t)
        inside = (xr / ax) ** 2 + (yr / ay) ** 2 + ((z - cz) / az) ** 2 <= 1
        hu[inside] += value + (1000 if value == 800 else 0)
    return hu.astype(np.int16)


def _uid(*parts):
    from pydicom.uid import generate_uid

    return generate_uid(entropy_srcs=["medfast-synth", *map(str, parts)])


def _base_dataset(sop_class, sop_uid, modality, series_uid, study_uid, series_number, description):
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, PYDICOM_IMPLEMENTATION_UID

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = "20260101"
    ds.StudyTime = "090000"
    ds.Modality = modality
    ds.Manufacturer = "medfast"
    ds.ManufacturerModelName = "synthetic phantom"
    ds.InstitutionName = "medfast demo"
    ds.PatientName = "Phantom^Demo"
    ds.PatientID = "PHANTOM01"
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "O"
    ds.PatientPosition = "HFS"
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    ds.FrameOfReferenceUID = _uid(study_uid, "for")
    ds.StudyID = "1"
    ds.SeriesNumber = series_number
    ds.SeriesDescription = description
    ds.ProtocolName = description
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    return ds


def _save(ds, path, pixels):
    ds.Rows, ds.Columns = pixels.shape
    ds.PixelData = np.ascontiguousarray(pixels).tobytes()
    ds.save_as(path, enforce_file_format=True)


def write_ct_series(folder, shape=(256, 256, 120), spacing=(0.9, 0.9, 1.25), *, series_number=2,
                    shuffle_names=False, seed=0, extra=None, per_slice=None):
    """Write the phantom as an axial CT series, one file a slice; return the file paths.

    12 bits stored in 16, unsigned, RescaleSlope 1, RescaleIntercept -1024, as
    most CT scanners write it. Slice ``k`` lies at z = k * spacing[2] mm.

    Parameters
    ----------
    folder : path
        Created if missing.
    shape : (columns, rows, slices)
    spacing : (column, row, slice) spacing in mm
    shuffle_names : bool
        Name files in random order, so that readers must sort by position.
    extra : dict, optional
        Attributes (keyword -> value) set on every file after the defaults (Manufacturer, kernel, exposure ...).
    per_slice : callable, optional
        ``per_slice(k, ds)`` edits slice ``k``'s dataset before it is saved.

    Examples
    --------
    >>> import tempfile
    >>> files = write_ct_series(tempfile.mkdtemp(), shape=(16, 16, 4))
    >>> len(files)
    4
    """
    from pydicom.uid import CTImageStorage

    os.makedirs(folder, exist_ok=True)
    nx, ny, nz = shape
    hu = phantom(shape)
    stored = (hu.astype(np.int32) + 1024).clip(0, 4095).astype(np.uint16)
    study = _uid(folder, "study", seed)
    series = _uid(folder, "ct", series_number, seed)
    order = np.random.default_rng(seed).permutation(nz) if shuffle_names else np.arange(nz)
    x0 = -(nx - 1) * spacing[0] / 2
    y0 = -(ny - 1) * spacing[1] / 2
    paths = []
    for k in range(nz):
        sop = _uid(series, k)
        ds = _base_dataset(CTImageStorage, sop, "CT", series, study, series_number, "CT head phantom")
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.InstanceNumber = k + 1
        ds.AcquisitionNumber = 1
        ds.ImagePositionPatient = [round(x0, 4), round(y0, 4), round(k * spacing[2], 4)]
        ds.SliceLocation = round(k * spacing[2], 4)
        ds.PixelSpacing = [spacing[1], spacing[0]]
        ds.SliceThickness = spacing[2]
        ds.KVP = 120
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
        ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = -1024, 1, "HU"
        ds.WindowCenter, ds.WindowWidth = 40, 400
        for keyword, value in (extra or {}).items():
            setattr(ds, keyword, value)
        if per_slice is not None:
            per_slice(k, ds)
        path = os.path.join(folder, f"IM{order[k]:05d}.dcm")
        # DICOM rows run along +y (posterior) and columns along +x: pixel (r, c) is voxel (c, r)
        _save(ds, path, stored[:, :, k].T)
        paths.append(path)
    return paths


def write_mr_series(folder, shape=(64, 64, 24, 10), spacing=(3.0, 3.0, 3.5), *, tr=2.0, series_number=3, seed=0,
                    extra=None, per_slice=None):
    """Write a 4-D EPI-like MR series (one file a slice a volume); return the file paths.

    Signal follows the phantom's tissue classes with a small sinusoidal
    change over time, as in a block-design fMRI run; AcquisitionTime and
    TemporalPositionIdentifier step with each volume. ``extra`` (keyword ->
    value) is set on every file; ``per_slice(t, k, ds)`` edits each file last.

    Examples
    --------
    >>> import tempfile
    >>> files = write_mr_series(tempfile.mkdtemp(), shape=(8, 8, 3, 2))
    >>> len(files)
    6
    """
    from pydicom.uid import MRImageStorage

    os.makedirs(folder, exist_ok=True)
    nx, ny, nz, nt = shape
    hu = phantom((nx, ny, nz)).astype(np.float64)
    base = np.where(hu > -500, 600 + hu, 20.0)
    study = _uid(folder, "study", seed)
    series = _uid(folder, "mr", series_number, seed)
    x0 = -(nx - 1) * spacing[0] / 2
    y0 = -(ny - 1) * spacing[1] / 2
    paths = []
    for t in range(nt):
        signal = np.round(base * (1 + 0.02 * np.sin(2 * np.pi * t / 8))).clip(0, 4095).astype(np.uint16)
        for k in range(nz):
            n = t * nz + k
            sop = _uid(series, n)
            ds = _base_dataset(MRImageStorage, sop, "MR", series, study, series_number, "fMRI_phantom")
            ds.ImageType = ["ORIGINAL", "PRIMARY", "M", "ND"]
            ds.ScanningSequence, ds.SequenceVariant, ds.MRAcquisitionType = "EP", "SK", "2D"
            ds.InstanceNumber = n + 1
            ds.AcquisitionNumber = t + 1
            ds.TemporalPositionIdentifier = t + 1
            ds.NumberOfTemporalPositions = nt
            seconds = 9 * 3600 + 600 + t * tr + k * tr / nz
            hh, rem = divmod(seconds, 3600)
            mm, ss = divmod(rem, 60)
            ds.AcquisitionTime = f"{int(hh):02d}{int(mm):02d}{ss:09.6f}"
            ds.ImagePositionPatient = [round(x0, 4), round(y0, 4), round(k * spacing[2], 4)]
            ds.SliceLocation = round(k * spacing[2], 4)
            ds.PixelSpacing = [spacing[1], spacing[0]]
            ds.SliceThickness = spacing[2]
            ds.RepetitionTime = tr * 1000
            ds.EchoTime = 30
            ds.FlipAngle = 77
            ds.MagneticFieldStrength = 3
            ds.ImagingFrequency = 123.2
            ds.EchoTrainLength = 1
            ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
            for keyword, value in (extra or {}).items():
                setattr(ds, keyword, value)
            if per_slice is not None:
                per_slice(t, k, ds)
            path = os.path.join(folder, f"MR{n:05d}.dcm")
            _save(ds, path, signal[:, :, k].T)
            paths.append(path)
    return paths


# ---- vendor series for the dcm2niix tests: private tags with their private creators ------------------------


def add_private(ds, group, creator, element, vr, value):
    """Add a private element ``(group, xxEE)`` under ``creator`` (the block is reserved if needed).

    Examples
    --------
    >>> import pydicom
    >>> ds = pydicom.Dataset()
    >>> add_private(ds, 0x2005, "Philips MR Imaging DD 001", 0x0E, "FL", 0.5)
    >>> ds[0x2005, 0x0010].value, ds[0x2005, 0x100E].value
    ('Philips MR Imaging DD 001', 0.5)
    """
    block = ds.private_block(group, creator, create=True)
    block.add_new(element, vr, value)


def _mr_dataset(sop_class, sop, series, study, series_number, description, manufacturer, extra):
    ds = _base_dataset(sop_class, sop, "MR", series, study, series_number, description)
    ds.Manufacturer = manufacturer
    ds.MagneticFieldStrength = 3
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    for keyword, value in (extra or {}).items():
        setattr(ds, keyword, value)
    return ds


def write_philips_dwi(folder, shape=(16, 12, 4), bvals=(0, 1000, 1000, 1000, 1000), vecs=None, *, enhanced=False,
                      series_number=5, trace=(), trace_image_type=None, extra=None, seed=0):
    """Write a Philips diffusion series, classic (one file a slice) or enhanced (one multi-frame file).

    Each volume ``t`` has b-value ``bvals[t]`` and gradient ``vecs[t]`` in
    Philips' private (2001,1003) and (2005,10B0-B2) and in the standard
    diffusion attributes; volumes listed in ``trace`` are the scanner's
    isotropic (trace) image: DiffusionDirectionality ISOTROPIC, vector 0 0 0,
    and ImageType ``trace_image_type`` in classic files when given (e.g.
    DERIVED, which dcm2niix never stacks with original images).
    Returns the file paths.

    Examples
    --------
    >>> import tempfile
    >>> len(write_philips_dwi(tempfile.mkdtemp(), shape=(4, 4, 2), bvals=(0, 1000)))
    4
    """
    import pydicom
    from pydicom.dataset import Dataset
    from pydicom.uid import EnhancedMRImageStorage, MRImageStorage

    os.makedirs(folder, exist_ok=True)
    nx, ny, nz = shape
    nt = len(bvals)
    rng = np.random.default_rng(seed)
    if vecs is None:
        vecs = [(0.0, 0.0, 0.0) if b == 0 else tuple(np.round(rng.normal(size=3) / 1.8, 4)) for b in bvals]
    vecs = [np.asarray(v, float) / (np.linalg.norm(v) or 1.0) for v in vecs]
    study, series = _uid(folder, "study", seed), _uid(folder, "dwi", series_number, seed)
    pixels = rng.integers(0, 3000, size=(nt, nz, ny, nx)).astype(np.uint16)
    spacing = (2.0, 2.0, 2.5)
    x0, y0 = -(nx - 1) * spacing[0] / 2, -(ny - 1) * spacing[1] / 2
    common = {"ImageType": ["ORIGINAL", "PRIMARY", "DIFFUSION", "NONE"], "ScanningSequence": "SE",
              "SequenceVariant": "SK", "MRAcquisitionType": "2D", "RepetitionTime": 4000.0, "EchoTime": 70.0,
              "FlipAngle": 90, "ImagingFrequency": 127.7748, "EchoTrainLength": 55,
              "InPlanePhaseEncodingDirection": "COL", "PixelSpacing": [spacing[1], spacing[0]],
              "SliceThickness": spacing[2], "SpacingBetweenSlices": spacing[2], "AcquisitionTime": "101010.00",
              "SoftwareVersions": ["5.7.1", "5.7.1.2"], **(extra or {})}

    def philips_private(item, b, v, isotropic):
        add_private(item, 0x2001, "Philips Imaging DD 001", 0x03, "FL", float(b))
        add_private(item, 0x2001, "Philips Imaging DD 001", 0x04, "CS", "I" if isotropic else ("O" if b else "0"))
        add_private(item, 0x2001, "Philips Imaging DD 001", 0x13, "SL", 55)
        add_private(item, 0x2001, "Philips Imaging DD 001", 0x22, "FL", 13.96)
        for k, element in enumerate((0xB0, 0xB1, 0xB2)):
            add_private(item, 0x2005, "Philips MR Imaging DD 001", element, "FL", 0.0 if isotropic else float(v[k]))
        add_private(item, 0x2005, "Philips MR Imaging DD 001", 0x0E, "FL", 0.25)

    def position(k):
        return [round(x0, 4), round(y0, 4), round(k * spacing[2], 4)]

    paths = []
    if not enhanced:
        for t in range(nt):
            isotropic = t in trace
            for k in range(nz):
                n = t * nz + k
                ds = _mr_dataset(MRImageStorage, _uid(series, n), series, study, series_number, "DWI",
                                 "Philips Medical Systems", common)
                ds.InstanceNumber = n + 1
                ds.ImagePositionPatient = position(k)
                ds.RescaleSlope, ds.RescaleIntercept = 2.0, 0.0
                ds.DiffusionBValue = float(bvals[t])
                ds.DiffusionGradientOrientation = [0.0, 0.0, 0.0] if isotropic else [float(x) for x in vecs[t]]
                ds.DiffusionDirectionality = "ISOTROPIC" if isotropic else ("DIRECTIONAL" if bvals[t] else "NONE")
                philips_private(ds, bvals[t], vecs[t], isotropic)
                if isotropic and trace_image_type:
                    ds.ImageType = list(trace_image_type)
                path = os.path.join(folder, f"IM_{n + 1:04d}")
                _save(ds, path, pixels[t, k])
                paths.append(path)
        return paths
    ds = _mr_dataset(EnhancedMRImageStorage, _uid(series, "enh"), series, study, series_number, "DWI",
                     "Philips Medical Systems", {k: v for k, v in common.items()
                                                 if k not in ("PixelSpacing", "SliceThickness", "SpacingBetweenSlices")})
    ds.InstanceNumber = 1
    ds.NumberOfFrames = nt * nz
    ds.ContentQualification, ds.ImageType = "PRODUCT", ["ORIGINAL", "PRIMARY", "DIFFUSION", "NONE"]
    shared = Dataset()
    measures, orient = Dataset(), Dataset()
    measures.PixelSpacing, measures.SliceThickness = [spacing[1], spacing[0]], spacing[2]
    measures.SpacingBetweenSlices = spacing[2]
    orient.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    shared.PixelMeasuresSequence, shared.PlaneOrientationSequence = [measures], [orient]
    ds.SharedFunctionalGroupsSequence = [shared]
    frames = []
    for t in range(nt):
        isotropic = t in trace
        for k in range(nz):
            item, content, plane, transform, diff = Dataset(), Dataset(), Dataset(), Dataset(), Dataset()
            content.DimensionIndexValues = [1, k + 1, t + 1]
            content.InStackPositionNumber, content.StackID, content.TemporalPositionIndex = k + 1, "1", 1
            plane.ImagePositionPatient = position(k)
            transform.RescaleSlope, transform.RescaleIntercept, transform.RescaleType = 2.0, 0.0, "normalized"
            diff.DiffusionBValue = float(bvals[t])
            diff.DiffusionDirectionality = "ISOTROPIC" if isotropic else ("DIRECTIONAL" if bvals[t] else "NONE")
            if bvals[t] and not isotropic:
                direction = Dataset()
                direction.DiffusionGradientOrientation = [float(x) for x in vecs[t]]
                diff.DiffusionGradientDirectionSequence = [direction]
            classic = Dataset()
            classic.InstanceNumber = t * nz + k + 1
            philips_private(classic, bvals[t], vecs[t], isotropic)
            item.FrameContentSequence, item.PlanePositionSequence = [content], [plane]
            item.PixelValueTransformationSequence, item.MRDiffusionSequence = [transform], [diff]
            item.add_new((0x2005, 0x0010), "LO", "Philips MR Imaging DD 001")
            item.add_new((0x2005, 0x140F), "SQ", pydicom.Sequence([classic]))
            frames.append(item)
    ds.PerFrameFunctionalGroupsSequence = frames
    ds.Rows, ds.Columns = ny, nx
    ds.PixelData = pixels.reshape(nt * nz, ny, nx).tobytes()
    path = os.path.join(folder, "IM_0001")
    ds.save_as(path, enforce_file_format=True)
    return [path]


def write_philips_enhanced(folder, shape=(12, 10, 3), echoes=(4.0, 8.0), components=("MAGNITUDE", "PHASE"), *,
                           series_number=7, seed=0):
    """Write a Philips enhanced (multi-frame) gradient-echo series: every echo x component x slice a frame.

    Frames carry their echo time (MR Echo), complex component (MR Image
    Frame Type), position, scaling (with Philips' private scale slope) and
    Philips' per-frame classic header (2005,140F) with its echo number.
    Returns the file path.

    Examples
    --------
    >>> import tempfile
    >>> path = write_philips_enhanced(tempfile.mkdtemp(), shape=(4, 4, 2), echoes=(5.0,), components=("MAGNITUDE",))
    >>> import pydicom; int(pydicom.dcmread(path).NumberOfFrames)
    2
    """
    import pydicom
    from pydicom.dataset import Dataset
    from pydicom.uid import EnhancedMRImageStorage

    os.makedirs(folder, exist_ok=True)
    nx, ny, nz = shape
    rng = np.random.default_rng(seed)
    study, series = _uid(folder, "study", seed), _uid(folder, "enh", series_number, seed)
    ds = _mr_dataset(EnhancedMRImageStorage, _uid(series, "file"), series, study, series_number, "FFE multi-echo",
                     "Philips Medical Systems", {"ImageType": ["ORIGINAL", "PRIMARY", "MIXED", "NONE"],
                                                 "ScanningSequence": "GR", "SequenceVariant": "SP",
                                                 "MRAcquisitionType": "2D", "RepetitionTime": 30.0,
                                                 "FlipAngle": 15, "ImagingFrequency": 127.7748,
                                                 "InPlanePhaseEncodingDirection": "ROW",
                                                 "AcquisitionTime": "101010.00", "SoftwareVersions": "5.7.1"})
    ds.InstanceNumber = 1
    shared, measures, orient = Dataset(), Dataset(), Dataset()
    measures.PixelSpacing, measures.SliceThickness, measures.SpacingBetweenSlices = [1.5, 1.5], 3.0, 3.0
    orient.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    shared.PixelMeasuresSequence, shared.PlaneOrientationSequence = [measures], [orient]
    ds.SharedFunctionalGroupsSequence = [shared]
    frames, pixels = [], []
    for e, te in enumerate(echoes):
        for c, component in enumerate(components):
            for k in range(nz):
                item, content, plane, transform, echo, kind = (Dataset() for _ in range(6))
                content.DimensionIndexValues = [1, k + 1, e + 1, c + 1]
                content.InStackPositionNumber, content.StackID = k + 1, "1"
                plane.ImagePositionPatient = [-(nx - 1) * 0.75, -(ny - 1) * 0.75, k * 3.0]
                phase = component == "PHASE"
                transform.RescaleSlope, transform.RescaleIntercept = (0.00153, -3.14159) if phase else (1.5, 0.0)
                echo.EffectiveEchoTime = te
                kind.FrameType = ["ORIGINAL", "PRIMARY", component[0] if component != "MAGNITUDE" else "M", "NONE"]
                kind.ComplexImageComponent = component
                classic = Dataset()
                classic.EchoNumbers, classic.EchoTime = e + 1, te
                add_private(classic, 0x2005, "Philips MR Imaging DD 001", 0x0E, "FL", 0.01 if phase else 0.25)
                item.FrameContentSequence, item.PlanePositionSequence = [content], [plane]
                item.PixelValueTransformationSequence, item.MREchoSequence = [transform], [echo]
                item.MRImageFrameTypeSequence = [kind]
                item.add_new((0x2005, 0x0010), "LO", "Philips MR Imaging DD 001")
                item.add_new((0x2005, 0x140F), "SQ", pydicom.Sequence([classic]))
                frames.append(item)
                pixels.append(rng.integers(0, 4000, size=(ny, nx)).astype(np.uint16))
    ds.PerFrameFunctionalGroupsSequence = frames
    ds.NumberOfFrames = len(frames)
    ds.Rows, ds.Columns = ny, nx
    ds.PixelData = np.stack(pixels).tobytes()
    path = os.path.join(folder, "IM_0001")
    ds.save_as(path, enforce_file_format=True)
    return path
