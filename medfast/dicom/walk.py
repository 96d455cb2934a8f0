"""Which files to read: walk folders, follow a DICOMDIR, tell DICOM from everything else."""
from __future__ import annotations

import os

_DIRECTORY_SOP_CLASS = "1.2.840.10008.1.3.10"


def is_dicom(path):
    """True when the file carries the DICOM Part 10 preamble ('DICM' at byte 128)."""
    try:
        with open(path, "rb") as f:
            head = f.read(132)
    except OSError:
        return False
    return len(head) == 132 and head[128:132] == b"DICM"


def _dicomdir_files(path):
    """The image files a DICOMDIR references, resolved against its folder."""
    import pydicom

    from ..errors import reading
    from .._io import BoundedFile

    with reading(path, "DICOMDIR"), BoundedFile(path) as f:
        ds = pydicom.dcmread(f)
        root = os.path.dirname(os.path.abspath(path))
        out = []
        for record in ds.get("DirectoryRecordSequence") or ():
            file_id = record.get("ReferencedFileID")
            if file_id:
                parts = [file_id] if isinstance(file_id, str) else list(file_id)
                out.append(os.path.join(root, *parts))
    return out


def _is_dicomdir(path):
    if os.path.basename(path).upper() == "DICOMDIR":
        return True
    return False


def dicom_files(path_or_paths):
    """``(files, skipped)``: the DICOM files under the given files and folders, and how many were not DICOM.

    Folders are walked recursively in sorted order; a DICOMDIR found while
    walking is skipped (the files it lists are found by the walk); a DICOMDIR
    given by name is followed to the files it references.

    Examples
    --------
    >>> dicom_files([])
    ([], 0)
    """
    if isinstance(path_or_paths, (str, bytes, os.PathLike)):
        path_or_paths = [path_or_paths]
    files, skipped = [], 0
    for given in path_or_paths:
        given = os.fspath(given)
        if os.path.isdir(given):
            candidates = []
            for folder, dirs, names in os.walk(given):
                dirs.sort()
                candidates += [os.path.join(folder, n) for n in sorted(names)]
            for path in candidates:
                if _is_dicomdir(path):
                    continue
                if is_dicom(path):
                    files.append(path)
                else:
                    skipped += 1
        elif _is_dicomdir(given):
            found = _dicomdir_files(given)
            files += [p for p in found if is_dicom(p)]
            skipped += sum(not is_dicom(p) for p in found)
        elif os.path.exists(given):
            if is_dicom(given):
                files.append(given)
            else:
                skipped += 1
        else:
            raise FileNotFoundError(given)
    return files, skipped
