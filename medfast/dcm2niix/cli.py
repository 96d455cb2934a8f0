"""``medfast dcm2niix``: dcm2niix's command line, options and outputs, on medfast's engine.

Options keep dcm2niix's meaning and defaults. An option or value medfast does
not implement is refused with a message naming it (exit status 2), never
silently ignored. ``-z`` picks ``.nii.gz`` or ``.nii``; medfast compresses
with its own fast deterministic gzip whatever compressor is named.
"""
from __future__ import annotations

import os
import sys

USAGE = """usage: medfast dcm2niix [options] <in_folder>
  -b : BIDS sidecar (y/n/o(nly), default y)
  -ba : anonymize BIDS (y/n, default y)
  -d : directory search depth (0..9, default 5)
  -f : filename template (default %f_%p_%t_%s); tokens %a %b %c %d %e %f %g %i %j %k %l %m %n %o %p %q %r %s %t %u %v %x %y %z
  -h : show help
  -i : ignore derived, localizer and 2D images (y/n, default n)
  -l : losslessly scale 16-bit integers to use dynamic range (y/n/o, default o: only what dcm2niix's 'o' keeps)
  -m : merge 2D slices from same series regardless of echo, exposure, etc. (n/y/2, default 2)
  -o : output directory (default: input folder)
  -p : Philips precise float (not display) scaling (y/n, default y)
  -s : single file mode, do not convert other images in folder (y/n, default n)
  -t : text notes with private patient details (n only)
  -v : verbose (n/y or 0/1/2, default 0)
  -w : write behavior for name conflicts (0 skip, 1 overwrite, 2 add suffix; default 2)
  -x : crop 3D acquisitions (n only)
  -z : gz compress images (y/o/i/n, default n)
  --version : report version"""

# option -> accepted values (lower case); None: any value (checked where used)
_ACCEPTED = {
    "-b": {"y", "n", "o"}, "-ba": {"y", "n"}, "-d": {str(i) for i in range(10)}, "-f": None,
    "-i": {"y", "n"}, "-l": {"o", "n"}, "-m": {"n", "2"}, "-o": None, "-p": {"y"}, "-s": {"y", "n"},
    "-t": {"n"}, "-v": {"n", "y", "0", "1", "2"}, "-w": {"0", "1", "2"}, "-x": {"n"},
    "-z": {"y", "o", "i", "n"},
}
_NOT_IMPLEMENTED = {
    "-l": "-l y (rescale 16-bit data to the full range)", "-m": "-m y (merge series regardless of echo)",
    "-p": "-p n (Philips display scaling)", "-t": "-t y (private text notes)", "-x": "-x y/i (cropping)",
}


class _Refused(Exception):
    pass


def parse(argv):
    """dcm2niix's arguments -> (options dict, input path); raises on unknown or unsupported options.

    Examples
    --------
    >>> opts, src = parse(["-b", "y", "-z", "n", "-f", "%p_%s", "-o", "out", "in"])
    >>> opts["-z"], opts["-f"], opts["-o"], src
    ('n', '%p_%s', 'out', 'in')
    """
    opts = {"-b": "y", "-ba": "y", "-d": "5", "-f": "%f_%p_%t_%s", "-i": "n", "-l": "o", "-m": "2",
            "-p": "y", "-s": "n", "-t": "n", "-v": "0", "-w": "2", "-x": "n", "-z": "n"}
    args = list(argv)
    src = None
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("-") and len(arg) > 1:
            if arg not in _ACCEPTED:
                raise _Refused(f"medfast dcm2niix: option {arg} is not supported")
            if i + 1 >= len(args):
                raise _Refused(f"medfast dcm2niix: option {arg} needs a value")
            value = args[i + 1]
            allowed = _ACCEPTED[arg]
            if allowed is not None and value.lower() not in allowed:
                what = _NOT_IMPLEMENTED.get(arg, f"{arg} {value}")
                raise _Refused(f"medfast dcm2niix: option {arg} {value} is not supported ({what})")
            opts[arg] = value if allowed is None else value.lower()
            i += 2
            continue
        if src is not None:
            raise _Refused(f"medfast dcm2niix: one input folder expected, got {src!r} and {arg!r}")
        src = arg
        i += 1
    if src is None:
        raise _Refused("medfast dcm2niix: no input folder given")
    return opts, src


def main(argv=None):
    """Run ``medfast dcm2niix``; return the exit status (0 done, 2 refused or no input).

    Examples
    --------
    >>> main(["-a", "y", "in"])
    2
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    if argv[0] == "--version":
        import medfast

        print(f"medfast {medfast.__version__} (dcm2niix v1.0.20260724 compatible)")
        return 0
    try:
        opts, src = parse(argv)
    except _Refused as err:
        print(err, file=sys.stderr)
        return 2
    if not os.path.exists(src):
        print(f"medfast dcm2niix: no such file or folder: {src}", file=sys.stderr)
        return 2
    from .._atomic import output_folder
    from ..convert import Options, execute, plan
    from ..errors import MedfastError

    out_dir = opts.get("-o") or (src if os.path.isdir(src) else os.path.dirname(src) or ".")
    options = Options(
        template=opts["-f"], to="nii" if opts["-z"] == "n" else "nii.gz", sidecar=opts["-b"] in ("y", "o"),
        image=opts["-b"] != "o", anonymize=opts["-ba"] == "y", conflict=int(opts["-w"]),
        ignore_derived=opts["-i"] == "y", depth=int(opts["-d"]),
    )
    try:
        os.makedirs(out_dir, exist_ok=True)
        with output_folder(out_dir, "medfast dcm2niix"):  # one run a folder; a killed run's series finished
            jobs = plan([src], out_dir, options)
            if not jobs:
                print("No valid DICOM images were found")
                return 2
            written = execute(jobs, options)
    except MedfastError as err:
        print(f"medfast dcm2niix: {err}", file=sys.stderr)
        return 1
    verbose = opts["-v"] in ("y", "1", "2")
    for job in jobs:
        if verbose:
            print(f"Convert {len(job.volume.meta.get('frames') or ())} DICOM as {job.base}")
    print(f"Conversion required: {len(jobs)} series, {len(written)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
