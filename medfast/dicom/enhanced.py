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


def is_enhanced(ds):
    """True when the dataset carries per-frame functional groups."""
    return "PerFrameFunctionalGroupsSequence" in ds


def _item(seq_holder, keyword):
    seq = seq_holder.get(keyword) if seq_holder is not None else None
    return seq[0] if seq else None


def frames(ds):
    """One dict a frame: the attributes in ``_GROUPS`` plus Philips' per-frame classic header."""
    shared = _item(ds, "SharedFunctionalGroupsSequence")
    per_frame = ds.PerFrameFunctionalGroupsSequence
    out = []
    for item in per_frame:
        attrs = {}
        for group, keywords in _GROUPS.items():
            sub = _item(item, group)
            if sub is None:
                sub = _item(shared, group)
            if sub is None:
                continue
            for keyword in keywords:
                value = sub.get(keyword)
                if value is not None:
                    attrs[keyword] = value
        philips = item.get(_PHILIPS_PER_FRAME)
        if philips is not None and philips.value:
            classic = philips.value[0]
            for keyword in ("EchoNumbers", "EchoTime", "ImageType", "InstanceNumber", "TemporalPositionIdentifier"):
                if keyword in classic:
                    attrs.setdefault("philips_" + keyword, classic.get(keyword))
            for name, tag in _PHILIPS_PRIVATE.items():
                elem = classic.get(tag)
                if elem is not None:
                    attrs[name] = elem.value
        out.append(attrs)
    return out
