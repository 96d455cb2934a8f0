"""Gather every public DICOM file this machine can reach into folders a user would convert.

Sources (nothing else is fetched; the rordenlab dcm_qa corpora stay out):

- ``pydicom``: the test files shipped inside the installed pydicom package;
- ``pydicomdata``: the files of the installed ``pydicom-data`` package;
- ``nibabel``: nibabel's DICOM test data (``nibabel/nicom/tests/data``, ``nibabel/tests/data``);
- ``heudiconv``, ``deiddata``, ``dicognito``: the DICOM test data inside those sdists,
  taken with ``pip download --no-deps --no-binary :all: NAME==VERSION`` (pinned below);
- ``synth``: what ``medfast.synth`` writes (CT, shuffled CT, 4-D MR, two series in one folder).

Two kinds of folder are kept as exported, whole: pydicom's ``dicomdirtests``
(a DICOMDIR and several patients' series) and each ``medfast.synth`` folder.

Within one folder of a source, files of one SeriesInstanceUID with distinct
SOPInstanceUIDs become one series folder; every other file (a lone image, or
the same image in several transfer syntaxes) gets a folder of its own.
Identical files (same bytes) are kept once. Writes ``DEST/<source>/<folder>/``
and ``DEST/inventory.json`` (folder -> source paths).

Usage::

    python tests/oracle_survey/gather.py /work/scratch/NAME/survey-data
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections import defaultdict
from pathlib import Path

# sdists whose source tree carries DICOM test data: (name, version, member path prefix inside the sdist)
SDISTS = (
    ("heudiconv", "1.5.1", "heudiconv-1.5.1/heudiconv/tests/data/"),
    ("deid-data", "0.0.20", "deid-data-0.0.20/deid_data/data/"),
    ("dicognito", "0.19.0", "dicognito-0.19.0/tests/orig_data/"),
)
SKIP_SUFFIXES = (".py", ".pyc", ".json", ".txt", ".md", ".dump", ".icc", ".nii", ".nii.gz", ".bin", ".bin.gz")


def _slug(text, limit=48):
    return re.sub(r"[^A-Za-z0-9]+", "_", str(text)).strip("_")[:limit] or "x"


def _header(path):
    """(SeriesInstanceUID, SOPInstanceUID, place in the series) of a DICOM file, else None."""
    import pydicom

    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)
        # force=True parses any bytes: a DICOM object names its class or modality
        if "SOPClassUID" not in ds and "Modality" not in ds and "MediaStorageSOPClassUID" not in ds.file_meta:
            return None
        place = tuple(str(ds.get(k, "")) for k in ("InstanceNumber", "ImagePositionPatient", "AcquisitionNumber",
                                                   "EchoNumbers", "TemporalPositionIdentifier"))
        return str(ds.get("SeriesInstanceUID", "")), str(ds.get("SOPInstanceUID", "")), place
    except Exception:  # noqa: BLE001 - anything pydicom cannot parse is not a DICOM file here
        return None


def _unpacked(path, staging):
    """The file itself, or what a .gz / .zip holds (unpacked under ``staging``)."""
    if path.name.endswith(".gz") and not path.name.endswith(SKIP_SUFFIXES):
        out = staging / path.name[:-3]
        out.write_bytes(gzip.decompress(path.read_bytes()))
        return [out]
    if path.suffix == ".zip":
        out = staging / path.stem
        with zipfile.ZipFile(path) as z:
            z.extractall(out)
        return sorted(p for p in out.rglob("*") if p.is_file())
    return [path]


def arrange(source, roots, dest, seen, inventory, staging):
    """Copy the DICOM files below ``roots`` into ``dest/source/<folder>``; skip files already ``seen``."""
    by_dir = defaultdict(list)
    for root in roots:
        for path in sorted(Path(root).rglob("*")):
            if path.is_file() and not path.name.endswith(SKIP_SUFFIXES) and "__pycache__" not in path.parts:
                for f in _unpacked(path, staging):
                    by_dir[f.parent].append(f)
    for folder, files in by_dir.items():
        groups = defaultdict(list)
        for f in files:
            digest = hashlib.sha1(f.read_bytes()).hexdigest()
            head = _header(f)
            if head is None or digest in seen:
                continue
            seen.add(digest)
            groups[head[0] or f"single:{f}"].append((f, head[1:]))
        for series, members in groups.items():
            # one image in several transfer syntaxes shares a series but not a place in it
            sops, places = [h[0] for _, h in members], [h[1] for _, h in members]
            together = len(members) > 1 and len(set(sops)) == len(sops) == len(set(places))
            batches = [members] if together else [[m] for m in members]
            for batch in batches:
                first = batch[0][0]
                name = _slug(f"{folder.name}_{len(batch)}files" if together else first.name.split(".dcm")[0])
                target = dest / source / f"{_slug(source)}__{name}"
                n = 1
                while target.exists():
                    n += 1
                    target = dest / source / f"{_slug(source)}__{name}_{n}"
                target.mkdir(parents=True)
                for f, _ in batch:
                    shutil.copy2(f, target / f.name)  # the file's own name: DICOMDIR stays DICOMDIR
                inventory[str(target.relative_to(dest))] = [str(f) for f, _ in batch]


def copy_whole(source, root, dest, inventory):
    """A folder as exported (several series, a DICOMDIR): converted as it is, one folder."""
    target = dest / source / f"{_slug(source)}__{_slug(Path(root).name)}_whole"
    shutil.copytree(root, target, ignore=shutil.ignore_patterns("*.json", "*.dump", "README*"))
    inventory[str(target.relative_to(dest))] = [str(p) for p in sorted(Path(root).rglob("*")) if p.is_file()]


def sdist_roots(cache):
    """Download (once) and unpack the pinned sdists; their data folders."""
    roots = {}
    for name, version, prefix in SDISTS:
        archive = next(cache.glob(f"{name.replace('-', '[-_]')}-{version}.tar.gz"), None)
        if archive is None:
            subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                            f"{name}=={version}", "-d", str(cache)], check=True)
            archive = next(cache.glob(f"{name.replace('-', '[-_]')}-{version}.tar.gz"))
        out = cache / "unpacked"
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers() if m.name.startswith(prefix) and m.isfile()]
            tar.extractall(out, members=members, filter="data")
        roots[name.replace("-", "")] = [out / prefix]
    return roots


def synth_roots(staging):
    """medfast.synth series: CT, CT with shuffled names, 4-D MR, and CT + MR in one folder."""
    from medfast import synth

    base = staging / "synth"
    synth.write_ct_series(base / "ct", shape=(64, 64, 20))
    synth.write_ct_series(base / "ct_shuffled", shape=(48, 40, 12), spacing=(0.7, 0.8, 2.0), shuffle_names=True)
    synth.write_mr_series(base / "mr4d", shape=(32, 32, 10, 6))
    synth.write_ct_series(base / "ct_and_mr", shape=(32, 32, 8), series_number=5)
    synth.write_mr_series(base / "ct_and_mr", shape=(16, 16, 6, 3), series_number=6)
    return base


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dest", type=Path, help="folder to fill (emptied first)")
    parser.add_argument("--cache", type=Path, help="where sdists are downloaded (default DEST/../sdists)")
    ns = parser.parse_args(argv)
    import nibabel
    import pydicom

    dest = ns.dest.resolve()
    shutil.rmtree(dest, ignore_errors=True)
    staging = dest.parent / (dest.name + "-staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    cache = (ns.cache or dest.parent / "sdists").resolve()
    cache.mkdir(parents=True, exist_ok=True)

    sources = {"pydicom": [Path(pydicom.__file__).parent / "data" / d for d in ("test_files", "charset_files")]}
    try:
        import data_store  # the pydicom-data package

        sources["pydicomdata"] = [Path(data_store.__file__).parent / "data"]
    except ImportError:
        print("pydicom-data is not installed: skipped", file=sys.stderr)
    nib = Path(nibabel.__file__).parent
    sources["nibabel"] = [nib / "nicom" / "tests" / "data", nib / "tests" / "data"]
    sources.update(sdist_roots(cache))

    seen, inventory = set(), {}
    for source, roots in sources.items():
        unpack = staging / f"unpack-{source}"
        unpack.mkdir(exist_ok=True)
        arrange(source, roots, dest, seen, inventory, unpack)
    # folders converted as exported: several series and a DICOMDIR, or two series side by side
    copy_whole("pydicom", Path(pydicom.__file__).parent / "data" / "test_files" / "dicomdirtests", dest, inventory)
    for folder in sorted(synth_roots(staging).iterdir()):
        copy_whole("synth", folder, dest, inventory)
    (dest / "inventory.json").write_text(json.dumps(inventory, indent=1))
    per_source = defaultdict(lambda: [0, 0])
    for folder, files in inventory.items():
        per_source[folder.split("/")[0]][0] += 1
        per_source[folder.split("/")[0]][1] += len(files)
    for source, (folders, files) in per_source.items():
        print(f"{source:<12} {folders:>4} folders {files:>5} files")
    print(f"{'TOTAL':<12} {len(inventory):>4} folders {sum(len(v) for v in inventory.values()):>5} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
