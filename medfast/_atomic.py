"""Write a file under a temporary name in its folder, rename it into place when complete."""
from __future__ import annotations

import contextlib
import os
import tempfile

from .errors import ConversionError

# mkstemp creates files 0600; outputs get the mode an ordinary open() would give.
_UMASK = os.umask(0)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; rename it to ``path`` on success.

    On any exception the temporary file is removed, so ``path`` is either the
    complete new file or untouched. Disk full becomes ``ConversionError``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp(), "a.txt")
    >>> with atomic_path(out) as tmp:
    ...     _ = pathlib.Path(tmp).write_text("done")
    >>> out.read_text()
    'done'
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".medfast-", suffix=".part", dir=folder)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except OSError as err:
        _remove(tmp)
        raise ConversionError(f"{path}: cannot write: {err}") from err
    except BaseException:
        _remove(tmp)
        raise


def _remove(tmp):
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
