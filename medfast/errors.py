"""The exceptions medfast raises: one root, each subclass also a matching builtin.

A user catches ``MedfastError``; code that already catches ``ValueError`` or
``NotImplementedError`` keeps working.
"""
from __future__ import annotations

import contextlib
import os
import struct

from . import exitcodes

# Each class carries the exit status (medfast/exitcodes.py) that the command line
# gives when an error of that class ends a command.


class MedfastError(Exception):
    """Root of every error medfast raises on purpose."""

    exit_status = exitcodes.ERROR


class InvalidFileError(MedfastError, ValueError):
    """A file is malformed: truncated, inconsistent, or out of its format's rules."""

    exit_status = exitcodes.CORRUPT_FILE


class UnsupportedError(MedfastError, NotImplementedError):
    """A file is valid but uses something medfast does not handle."""

    exit_status = exitcodes.NO_VALID_FILES


class InvalidArgumentError(MedfastError, ValueError):
    """A caller passed an argument that cannot be right (length, offset, value)."""

    exit_status = exitcodes.INVALID_PARAM


class InvalidDtypeError(MedfastError, TypeError):
    """A caller passed an array of a dtype the operation does not take."""

    exit_status = exitcodes.INVALID_PARAM


class NoImageError(MedfastError, ValueError):
    """A path holds nothing medfast can read as an image (an empty folder, no series)."""

    exit_status = exitcodes.NO_VALID_FILES


class ConversionError(MedfastError, RuntimeError):
    """Writing an output failed (disk full, permission): nothing partial is left."""

    exit_status = exitcodes.OUTPUT_READ_ONLY


class OutputFolderError(ConversionError):
    """The output folder does not exist (or is not a folder)."""

    exit_status = exitcodes.OUTPUT_INVALID


def show(value):
    """A value as an error message shows it: no Python quotes, ``b''`` or ``np.float64(...)``.

    Text as it is, bytes as text when printable (in double quotes) else as hex,
    tuples (shapes, Rows x Columns) joined by `` x ``, NumPy scalars as numbers.

    Examples
    --------
    >>> show(b"hello"), show(b"\\x89PNG"), show("1.2.3"), show((384, 384)), show([1.5, 2])
    ('"hello"', '89 50 4e 47', '1.2.3', '384 x 384', '[1.5, 2]')
    """
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        if raw and all(32 <= b < 127 for b in raw):
            return '"' + raw.decode("ascii") + '"'
        return " ".join(f"{b:02x}" for b in raw) or "empty"
    if isinstance(value, str):
        return value
    if isinstance(value, tuple):
        return " x ".join(show(v) for v in value)
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    item = getattr(value, "item", None)  # NumPy scalars and 0-d arrays
    if item is not None and getattr(value, "ndim", 1) == 0:
        value = item()
    return str(value)


def file_error(path, field, value, reason, cls=InvalidFileError):
    """Build an error whose message names the file, the field and the value (``None``: no value).

    Examples
    --------
    >>> raise file_error("a.dcm", "Rows", 0, "must be positive")
    Traceback (most recent call last):
    medfast.errors.InvalidFileError: a.dcm: Rows=0: must be positive
    >>> print(file_error("a.dcm", "BitsStored", None, "missing"))
    a.dcm: BitsStored: missing
    """
    where = os.fspath(path) if path is not None else "<buffer>"
    named = field if value is None else f"{field}={show(value)}"
    return cls(f"{where}: {named}: {reason}")


def _reason(err):
    """The text of a foreign exception, without Python quoting, and its class name."""
    if isinstance(err, OSError) and err.strerror:
        text = err.strerror
    elif isinstance(err, KeyError) and err.args:
        text = f"no {show(err.args[0])}"
    else:
        text = str(err)
    return f"{text} ({type(err).__name__})" if text else type(err).__name__


# What third-party parsers raise on a broken file; each becomes InvalidFileError.
_FOREIGN = (
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    OverflowError,
    EOFError,
    OSError,
    UnicodeDecodeError,
    MemoryError,
    AssertionError,
    struct.error,
    RuntimeError,  # h5py's low-level API on a corrupt B-tree or chunk index
)

# Parsers whose own exception classes (pydicom's InvalidDicomError, nibabel's
# HeaderDataError, h5py's, pynrrd's NRRDError ...) mean "this file is broken".
_PARSERS = ("pydicom", "nibabel", "h5py", "nrrd", "isal", "igzip_lib", "gzip", "bz2", "zlib", "scipy.io")


def _from_parser(err):
    module = type(err).__module__ or ""
    return module.split(".")[0] in _PARSERS or module in _PARSERS


@contextlib.contextmanager
def reading(path, what="file"):
    """Turn what pydicom, nibabel or h5py raise on a broken file into ``InvalidFileError``.

    ``MedfastError`` passes through unchanged; ``FileNotFoundError`` and
    ``PermissionError`` stay what they are (they are not about the file's content).
    The original exception is chained.

    Examples
    --------
    >>> with reading("x.nii"):
    ...     raise KeyError("dim")
    Traceback (most recent call last):
    medfast.errors.InvalidFileError: x.nii: cannot read file: no dim (KeyError)
    """
    try:
        yield
    except MedfastError:
        raise
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        raise
    except NotImplementedError as err:
        raise UnsupportedError(f"{os.fspath(path)}: {what} uses an unsupported feature: {_reason(err)}") from err
    except Exception as err:
        if not (isinstance(err, _FOREIGN) or _from_parser(err)):
            raise
        raise InvalidFileError(f"{os.fspath(path)}: cannot read {what}: {_reason(err)}") from err
