"""``medfast convert SRC... -o OUT [--to nii.gz|nii|nrrd|nhdr|mnc] [-f TEMPLATE] [-j N] [--scheduler ADDRESS]
[--report FILE.html] [--json] [--dry-run]``: the command line of the bulk engine (``bulk.run``).

Every user error is one line on stderr and an exit status of
``medfast.exitcodes`` (dcm2niix's numbers): 0 all done, 2 nothing
convertible found, 5 a source missing, 6 the output folder cannot be used
(another run holds it), 7 it cannot be written (permissions, read-only, disk
full), 8 some converted and some failed, 12 a bad option, 130/143 stopped by
Ctrl-C/SIGTERM (temporaries removed; the same command resumes). The closing
line (converted, skipped, failed, time) goes to stderr, with or without ``--json``.
"""
from __future__ import annotations

import argparse
import os
import sys

from .. import exitcodes

PROG = "medfast convert"


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own exit status is 2, dcm2niix's for a bad option 12
        print(f"{PROG}: {message} (see '{PROG} -h')", file=sys.stderr)
        raise SystemExit(exitcodes.INVALID_PARAM)


def _jobs(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"-j {text}: not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"-j {text}: must be 1 or more")
    return value


def _parser():
    from .images import TARGETS

    p = _Parser(
        prog=PROG, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="exit status: 0 all done, 2 nothing convertible found, 5 a source missing, 6 another run holds the "
               "output folder,\n7 the output cannot be written (permissions, read-only, disk full), 8 some failed, "
               "12 a bad option,\n130/143 stopped by Ctrl-C/SIGTERM (run the same command again to finish)",
        description="Convert DICOM and any image medfast reads (NIfTI, Analyze, NRRD, MINC, PAR/REC), in folders,\n"
                    "files, zip and tar archives, to NIfTI, NRRD or MINC2; DICOM series get dcm2niix's names,\n"
                    "other files their own stem. Re-running finishes an interrupted run.")
    p.add_argument("sources", nargs="+", help="folders, files, zip or tar archives")
    p.add_argument("-o", "--out", required=True, help="output folder")
    p.add_argument("--to", default="nii.gz", choices=list(TARGETS), help="output format (default nii.gz)")
    p.add_argument("-f", "--template", default="%p_%s", help="dcm2niix -f name template (default %%p_%%s)")
    p.add_argument("-j", "--jobs", type=_jobs, default=2, help="series converted at once (default 2)")
    p.add_argument("--scheduler", help="dask.distributed scheduler address, e.g. tcp://host:8786")
    p.add_argument("--report", help="write an HTML report with a thumbnail of every series")
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.add_argument("--dry-run", action="store_true",
                   help="list the files a run would write (and what it would skip); write nothing")
    p.add_argument("--no-sidecar", action="store_true", help="do not write the BIDS JSON sidecar")
    return p


def _check_report_folder(path):
    """Refuse a ``--report`` that could not be written before converting anything."""
    import tempfile

    from .._atomic import NotWritableError, not_writable

    folder = os.path.dirname(os.path.abspath(path)) or "."
    try:
        os.makedirs(folder, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        cls = NotWritableError if not_writable(err) else OSError
        raise cls(f"--report {path}: cannot write into {folder}: {err.strerror or err}") from err


def _stopped_line(err):
    summary = getattr(err, "summary", None)
    counts = summary.counts() if summary is not None else {}
    done = counts.get("converted", 0) + counts.get("skipped", 0)
    return (f"{PROG}: stopped by {err}: {done} series done, temporary files removed; "
            "run the same command again to finish")


def _print_failures(summary):
    for failure in summary.failures if summary is not None else ():
        source, reason = failure["source"], failure["reason"]
        print(f"{PROG}: failed: {reason if reason.startswith(source) else source + ': ' + reason}", file=sys.stderr)


def main(argv=None):
    """Run ``medfast convert``; return the exit status (``medfast.exitcodes``).

    Examples
    --------
    >>> main(["/nonexistent/in", "-o", "/nonexistent/out"])
    5
    """
    import json

    from .._atomic import DiskFullError, FolderBusyError, Interrupted, NotWritableError, interruptible
    from ..errors import ConversionError, InvalidArgumentError, MedfastError
    from . import FORMATS, Options
    from .bulk import run

    try:
        args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as stop:
        return int(stop.code or 0)
    for src in args.sources:
        if not os.path.exists(src):
            print(f"{PROG}: {src}: no such file or folder", file=sys.stderr)
            return exitcodes.INPUT_INVALID
    try:
        if args.report:
            _check_report_folder(args.report)
        # DICOM series are written by write_job in one of its formats; other files in any --to format
        options = Options(template=args.template, to=args.to if args.to in FORMATS else "nrrd",
                          sidecar=not args.no_sidecar)
        with interruptible():
            summary = run(args.sources, args.out, options, jobs=args.jobs, scheduler=args.scheduler,
                          dry_run=args.dry_run, to=args.to, thumbnails=bool(args.report))
            if args.report:
                from .report import write_report

                write_report(summary, args.report)
    except Interrupted as err:
        print(_stopped_line(err), file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(err.exit_code)  # worker threads may still be inside a kernel: do not wait for them
    except InvalidArgumentError as err:
        print(f"{PROG}: {err}", file=sys.stderr)
        return exitcodes.INVALID_PARAM
    except FolderBusyError as err:
        print(f"{PROG}: {err}", file=sys.stderr)
        return exitcodes.OUTPUT_INVALID
    except (NotWritableError, DiskFullError) as err:
        _print_failures(getattr(err, "summary", None))  # the failure report so far, then why the run stopped
        print(f"{PROG}: {err}", file=sys.stderr)
        return exitcodes.OUTPUT_READ_ONLY
    except ConversionError as err:  # the output folder unusable (not a folder, cannot be created)
        print(f"{PROG}: {err}", file=sys.stderr)
        return exitcodes.OUTPUT_INVALID
    except MedfastError as err:
        print(f"{PROG}: {err}", file=sys.stderr)
        return exitcodes.ERROR
    except OSError as err:
        print(f"{PROG}: {err}", file=sys.stderr)
        return exitcodes.OUTPUT_INVALID
    if args.json:
        print(json.dumps(summary.to_dict(), indent=1))
    elif args.dry_run:
        for s in summary.series:
            mark = "  (done: a run skips it)" if s["status"] == "skipped" else ""
            for rel in s["outputs"]:
                print(os.path.join(summary.out_dir, rel) + mark)
    else:
        for path in summary:
            print(path)
    _print_failures(summary)
    print(summary.line(), file=sys.stderr)
    return summary.exit_code


if __name__ == "__main__":
    sys.exit(main())
