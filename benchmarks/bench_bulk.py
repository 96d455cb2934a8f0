"""Bulk conversion of an archive: ``medfast convert`` against ``dcm2niix`` run folder by folder.

The archive is generated once from the shared corpus (``corpus_archive``):
every image file of nine corpora (GE, Siemens classic, mosaic and XA
enhanced, Philips classic and enhanced) copied 8 times, each copy a study of
its own (new UIDs): 21,448 files, 1.6 GB (``MEDFAST_BENCH_BULK_COPIES``
takes fewer copies). Without the corpus, or with
``MEDFAST_BENCH_BULK=phantom``, it is ``medfast.synth`` series with noise on
the pixels: 24 CT series of 256 x 256 x 200 and 12 4-D MR series of
64 x 64 x 30 x 40, 19,200 files. Each round is a fresh process into an
emptied folder: ``medfast convert ARCHIVE -o OUT -j 2`` against
``dcm2niix -d 0 -b y -f %p_%s_%j`` once per folder, the way people script it.

Groups: ``bulk-niigz`` (target: medfast 4x faster, output no more than 1.05x
dcm2niix's size), ``bulk-nii`` (target: 2x), ``bulk-scan`` (the engine's
header scan on 2 threads against pydicom's ``dcmread(stop_before_pixels)``;
target 600,000 files a minute). ``extra_info`` holds output sizes, the peak
memory of the main process and of the busiest worker (each checked against
twice the largest folder plus 300 MB) and the scan rate. Both tools must
write the same image names and voxels. With ``--benchmark-disable`` the
archive is one copy of two small corpora (or 2 CT and 2 MR small phantoms)
and each command runs once.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import medfast
from medfast.synth import write_ct_series, write_mr_series
from anchors import dcm2niix_binary

# the medfast this process imports (installed, or the source tree), for the subprocesses too
PACKAGE_ROOT = str(Path(medfast.__file__).resolve().parents[1])
# ``medfast convert`` (its ``main``), then the process's own peak resident memory (VmHWM: the rusage of a child
# counts the parent's pages it was forked with); the workers' peak comes in the --json summary
_LAUNCH = ("import sys; from medfast.convert.cli import main; code = main(sys.argv[1:]); "
           "sys.stderr.write(open('/proc/self/status').read()); sys.exit(code)")
MEDFAST = [sys.executable, "-c", _LAUNCH]
TOOLS = ("dcm2niix", "medfast")
TEMPLATE = "%p_%s_%j"  # the series UID in the name: the copies of a series do not take each other's names
CORPUS = os.environ.get("MEDFAST_CORPUS", "")
SMALL_CORPORA = ("dcm_qa_enh", "dcm_qa_mosaic")


@pytest.fixture(scope="session")
def archive(small, tmp_path_factory):
    """``(root, folders holding files, bytes of the largest folder)``."""
    root = tmp_path_factory.mktemp("bench_bulk")
    if os.path.isdir(CORPUS) and os.environ.get("MEDFAST_BENCH_BULK") != "phantom":
        copies = 1 if small else int(os.environ.get("MEDFAST_BENCH_BULK_COPIES", 8))
        folders = corpus_archive(root, CORPUS, copies, SMALL_CORPORA if small else ARCHIVE_CORPORA)
    else:
        folders = _phantom_archive(root, small)
    largest = max(sum(f.stat().st_size for f in Path(d).iterdir() if f.is_file()) for d in folders)
    return str(root), folders, largest


def _phantom_archive(root, small):
    n_ct, ct, n_mr, mr = (2, (64, 64, 20), 2, (16, 16, 6, 4)) if small else (24, (256, 256, 200), 12, (64, 64, 30, 40))
    folders = []
    rng = np.random.default_rng(0)
    for i in range(n_ct):
        _add_noise(write_ct_series(root / f"ct{i:02d}", shape=ct, series_number=100 + i, seed=i), 12, rng)
        folders.append(str(root / f"ct{i:02d}"))
    for i in range(n_mr):
        _add_noise(write_mr_series(root / f"mr{i:02d}", shape=mr, series_number=200 + i, seed=i), 8, rng)
        folders.append(str(root / f"mr{i:02d}"))
    return folders


# the corpus folders a generated archive copies: GE, Siemens (classic, mosaic, XA enhanced), Philips (classic, enhanced)
ARCHIVE_CORPORA = ("dcm_qa_nih", "dcm_qa_polar", "dcm_qa_philips_dwi", "dcm_qa_fmap", "dcm_qa_xa60", "dcm_qa",
                   "dcm_qa_mosaic", "dcm_qa_xa30", "dcm_qa_enh")
# the UIDs that make a copy another study: file meta's SOP instance, SOP instance, study, series, frame of reference
_COPY_UIDS = (0x00020003, 0x00080018, 0x0020000D, 0x0020000E, 0x00200052)


def corpus_archive(root, corpus, copies, corpora=ARCHIVE_CORPORA):
    """Copy every DICOM file of ``corpora`` ``copies`` times under ``root``, each copy a study of its own.

    A copy's UIDs (``_COPY_UIDS``) have their digits shifted by a key of the
    copy (same length, so nothing else in the file moves); a file the scanner
    cannot index, or without pixels, is left out. Returns the folders that
    hold files (what dcm2niix is run on, one at a time, ``-d 0``).
    """
    from medfast.dicom.scan import read_header

    folders = set()
    root = Path(root)
    for name in corpora:
        top = Path(corpus) / name / "In"
        for path in sorted(p for p in top.rglob("*") if p.is_file()):
            data = path.read_bytes()
            spans = _uid_spans(path, data, read_header)
            if spans is None:
                continue
            for copy in range(copies):
                out = bytearray(data)
                key = [(copy * 7 + 3 * i + 1) % 10 for i in range(64)]
                for offset, length in spans:
                    value = out[offset:offset + length]
                    out[offset:offset + length] = bytes(48 + (c - 48 + key[i % 64]) % 10 if 48 <= c <= 57 else c
                                                        for i, c in enumerate(value))
                target = root / f"copy{copy}" / name / path.relative_to(top)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(out)
                folders.add(str(target.parent))
    return sorted(folders)


def _uid_spans(path, data, read_header):
    """(offset, length) of the values of ``_COPY_UIDS`` in a Part 10 file; None when the scanner cannot index it."""
    import numpy as np

    from medfast import _kernels

    if data[128:132] != b"DICM":
        return None
    table, stop = np.zeros((256, 7), np.int64), np.zeros(5, np.int64)
    if _kernels.index_elements(data, 132, True, False, True, table, stop) != 2:  # the meta group, to its end
        return None
    spans = [(int(r[2]), int(r[3])) for r in table[:int(stop[4])] if r[0] in _COPY_UIDS and r[4] == -1]
    try:
        found = read_header(path)
    except Exception:  # noqa: BLE001 - a file the scanner leaves to pydicom is left out of the archive
        return None
    if found.used_fallback or found.pixel_offset < 0:  # not indexed, or no image (a DICOMDIR)
        return None
    rows = np.frombuffer(found.header.file.rows, np.int64).reshape(-1, 7)
    return spans + [(int(r[2]), int(r[3])) for r in rows if r[0] in _COPY_UIDS and r[4] == -1]


def _add_noise(files, sigma, rng):
    """Scanner noise on the phantom's flat regions, in place: without it both gzip codecs see
    runs of equal values and the output sizes and speeds say nothing about real scans."""
    from medfast.dicom.scan import scan

    for path in files:
        header = scan(path, ("Rows",))
        with open(path, "r+b") as f:
            f.seek(header.pixel_offset)
            pixels = np.frombuffer(f.read(header.pixel_length), "<u2")
            noisy = pixels + rng.normal(0, sigma, pixels.size)
            f.seek(header.pixel_offset)
            f.write(np.clip(np.round(noisy), 0, 4095).astype("<u2").tobytes())


def _run(tool, to, archive, out, peaks):
    root, folders, _ = archive
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    if tool == "medfast":
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([PACKAGE_ROOT, os.environ.get("PYTHONPATH", "")]))
        done = subprocess.run([*MEDFAST, root, "-o", out, "--to", to, "-f", TEMPLATE, "-j", "2", "--json"],
                              cwd=os.path.dirname(out), capture_output=True, env=env, text=True)
        assert done.returncode == 0, done.stderr
        summary = json.loads(done.stdout)
        assert summary["failed"] == 0, summary["failures"]
        peaks.append((int(done.stderr.split("VmHWM:")[-1].split()[0]) * 1024, summary["peak_rss_bytes"]))
        return
    for folder in folders:
        subprocess.run([dcm2niix_binary(), "-d", "0", "-z", "y" if to == "nii.gz" else "n", "-b", "y", "-f", TEMPLATE,
                        "-o", out, folder], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _images(out):
    return sorted(f for f in os.listdir(out) if f.endswith((".nii", ".nii.gz")))


def _check(tool, to, archive, out, tmp_path, small):
    """Same image names and voxels as dcm2niix; the size ratio and peak memory into ``extra_info``."""
    import nibabel as nib

    ref = str(tmp_path / "ref")
    _run("dcm2niix", to, archive, ref, [])
    assert _images(out) == _images(ref)
    for name in _images(ref)[:: max(1, len(_images(ref)) // 6)]:
        a, b = nib.load(os.path.join(ref, name)), nib.load(os.path.join(out, name))
        np.testing.assert_array_equal(np.asanyarray(b.dataobj), np.asanyarray(a.dataobj))
        np.testing.assert_allclose(b.affine, a.affine, atol=1e-4)
    size = sum(os.path.getsize(os.path.join(out, f)) for f in _images(out))
    return size / sum(os.path.getsize(os.path.join(ref, f)) for f in _images(ref))


@pytest.mark.parametrize("to", ["nii.gz", "nii"])
@pytest.mark.parametrize("tool", TOOLS)
def test_bulk_convert(benchmark, archive, tool, to, tmp_path, small):
    benchmark.group = "bulk-" + to.replace(".", "")
    out, peaks = str(tmp_path / "out"), []
    rounds = 1 if small else 2
    benchmark.pedantic(_run, args=(tool, to, archive, out, peaks), rounds=rounds, iterations=1)
    ratio = _check(tool, to, archive, out, tmp_path, small)
    benchmark.extra_info["size_vs_dcm2niix"] = round(ratio, 4)
    if to == "nii.gz" and not small:
        assert ratio <= 1.05
    if tool == "medfast":
        largest = archive[2]
        main, worker = max(p[0] for p in peaks), max(p[1] for p in peaks)
        benchmark.extra_info["peak_rss_main_mb"] = round(main / 1e6, 1)
        benchmark.extra_info["peak_rss_worker_mb"] = round(worker / 1e6, 1)
        benchmark.extra_info["largest_folder_mb"] = round(largest / 1e6, 1)
        assert main < 2 * largest + 300e6 and worker < 2 * largest + 300e6


def _scan_medfast(files):
    from medfast.convert.bulk import _scan_chunk

    chunks = [files[i:i + 256] for i in range(0, len(files), 256)]
    with ThreadPoolExecutor(2) as pool:
        return sum(len(c) for c in pool.map(_scan_chunk, chunks))


def _scan_pydicom(files):
    import pydicom

    def one(f):
        return pydicom.dcmread(f.path, stop_before_pixels=True).SeriesInstanceUID

    with ThreadPoolExecutor(2) as pool:
        return len(list(pool.map(one, files)))


@pytest.mark.parametrize("tool", ["medfast", "pydicom"])
def test_bulk_scan(benchmark, archive, tool):
    from medfast.convert.sources import walk

    benchmark.group = "bulk-scan"
    files = [f for folder in archive[1] for batch in walk(folder) for f in batch]
    scan = _scan_medfast if tool == "medfast" else _scan_pydicom
    assert benchmark(scan, files) == len(files)
    if benchmark.stats is not None:
        benchmark.extra_info["files_per_minute"] = int(len(files) * 60 / benchmark.stats.stats.mean)
