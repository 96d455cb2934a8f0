"""The record of a bulk conversion in its output folder: what was converted, from what, into what.

``OUT/.medfast.manifest.jsonl`` holds one JSON object a line, appended and
flushed as the run goes:

- ``{"status": "renaming", "key", "series", "bases", "outputs"}`` before a
  series' files take their final names (so a re-run after a kill, or after
  the series gained or lost files, knows those names are the series' own and
  not a conflict);
- ``{"status": "done", "key", "series", "sources", "bases", "outputs": [[path, size], ...]}``
  once they all have.

``key`` identifies a series by its source files (name, size, mtime) and the
options that shape the output, ``series`` by its SeriesInstanceUID: a re-run skips a key whose outputs are all on
disk with their recorded sizes. A line cut short by a kill is dropped.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os

from .._atomic import NotWritableError, lock_folder, not_writable, write_error

NAME = ".medfast.manifest.jsonl"


def series_key(files, options):
    """Hex digest identifying a series: its ``File`` records (sorted) and the output options."""
    digest = hashlib.sha256()
    digest.update(repr(sorted(options.items())).encode())
    for f in sorted(files):
        digest.update(f"\0{f.name}\0{f.size}\0{f.mtime_ns}".encode())
    return digest.hexdigest()[:32]


class Manifest:
    """Append-only manifest of one output folder.

    Examples
    --------
    >>> import tempfile
    >>> m = Manifest(tempfile.mkdtemp())
    >>> m.done("k") is None
    True
    >>> m.close()
    """

    def __init__(self, out_dir, lock=True, append=None):
        self.out_dir = os.path.abspath(out_dir)
        self.path = os.path.join(self.out_dir, NAME)
        self.records = {}
        self.owner = {}  # absolute output path -> the series (SeriesInstanceUID) whose record names it last
        self._file = self._lock = None
        if lock:  # one run at a time in a folder
            self._lock = lock_folder(self.out_dir, "medfast convert")
        if lock if append is None else append:
            try:
                self._file = open(self.path, "a+b")
            except OSError as err:
                if self._lock is not None:
                    self._lock.release()
                if not_writable(err):
                    raise NotWritableError(f"{self.out_dir}: cannot write into the output folder: {err.strerror}") from err
                raise
        self._load()

    def _load(self):
        if self._file is None:
            try:
                with open(self.path, "rb") as f:
                    data = f.read()
            except FileNotFoundError:
                return
        else:
            self._file.seek(0)
            data = self._file.read()
        end = data.rfind(b"\n") + 1
        if end < len(data) and self._file is not None:  # a line cut by a kill: drop it, appends start clean
            self._file.truncate(end)
        for line in data[:end].splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            self._remember(record)

    def _remember(self, record):
        self.records[record["key"]] = record
        for p in record.get("outputs", ()):
            self.owner[self._abs(p if isinstance(p, str) else p[0])] = record.get("series")

    def _abs(self, rel):
        return os.path.join(self.out_dir, rel)

    def done(self, key):
        """The ``done`` record of ``key`` when every output is on disk with its size; else None."""
        record = self.records.get(key)
        if record is None or record.get("status") != "done":
            return None
        for rel, size in record["outputs"]:
            try:
                if os.path.getsize(self._abs(rel)) != size:
                    return None
            except OSError:
                return None
        return record

    def append(self, record):
        """Write one record (in the kernel's hands before returning: it survives a killed process)."""
        try:
            self._file.write(json.dumps(record, sort_keys=True).encode() + b"\n")
            self._file.flush()  # no fsync: the outputs themselves are not synced either
        except OSError as err:  # disk full: drop what the buffer held, the line is cut
            raise write_error(self.path, err) from err
        self._remember(record)

    def close(self):
        """Close the manifest and release the folder."""
        if self._file is not None:
            with contextlib.suppress(OSError):  # disk full: the buffered line is lost, as a kill would lose it
                self._file.close()
            self._file = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None
