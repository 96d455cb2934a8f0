"""What a bulk conversion reads: folders, single files, zip and tar archives, walked safely.

``units(sources, work_dir)`` yields the input one folder at a time, in a
deterministic order, so the engine can close a series when the walk has moved
past its folder. Folders are walked with symlinks followed but each real
folder visited once (no symlink loops). Archives are extracted member by
member into a private folder under ``work_dir``: names that are absolute or
climb out with ``..``, links, devices, too many members or too many
decompressed bytes make the archive fail as a whole (zip-slip, zip bombs).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tarfile
import zipfile
from typing import NamedTuple

from ..errors import InvalidArgumentError, InvalidFileError

#: Bounds on one archive (zip-bomb guard); ``Limits`` overrides them.
MAX_MEMBERS = 1_000_000
MAX_BYTES = 1 << 40  # 1 TiB decompressed
_COPY_CHUNK = 1 << 20
_SKIP_NAMES = frozenset({"DICOMDIR"})  # dcm2niix walks the files it lists anyway


class Limits(NamedTuple):
    """How much one archive may hold once decompressed."""

    members: int = MAX_MEMBERS
    bytes: int = MAX_BYTES


class File(NamedTuple):
    """One input file: ``path`` to read, ``name`` to show (``archive.zip!member`` for members),
    ``rel`` its path inside its source (a folder's relative path, a member's name), which outputs mirror."""

    path: str
    name: str
    size: int
    mtime_ns: int
    rel: str = ""


class Unit(NamedTuple):
    """The files of one folder; ``parent`` is what dcm2niix's ``%f`` gives for its source."""

    source: int
    parent: str
    files: list
    error: str | None = None


def is_archive(path):
    """True for a zip or tar file (any compression tarfile reads), whatever its extension."""
    if not os.path.isfile(path):
        return False
    if zipfile.is_zipfile(path):
        return True
    try:
        return tarfile.is_tarfile(path)
    except (OSError, tarfile.TarError):
        return False


def units(sources, work_dir, limits=Limits(), exclude=()):
    """Yield ``Unit`` records: one per folder holding files, in sorted walk order.

    Parameters
    ----------
    sources : list of paths
        Folders, files, zip or tar archives.
    work_dir : path
        Private folder where archives are extracted (removed by the caller);
        outside the output folder, whose files must never be temporaries with
        an output's extension.
    exclude : list of paths
        Folders never walked (the output folder, when it lies inside a source).
    limits : Limits
        Bounds on each archive's members and decompressed bytes.

    Raises
    ------
    InvalidArgumentError
        A source does not exist (checked before anything is yielded).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = tempfile.mkdtemp(); _ = pathlib.Path(d, "a.dcm").write_bytes(b"x")
    >>> [(u.parent, [f.name.rsplit("/", 1)[1] for f in u.files]) for u in units([d], d)][0][1]
    ['a.dcm']
    """
    sources = [os.fspath(s) for s in sources]
    for s in sources:
        if not os.path.exists(s):
            raise InvalidArgumentError(f"{s}: no such file or folder")
    for index, src in enumerate(sources):
        src = os.path.abspath(src)
        if os.path.isdir(src):
            parent = os.path.basename(src.rstrip(os.sep))
            for files in walk(src, exclude):
                yield Unit(index, parent, [f._replace(rel=os.path.relpath(f.path, src)) for f in files])
        elif is_archive(src):
            parent = _stem(os.path.basename(src))
            target = os.path.join(work_dir, "x-" + hashlib.sha1(src.encode()).hexdigest()[:16])
            try:
                names = extract(src, target, limits)
            except InvalidFileError as err:
                yield Unit(index, parent, [], str(err))
                continue
            for files in walk(target):
                yield Unit(index, parent, [f._replace(name=src + "!" + names[f.path], rel=names[f.path]) for f in files])
        else:
            yield Unit(index, os.path.basename(os.path.dirname(src)), [_file(src)._replace(rel=os.path.basename(src))])


def _stem(name):
    for ext in (".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".zip", ".tar"):
        if name.lower().endswith(ext):
            return name[: -len(ext)]
    return name


def _file(path, st=None):
    st = st or os.stat(path)
    return File(path, path, st.st_size, st.st_mtime_ns)


def walk(root, exclude=()):
    """Lists of ``File`` one folder at a time, folders and names sorted; each real folder once."""
    seen = set()
    for path in exclude:
        try:
            st = os.stat(path)
            seen.add((st.st_dev, st.st_ino))
        except OSError:
            pass
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            st = os.stat(folder)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in seen:
            continue  # a symlink loop, or a second link to a folder already walked
        seen.add((st.st_dev, st.st_ino))
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        files, dirs = [], []
        for entry in entries:
            try:
                if entry.is_dir():
                    dirs.append(entry.path)
                elif entry.is_file() and entry.name not in _SKIP_NAMES and not entry.name.startswith(".medfast"):
                    files.append(_file(entry.path, entry.stat()))
            except OSError:
                continue  # a dangling link
        if files:
            yield files
        stack.extend(reversed(dirs))


def _safe_member(name, kind, link=None):
    """The member's relative path, or InvalidFileError when it would land outside the target."""
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or (parts and parts[0].endswith(":")) or ".." in parts:
        raise InvalidFileError(f"member {name!r}: an absolute path or '..' would write outside the extraction folder")
    if link is not None:
        raise InvalidFileError(f"member {name!r}: {kind} to {link!r} refused (links may point outside)")
    if any(ord(c) < 32 for c in name):
        raise InvalidFileError(f"member {name!r}: control characters in the name")
    return "/".join(p for p in parts if p not in ("", "."))


def extract(archive, target, limits=Limits()):
    """Extract a zip or tar archive into ``target``; return {extracted path: member name}.

    Raises ``InvalidFileError`` naming the archive for an unsafe member, more
    than ``limits.members`` members or ``limits.bytes`` decompressed bytes; what
    was extracted so far is removed.
    """
    shutil.rmtree(target, ignore_errors=True)
    os.makedirs(target)
    try:
        if zipfile.is_zipfile(archive):
            return _extract_zip(archive, target, limits)
        return _extract_tar(archive, target, limits)
    except InvalidFileError as err:
        shutil.rmtree(target, ignore_errors=True)
        raise InvalidFileError(f"{archive}: {err}") from err
    except (OSError, EOFError, zipfile.BadZipFile, tarfile.TarError, RuntimeError) as err:
        shutil.rmtree(target, ignore_errors=True)
        raise InvalidFileError(f"{archive}: cannot extract: {type(err).__name__}: {err}") from err


class _Budget:
    def __init__(self, limits):
        self.limits, self.members, self.bytes = limits, 0, 0

    def member(self):
        self.members += 1
        if self.members > self.limits.members:
            raise InvalidFileError(f"more than {self.limits.members} members (archive bomb?)")

    def copy(self, src, path, mtime):
        """Copy a member's stream to ``path``, counting the bytes actually decompressed."""
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as out:
            while True:
                chunk = src.read(_COPY_CHUNK)
                if not chunk:
                    break
                self.bytes += len(chunk)
                if self.bytes > self.limits.bytes:
                    raise InvalidFileError(f"more than {self.limits.bytes} bytes decompressed (archive bomb?)")
                out.write(chunk)
        os.utime(path, (mtime, mtime))  # stable identity for the manifest across re-extractions


def _extract_zip(archive, target, limits):
    import time

    budget, names = _Budget(limits), {}
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            budget.member()
            if stat.S_ISLNK(info.external_attr >> 16):
                _safe_member(info.filename, "symlink", "(its data)")
            rel = _safe_member(info.filename, None)
            if info.is_dir() or not rel:
                continue
            path = os.path.join(target, rel)
            mtime = time.mktime(info.date_time + (0, 0, -1))
            with zf.open(info) as src:
                budget.copy(src, path, mtime)
            names[path] = info.filename
    return names


def _extract_tar(archive, target, limits):
    budget, names = _Budget(limits), {}
    with tarfile.open(archive) as tf:
        for info in tf:
            budget.member()
            if info.issym() or info.islnk():
                _safe_member(info.name, "symlink" if info.issym() else "hard link", info.linkname)
            rel = _safe_member(info.name, None)
            if info.isdir() or not rel:
                continue
            if not info.isfile():
                raise InvalidFileError(f"member {info.name!r}: a device or fifo")
            path = os.path.join(target, rel)
            budget.copy(tf.extractfile(info), path, info.mtime)
            names[path] = info.name
    return names
