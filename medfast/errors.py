"""The exceptions medfast raises: one root, each subclass also a matching builtin.

A user catches ``MedfastError``; code that already catches ``ValueError`` or
``NotImplementedError`` keeps working.
"""
from __future__ import annotations

import contextlib
import os
import struct


class MedfastError(Exception):
    """Root of every error medfast raises on purpose."""


class InvalidFileError(MedfastError, ValueError):
    """A file is malformed: truncated, inconsistent, or out of its format's rules."""


class UnsupportedError(MedfastError, NotImplementedError):
    """A file is valid but uses something medfast does not handle."""


class InvalidArgumentError(MedfastError, ValueError):
    """A caller passed an argument that cannot be right (length, offset, value)."""


class InvalidDtypeError(MedfastError, TypeError):
    """A caller passed an array of a dtype the operation does not take."""


class ConversionError(MedfastError, RuntimeError):
    """Writing an output failed (disk full, permission): nothing partial is left."""


def file_error(path, field, value, reason, cls=InvalidFileError):
    """Build an error whose message names the file, the field and the value.

    Examples
    --------
    >>> raise file_error("a.dcm", "Rows", 0, "must be positive")
    Traceback (most recent call last):
    medfast.errors.InvalidFileError: a.dcm: Rows=0: must be positive
    """
    return cls(f"{os.fspath(path) if path is not None else '<buffer>'}: {field}={value!r}: {reason}")


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
    medfast.errors.InvalidFileError: x.nii: cannot read file: KeyError: 'dim'
    """
    try:
        yield
    except MedfastError:
        raise
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        raise
    except NotImplementedError as err:
        raise UnsupportedError(f"{os.fspath(path)}: {what} uses an unsupported feature: {err}") from err
    except Exception as err:
        if not (isinstance(err, _FOREIGN) or _from_parser(err)):
            raise
        raise InvalidFileError(
            f"{os.fspath(path)}: cannot read {what}: {type(err).__name__}: {err}"
        ) from err
