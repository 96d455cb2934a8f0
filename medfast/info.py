"""``medfast info PATH``: the series a DICOM file or folder holds (or what any other image file is)."""
from __future__ import annotations

import os
import sys

from . import exitcodes


def _axcodes(affine):
    from nibabel.orientations import aff2axcodes

    return "".join(aff2axcodes(affine))


def describe(vol):
    """One block of text for a volume: series, shape, spacing, orientation, dtype, files, warnings.

    Examples
    --------
    >>> import numpy as np
    >>> from medfast import Volume
    >>> print(describe(Volume(np.zeros((4, 5, 6), np.int16), np.diag([2.0, 2.0, 3.0, 1.0]))))
    volume: shape 4x5x6  spacing 2x2x3 mm  orientation RAS  dtype int16
    """
    meta = vol.meta
    shape = "x".join(str(n) for n in vol.shape)
    spacing = "x".join(f"{z:.4g}" for z in vol.zooms)
    head = f"shape {shape}  spacing {spacing} mm  orientation {_axcodes(vol.affine)}  dtype {vol.stored.dtype}"
    if "SeriesNumber" not in meta:
        return f"volume: {head}"
    component = "field map (Hz)" if meta.get("real_is_fieldmap_hz") else meta.get("image_component", "").lower()
    kind = [meta.get("Modality", ""), "" if component == "magnitude" else component]
    if meta.get("EchoNumber"):
        kind.append(f"echo {meta['EchoNumber']}")
    if meta.get("mosaic"):
        kind.append("mosaic")
    if meta.get("enhanced"):
        kind.append("enhanced")
    name = meta.get("SeriesDescription") or meta.get("ProtocolName") or ""
    lines = [f"series {meta['SeriesNumber']} {name!r} ({', '.join(k for k in kind if k)})",
             f"  {head}  files {meta.get('files', '?')}"]
    if meta.get("scaling", {}).get("varies"):
        lines.append("  scaling varies between slices: float32 values")
    elif vol.is_scaled:
        lines.append(f"  scaling: stored * {vol.slope:g} + {vol.inter:g}")
    lines += [f"  warning: {w}" for w in meta.get("warnings", ())]
    return "\n".join(lines)


def main(argv=None):
    """Print what PATH holds; return 0, or an exit status of ``medfast.exitcodes`` (2: nothing readable).

    Examples
    --------
    >>> import tempfile
    >>> from medfast.synth import write_ct_series
    >>> folder = tempfile.mkdtemp()
    >>> _ = write_ct_series(folder, shape=(16, 16, 4))
    >>> main([folder])  # doctest: +ELLIPSIS
    series 2 'CT head phantom' (CT)
      shape 16x16x4  spacing 0.9x0.9x1.25 mm  orientation LAS  dtype int16  files 4
      scaling: stored * 1 + -1024
    1 series from 4 DICOM files (0 other files skipped)
    0
    """
    from .cli import CommandParser, existing_paths, failure

    parser = CommandParser(prog="medfast info", description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="+", help="DICOM files or folders, or any image file medfast reads")
    parser.add_argument("-i", "--ignore-derived", action="store_true",
                        help="leave out derived images, localizers and 2-D series (dcm2niix -i y)")
    args = parser.parse_args(argv)
    existing_paths(args.path)  # a missing path ends the command: exit status 5
    from .dicom import read_dicom, walk
    from .errors import MedfastError

    dicom = [p for p in args.path if os.path.isdir(p) or walk.is_dicom(p) or os.path.basename(p).upper() == "DICOMDIR"]
    others = [p for p in args.path if p not in dicom]
    status = exitcodes.OK
    if dicom:
        vols = read_dicom(dicom, ignore_derived=args.ignore_derived, pixels=False)
        for vol in vols:
            print(describe(vol))
        files = len({path for v in vols for path, _ in v.meta["frames"]})
        skipped = vols[0].meta["non_dicom_files"] if vols else walk.dicom_files(dicom)[1]
        duplicates = vols[0].meta.get("duplicate_files", 0) if vols else 0
        again = f", {duplicates} duplicate images read once" if duplicates else ""
        print(f"{len(vols)} series from {files} DICOM files ({skipped} other files skipped{again})")
        if not vols:
            print(f"medfast info: {', '.join(dicom)}: no DICOM image series found", file=sys.stderr)
            status = exitcodes.NO_VALID_FILES
    for path in others:  # each file on its own: one bad file does not hide the others
        try:
            from . import formats

            print(f"{path}: {describe(formats.read(path))}")
        except (MedfastError, OSError) as err:
            text, code = failure(err)
            print(f"medfast info: {text}", file=sys.stderr)
            status = status or code
    return status
