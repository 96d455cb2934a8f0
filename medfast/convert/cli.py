"""``medfast convert SRC... -o OUT [--to nii.gz|nii|nrrd|mnc] [-f TEMPLATE] [-j N]``."""
from __future__ import annotations

import argparse
import sys


def _parser():
    p = argparse.ArgumentParser(prog="medfast convert",
                                description="Convert DICOM series to NIfTI, NRRD or MINC2 with dcm2niix's names.")
    p.add_argument("sources", nargs="+", help="DICOM files or folders")
    p.add_argument("-o", "--out", required=True, help="output folder")
    p.add_argument("--to", default="nii.gz", choices=["nii.gz", "nii", "nrrd", "mnc"], help="output format")
    p.add_argument("-f", "--template", default="%p_%s", help="dcm2niix -f name template (default %%p_%%s)")
    p.add_argument("-j", "--jobs", type=int, default=1, help="series written at once")
    p.add_argument("--no-sidecar", action="store_true", help="do not write the BIDS JSON sidecar")
    p.add_argument("--scheduler", help="Dask scheduler address (not implemented yet: refused)")
    return p


def main(argv=None):
    """Run ``medfast convert``; return the exit status.

    Examples
    --------
    >>> main(["in", "-o", "out", "--scheduler", "tcp://host:8786"])
    2
    """
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.scheduler:
        print("medfast convert: --scheduler is not implemented yet", file=sys.stderr)
        return 2
    from . import convert
    from ..errors import MedfastError

    try:
        written = convert(args.sources, args.out, to=args.to, template=args.template,
                          sidecar=not args.no_sidecar, jobs=max(1, args.jobs))
    except MedfastError as err:
        print(f"medfast convert: {err}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0 if written else 1


if __name__ == "__main__":
    sys.exit(main())
