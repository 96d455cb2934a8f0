"""Enhanced (multi-frame) DICOM: the attributes of each frame from its functional groups.

A frame's attribute is looked up first in its Per-frame Functional Groups item,
then in the Shared Functional Groups, then at the top level of the dataset
(Philips also repeats a classic header per frame in private (2005,140F)).
"""
from __future__ import annotations

# functional group sequence -> attributes it holds
_GROUPS = {
    "PlanePositionSequence": ("ImagePositionPatient",),
    "PlaneOrientationSequence": ("ImageOrientationPatient",),
    "PixelMeasuresSequence": ("PixelSpacing", "SliceThickness", "SpacingBetweenSlices"),
    "PixelValueTransformationSequence": ("RescaleSlope", "RescaleIntercept"),
    "MREchoSequence": ("EffectiveEchoTime",),
    "MRImageFrameTypeSequence": ("FrameType", "ComplexImageComponent"),
    "CTImageFrameTypeSequence": ("FrameType",),
    "FrameContentSequence": (
        "DimensionIndexValues", "TemporalPositionIndex", "InStackPositionNumber", "StackID",
        "FrameAcquisitionDateTime", "FrameReferenceDateTime",
    ),
    "MRDiffusionSequence": ("DiffusionBValue",),
    "CardiacSynchronizationSequence": ("NominalCardiacTriggerDelayTime",),
}
_PHILIPS_PER_FRAME = (0x2005, 0x140F)
_PHILIPS_PRIVATE = {"philips_scale_slope": (0x2005, 0x100E), "philips_image_type": (0x2005, 0x1011)}
_PHILIPS_CLASSIC = ("EchoNumbers", "EchoTime", "ImageType", "InstanceNumber", "TemporalPositionIdentifier")


def is_enhanced(header):
    """True when the header carries per-frame functional groups."""
    return bool(header.frames())


def _first(items):
    return items[0] if items else None


def frames(header):
    """One dict a frame: the attributes in ``_GROUPS`` plus Philips' per-frame classic header."""
    shared = _first(header.items("SharedFunctionalGroupsSequence"))
    out = []
    for item in header.frames():
        attrs = {}
        for group, keywords in _GROUPS.items():
            sub = _first(item.items(group))
            if sub is None and shared is not None:
                sub = _first(shared.items(group))
            if sub is None:
                continue
            for keyword in keywords:
                value = sub.get(keyword)
                if value is not None:
                    attrs[keyword] = value
        classic = _first(item.items(_PHILIPS_PER_FRAME)) if item.vr(_PHILIPS_PER_FRAME) == "SQ" else None
        if classic is not None:
            for keyword in _PHILIPS_CLASSIC:
                if keyword in classic:
                    attrs.setdefault("philips_" + keyword, classic.get(keyword))
            for name, tag in _PHILIPS_PRIVATE.items():
                if tag in classic:
                    attrs[name] = classic.get(tag)
        out.append(attrs)
    return out
