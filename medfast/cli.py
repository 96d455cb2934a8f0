"""The ``medfast`` command: a thin dispatcher to one module a sub-command.

Each sub-command lives in its own module with a ``main(argv) -> int``; it is
imported only when asked for, so ``medfast`` starts without loading pydicom or
nibabel. Whatever a sub-command lets escape, this module turns into one line on
stderr and the exit status of ``medfast.exitcodes`` (the README's table): a
``MedfastError`` gives its class's status, a missing input path 5, Ctrl-C 130.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from . import exitcodes

# sub-command -> (module, one-line help)
COMMANDS = {
    "convert": ("medfast.convert.cli", "convert DICOM or any readable image to NIfTI, NRRD or MINC2"),
    "dcm2niix": ("medfast.dcm2niix", "dcm2niix's options, outputs and file names, faster"),
    "info": ("medfast.info", "what a file or folder holds: series, shapes, spacing, dtype"),
    "preview": ("medfast.preview", "a PNG of a volume's middle slices in three orientations"),
    "bench": ("medfast.bench", "time medfast against pydicom, nibabel, pynrrd, dcm2niix on your files"),
    "demo": ("medfast.demo", "the main job on a study it generates: no download, no input"),
    "version": ("medfast.cli", "the version and whether the compiled kernels are in use"),
}


def _usage():
    lines = ["usage: medfast COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<10} {text}" for name, (_, text) in COMMANDS.items()]
    lines += ["", "Run 'medfast COMMAND -h' for a command's options."]
    return "\n".join(lines)


class CommandParser(argparse.ArgumentParser):
    """An ``argparse`` parser whose errors are one line and exit ``INVALID_PARAM`` (12), as in every command.

    Examples
    --------
    >>> p = CommandParser(prog="medfast x")
    >>> _ = p.add_argument("--n", type=positive_int)
    >>> p.parse_args(["--n", "-5"])
    Traceback (most recent call last):
    SystemExit: 12
    """

    def error(self, message):
        self.exit(exitcodes.INVALID_PARAM, f"{self.prog}: {message} (see '{self.prog} -h')\n")


def positive_int(text):
    """An ``argparse`` type: a whole number above zero, or a one-line reason.

    Examples
    --------
    >>> positive_int("3")
    3
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {text}")
    return value


def existing_paths(paths):
    """Raise ``FileNotFoundError`` for the first of ``paths`` that does not exist (exit status 5)."""
    for path in paths:
        if not os.path.exists(path):
            raise FileNotFoundError(2, "no such file or folder", os.fspath(path))


def failure(err):
    """The one line and the exit status for an exception that ends a command.

    Examples
    --------
    >>> failure(FileNotFoundError(2, "No such file or directory", "/no/such"))
    ('/no/such: no such file or folder', 5)
    >>> failure(FileNotFoundError("/no/such"))
    ('/no/such: no such file or folder', 5)
    >>> from medfast.errors import file_error
    >>> failure(file_error("x.dcm", "Rows", 0, "must be positive"))
    ('x.dcm: Rows=0: must be positive', 4)
    """
    from .errors import MedfastError

    # FileNotFoundError(path), as some code raises it, has the path in args, not in filename
    name = err.filename if getattr(err, "filename", None) is not None else (
        err.args[0] if isinstance(err, OSError) and len(err.args) == 1 else None)
    if isinstance(err, MedfastError):
        text, status = str(err), err.exit_status
    elif isinstance(err, (FileNotFoundError, NotADirectoryError)) and name is not None:
        text, status = f"{name}: no such file or folder", exitcodes.INPUT_INVALID
    elif isinstance(err, OSError) and name is not None:
        text = f"{name}: {(err.strerror or 'cannot be read').lower()}"
        status = exitcodes.INPUT_INVALID if isinstance(err, PermissionError) else exitcodes.ERROR
    else:
        text, status = f"{err} ({type(err).__name__})", exitcodes.ERROR
    return " ".join(text.split()), status  # one line, whatever a parser's message held


def version_main(argv):
    """Print the version and the kernel status (and, without a build, why and what to type)."""
    import warnings

    import medfast

    with warnings.catch_warnings(record=True) as caught:  # said once, in the line below
        warnings.simplefilter("always")
        from medfast import _kernels
    if _kernels.COMPILED:
        mode = "compiled"
    elif _kernels.PURE_PYTHON:
        mode = "NumPy reference (MEDFAST_PURE_PYTHON)"
    else:
        mode = "NumPy reference (not compiled)"
    print(f"medfast {medfast.__version__}: kernels {mode}, {len(_kernels.KERNELS)} kernels")
    for warning in caught:  # why there is no build, and what to type
        print(warning.message, file=sys.stderr)
    return exitcodes.OK


def main(argv=None):
    """Run the ``medfast`` command line; return the exit status (``medfast.exitcodes``).

    Examples
    --------
    >>> main(["version"])  # doctest: +ELLIPSIS
    medfast ...
    0
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    if "numpy" not in sys.modules:  # a fresh process: the command line, not a caller of main()
        # OpenBLAS starts a thread a core as NumPy loads (~80 ms of start-up on 2 busy cores); medfast's
        # matrices are 4 x 4, and its parallel work is its own threads and processes (which inherit this)
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        # A run stopped by a signal exits at once (os._exit), so multiprocessing's resource tracker (a child
        # process, it inherits this) would print two lines about the worker pool's semaphores it then frees
        os.environ["PYTHONWARNINGS"] = ",".join(filter(None, [os.environ.get("PYTHONWARNINGS"),
                                                               "ignore::UserWarning:multiprocessing.resource_tracker"]))
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage(), file=sys.stdout if argv else sys.stderr)
        return exitcodes.OK if argv else exitcodes.INVALID_PARAM
    if argv[0] == "--version":
        argv = ["version"]
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"medfast: unknown command {name} (see 'medfast -h')", file=sys.stderr)
        return exitcodes.INVALID_PARAM
    try:
        if name == "version":
            return version_main(rest)
        module = importlib.import_module(COMMANDS[name][0])
        return int(module.main(rest) or 0)
    except KeyboardInterrupt:
        print(f"medfast {name}: interrupted", file=sys.stderr)
        return exitcodes.INTERRUPTED
    except BrokenPipeError:  # `medfast info ... | head`: the reader left, nothing to report
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (the interpreter flushes it at exit)
        return exitcodes.OK
    except Exception as err:  # noqa: BLE001 (a user sees one line; MEDFAST_TRACEBACK=1 shows the rest)
        from .errors import MedfastError

        if not isinstance(err, (MedfastError, OSError)) or os.environ.get("MEDFAST_TRACEBACK"):
            raise  # a bug: the traceback is what a report needs
        text, status = failure(err)
        print(f"medfast {name}: {text}", file=sys.stderr)
        return status


if __name__ == "__main__":
    sys.exit(main())
