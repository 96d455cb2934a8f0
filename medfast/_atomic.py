"""Outputs appear complete or not at all: one file, a group of files, one writer a folder.

- ``atomic_path(path)``: the writer writes a temporary ``.medfast-*.part``
  beside ``path``, renamed to ``path`` when complete.
- ``staged()``: inside the block ``atomic_path`` renames nothing; it records
  ``(temporary, final)`` pairs, and ``commit(pairs, folder)`` later gives them
  their final names together. ``commit`` first writes a journal naming every
  pair (``.medfast-commit-*.journal``, itself renamed into place), then
  renames, then removes the journal; ``recover(folder)`` finishes the renames
  of a journal a killed process left, and removes stray temporaries. So a
  series' files (image, sidecar, bval/bvec, resampled copies) are there
  together, or a re-run puts them there together.
- ``lock_folder(folder)``: one run at a time writes into a folder (a
  ``flock`` on the folder itself: nothing is left in it, the kernel drops it
  when the process dies).
- ``interruptible()``: SIGINT and SIGTERM become ``Interrupted`` in the main
  thread, except inside a commit, which they wait for.

Temporary names end in ``.part`` or ``.journal``, never in an output's
extension, so ``find OUT -name '*.nii.gz'`` never meets half a file.
"""
from __future__ import annotations

import contextlib
import contextvars
import errno
import json
import os
import tempfile
import threading

from .errors import ConversionError

PREFIX = ".medfast-"
PART = ".part"
JOURNAL = ".journal"
_COMMIT = PREFIX + "commit-"

# mkstemp creates files 0600; outputs get the mode an ordinary open() would give.
_UMASK = os.umask(0)
os.umask(_UMASK)

_STAGE = contextvars.ContextVar("medfast_stage", default=None)
# Taken to create a temporary or write a journal, and by stop_writing: in a stopped folder no thread starts either.
_GATE = threading.Lock()
_STOPPED = set()  # absolute paths of output folders whose run stopped
_NOT_WRITABLE = (errno.EACCES, errno.EPERM, errno.EROFS)


class FolderBusyError(ConversionError):
    """Another medfast run holds the output folder."""


class DiskFullError(ConversionError):
    """No space left on the output's file system (or the user's quota is used up)."""


class NotWritableError(ConversionError):
    """The output folder (or a file in it) cannot be written: permissions, a read-only file system."""


def not_writable(err):
    """True when an ``OSError`` means permission denied or a read-only file system."""
    return isinstance(err, OSError) and err.errno in _NOT_WRITABLE


def write_error(path, err):
    """The ``ConversionError`` subclass an ``OSError`` met writing ``path`` stands for."""
    full = isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT)
    cls = NotWritableError if not_writable(err) else DiskFullError if full else ConversionError
    return cls(f"{path}: cannot write: {err.strerror or err}")


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; rename it to ``path`` on success.

    On any exception the temporary file is removed, so ``path`` is either the
    complete new file or untouched. Disk full becomes ``ConversionError``,
    permission denied or a read-only file system ``NotWritableError``. Inside
    ``staged()`` the rename waits for ``commit``.

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
    try:
        with _GATE:
            _refuse_after_stop(path)
            fd, tmp = tempfile.mkstemp(prefix=PREFIX, suffix=PART, dir=folder)
            os.close(fd)
    except OSError as err:
        raise write_error(path, err) from err
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_UMASK)
        stage = _STAGE.get()
        if stage is not None:
            stage.append((tmp, path))
            return
        os.replace(tmp, path)
    except OSError as err:
        _remove(tmp)
        raise write_error(path, err) from err
    except BaseException:
        _remove(tmp)
        raise


@contextlib.contextmanager
def staged():
    """Collect what ``atomic_path`` writes in this block (this thread) as ``(temporary, final)`` pairs.

    The list is yielded; its files keep their temporary names until ``commit``.
    If the block raises, the temporaries written so far are removed.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with staged() as pairs:
    ...     for name in ("a.nii", "a.json"):
    ...         with atomic_path(d / name) as tmp:
    ...             _ = pathlib.Path(tmp).write_text(name)
    >>> sorted(p.name for p in d.iterdir() if not p.name.endswith(".part"))
    []
    >>> commit(pairs, d); sorted(p.name for p in d.iterdir())
    ['a.json', 'a.nii']
    """
    pairs = []
    token = _STAGE.set(pairs)
    try:
        yield pairs
    except BaseException:
        discard(pairs)
        raise
    finally:
        _STAGE.reset(token)


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived (``interruptible``); ``exit_code`` is the shell's 128 + signal number."""

    def __init__(self, signum):
        import signal

        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.exit_code = 128 + signum


_SIGNALS = {"depth": 0, "pending": None}


def _on_signal(signum, frame):
    if _SIGNALS["depth"]:
        _SIGNALS["pending"] = signum
        return
    raise Interrupted(signum)


@contextlib.contextmanager
def interruptible():
    """In this block (main thread), SIGINT and SIGTERM raise ``Interrupted``; commits finish first."""
    import signal

    old = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


@contextlib.contextmanager
def _uninterrupted():
    _SIGNALS["depth"] += 1
    try:
        yield
    finally:
        _SIGNALS["depth"] -= 1
        pending, _SIGNALS["pending"] = _SIGNALS["pending"], None
        if pending is not None and not _SIGNALS["depth"]:
            raise Interrupted(pending)
        _SIGNALS["pending"] = pending


def discard(pairs):
    """Remove the temporaries of pairs that will not be committed."""
    for tmp, _ in pairs:
        _remove(tmp)


def commit(pairs, folder, after=None):
    """Give every ``(temporary, final)`` pair its final name, as one step a re-run can finish.

    ``after()`` runs once the names are given, before a signal deferred
    meanwhile is raised (the bulk engine records the series as done there).

    The journal goes into ``folder`` (the output folder: where ``recover``
    looks). When a rename fails, the finals this commit made are removed
    again and the rest of the temporaries too, so none of the group is left.

    Raises
    ------
    ConversionError
        A rename failed (``NotWritableError`` for permissions, a read-only file system).
    """
    with _uninterrupted():
        _commit(pairs, folder)
        if after is not None:
            after()


def _commit(pairs, folder):
    if not pairs:
        return
    folder = os.path.abspath(os.fspath(folder))
    entries = [[os.path.relpath(os.path.abspath(t), folder), os.path.relpath(os.path.abspath(f), folder)]
               for t, f in pairs]
    journal = _write_journal(folder, entries)
    done = []
    try:
        for tmp, target in pairs:
            os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
            os.replace(tmp, target)
            done.append(target)
    except OSError as err:
        for path in done:  # none of the group, rather than part of it
            _remove(path)
        discard(pairs)
        _remove(journal)
        raise write_error(target, err) from err
    _remove(journal)


def _write_journal(folder, entries):
    with _GATE:  # a journal is either written before stop_writing sweeps (its temporaries kept) or not at all
        _refuse_after_stop(folder)
        fd, tmp = tempfile.mkstemp(prefix=_COMMIT, suffix=PART, dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(entries, f)
            journal = tmp[: -len(PART)] + JOURNAL
            os.replace(tmp, journal)  # complete, or not there: recover never reads half a journal
        except OSError as err:
            _remove(tmp)
            raise write_error(folder, err) from err
    return journal


def _refuse_after_stop(path):
    path = os.path.abspath(path)
    if any(path == f or path.startswith(f + os.sep) for f in _STOPPED):
        raise ConversionError(f"{path}: not written: the run is stopping")


def stop_writing(folder):
    """A run that stops early, holding ``folder``'s lock: no thread of this process starts a temporary or a
    commit under ``folder`` any more, and the temporaries there that no commit journal names are removed.

    The run's threads may still be writing (it does not wait for them); what
    a journal names stays for the re-run's ``recover`` to finish, so a
    series' outputs still appear together or not at all. ``recover`` (a new
    run taking the folder) lifts the stop.
    """
    folder = os.path.abspath(os.fspath(folder))
    with _GATE:
        _STOPPED.add(folder)
        journals, temporaries = _temporaries(folder)
        kept = {os.path.join(os.path.dirname(journal), tmp) for journal in journals for tmp, _ in _entries(journal)}
        for path in temporaries:
            if path not in kept:
                _remove(path)


def _temporaries(folder):
    """``(commit journals, .part temporaries)`` under ``folder``, in walk order, names sorted."""
    journals, temporaries = [], []
    for root, _, files in os.walk(folder):
        for name in sorted(files):
            if name.startswith(_COMMIT) and name.endswith(JOURNAL):
                journals.append(os.path.join(root, name))
            elif name.startswith(PREFIX) and name.endswith(PART):
                temporaries.append(os.path.join(root, name))
    return journals, temporaries


def _entries(journal):
    """The ``[temporary, final]`` pairs a journal names (relative to its folder); none when unreadable."""
    try:
        with open(journal, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return []


def recover(folder, sweep=True):
    """Finish the commits a killed process left under ``folder``; remove its stray temporaries.

    Returns the final paths a journal completed. With ``sweep``, every
    ``.medfast-*.part`` under ``folder`` (a write a kill cut short, never a
    final name) is removed. Call it holding ``lock_folder(folder)``.

    Examples
    --------
    >>> import tempfile
    >>> recover(tempfile.mkdtemp())
    []
    """
    folder = os.path.abspath(os.fspath(folder))
    with _GATE:
        _STOPPED.discard(folder)
    journals, strays = _temporaries(folder)
    finished = []
    for journal in journals:
        finished += _finish_journal(os.path.dirname(journal), journal)
    if sweep:
        for path in strays:  # what a journal named has its final name by now: _remove passes it by
            _remove(path)
    return finished


def _finish_journal(folder, journal):
    finished = []
    for tmp, final in _entries(journal):
        tmp, final = os.path.join(folder, tmp), os.path.join(folder, final)
        if os.path.exists(tmp):
            os.makedirs(os.path.dirname(final), exist_ok=True)
            os.replace(tmp, final)
            finished.append(final)
    _remove(journal)
    return finished


@contextlib.contextmanager
def together(folder):
    """Every file ``atomic_path`` writes in this block (this thread) gets its name when the block ends, all at once.

    The commit's journal goes into ``folder``; ``recover`` of that folder (or
    of one above it) finishes a commit a kill cut short.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with together(d):
    ...     for name in ("a.nii", "a.json"):
    ...         with atomic_path(d / name) as tmp:
    ...             _ = pathlib.Path(tmp).write_text(name)
    >>> sorted(p.name for p in d.iterdir())
    ['a.json', 'a.nii']
    """
    with staged() as pairs:
        yield pairs
    commit(pairs, folder)


@contextlib.contextmanager
def output_folder(folder, what="medfast"):
    """Hold ``folder`` for this run: ``lock_folder``, then ``recover`` what a killed run left in it.

    Raises ``FolderBusyError`` when another run holds it.
    """
    lock = lock_folder(folder, what)
    try:
        recover(folder)
        yield folder
    finally:
        lock.release()


class FolderLock:
    """An exclusive ``flock`` on a folder (``lock_folder``); ``release()`` or process death drops it."""

    def __init__(self, fd):
        self.fd = fd

    def release(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


def lock_folder(folder, what="medfast"):
    """Take the folder for this process, or raise ``FolderBusyError`` at once.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> with lock_folder(d):
    ...     try:
    ...         lock_folder(d)
    ...     except FolderBusyError as err:
    ...         print("busy")
    busy
    """
    folder = os.fspath(folder)
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        return FolderLock(None)
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as err:
        os.close(fd)
        if err.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise FolderBusyError(f"{folder}: another {what} run is writing into this folder; "
                                  "wait for it to finish, or choose another output folder") from err
        raise
    return FolderLock(fd)


def _remove(path):
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
