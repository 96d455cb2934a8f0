"""The ``medfast`` command: a thin dispatcher to one module a sub-command.

Each sub-command lives in its own module with a ``main(argv) -> int``; it is
imported only when asked for, so ``medfast`` starts without loading pydicom or
nibabel.
"""
from __future__ import annotations

import importlib
import sys

# sub-command -> (module, one-line help)
COMMANDS = {
    "convert": ("medfast.convert.cli", "convert DICOM or any readable image to NIfTI, NRRD or MINC2"),
    "dcm2niix": ("medfast.dcm2niix", "dcm2niix's options, outputs and file names, faster"),
    "info": ("medfast.info", "what a file or folder holds: series, shapes, spacing, dtype"),
    "preview": ("medfast.preview", "a PNG of a volume's middle slices in three orientations"),
    "demo": ("medfast.demo", "the main job on a study it generates: no download, no input"),
    "version": ("medfast.cli", "the version and whether the compiled kernels are in use"),
}


def _usage():
    lines = ["usage: medfast COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<10} {text}" for name, (_, text) in COMMANDS.items()]
    lines += ["", "Run 'medfast COMMAND -h' for a command's options."]
    return "\n".join(lines)


def version_main(argv):
    """Print the version and the kernel status."""
    import medfast
    from medfast import _kernels

    mode = "compiled" if _kernels.COMPILED else "NumPy reference (MEDFAST_PURE_PYTHON)" if _kernels.PURE_PYTHON else "NumPy reference (build missing!)"
    print(f"medfast {medfast.__version__}: kernels {mode}, {len(_kernels.KERNELS)} kernels")
    return 0


def main(argv=None):
    """Run the ``medfast`` command line; return the exit status.

    Examples
    --------
    >>> main(["version"])  # doctest: +ELLIPSIS
    medfast ...
    0
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage())
        return 0 if argv else 2
    if argv[0] == "--version":
        argv = ["version"]
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"medfast: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    if name == "version":
        return version_main(rest)
    module = importlib.import_module(COMMANDS[name][0])
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
