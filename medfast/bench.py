"""``medfast bench PATH...``: medfast against the usual readers, on your own files.

For each DICOM series and each other image file under PATH, medfast and each
tool that does the same job run on the same files, alternately, ``--repeat``
times, with the page cache warm and (where the OS lets a program drop a file's
cached pages, ``posix_fadvise(DONTNEED)``) cold. The jobs and their anchors:

- read a DICOM series: pydicom's per-file recipe (``dcmread``, ``pixel_array``,
  rescale, ``np.stack``, float32) against ``medfast.read_dicom`` cast to float32;
- convert a DICOM series to ``.nii``: the ``dcm2niix`` command and dicom2nifti
  against medfast's converter (the same template, no sidecar);
- read NIfTI, Analyze, MINC, PAR/REC: ``nibabel.load`` + ``np.asanyarray(img.dataobj)``,
  and NRRD: ``nrrd.read``, against ``medfast.read``, cast to the anchor's dtype.

Both sides return the same dtype and the voxels are compared; the median time
gives MB/s (input bytes on disk) and the ratio (anchor time / medfast time).
A tool that is not installed is left out, and said so.
"""
from __future__ import annotations

import contextlib
import dataclasses
import glob
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

import numpy as np

from . import exitcodes

CACHE_DROP = hasattr(os, "posix_fadvise") and hasattr(os, "POSIX_FADV_DONTNEED")


@dataclasses.dataclass
class Unit:
    """One thing to read: a DICOM series (its files) or one image file of another format."""

    name: str
    kind: str  # "dicom" or a format name of medfast.formats
    files: list
    single_frames: bool = True  # DICOM: every file one 2-D frame (the per-file recipe applies)

    @property
    def nbytes(self):
        return sum(os.path.getsize(f) for f in self.files)


def drop_cache(paths):
    """Ask the OS to forget the cached pages of ``paths``; return False where it cannot be asked."""
    if not CACHE_DROP:
        return False
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    return True


def find_units(paths):
    """The DICOM series and the other image files under ``paths``, in a stable order."""
    from .dicom import read_dicom, walk
    from .formats import sniff

    dicom, others = [], []
    for path in paths:
        files = [path] if not os.path.isdir(path) else sorted(
            os.path.join(folder, name) for folder, _, names in os.walk(path) for name in names)
        for f in files:
            if walk.is_dicom(f):
                dicom.append(f)
            else:
                others.append(f)
    units = []
    if dicom:
        for vol in read_dicom(dicom, pixels=False):
            meta = vol.meta
            files = list(dict.fromkeys(p for p, _ in meta["frames"]))
            folder = os.path.basename(os.path.dirname(os.path.abspath(files[0])))  # tells apart equal series numbers
            name = (f"{folder}: series {meta.get('SeriesNumber', '?')} "
                    f"{meta.get('SeriesDescription') or meta.get('ProtocolName') or ''}")
            units.append(Unit(name.strip(), "dicom", files,
                              single_frames=len(files) == len(meta["frames"]) and not meta.get("mosaic")))
    for f in others:
        with contextlib.suppress(Exception):  # not an image medfast reads (a .json, a .img data file ...)
            kind = sniff(f)
            if not f.lower().endswith((".img", ".img.gz", ".rec", ".raw", ".raw.gz")):
                units.append(Unit(os.path.basename(f), kind, [f] + _companions(f)))
    return units


def _companions(path):
    """Data files that a header names by its own stem (Analyze .img, PAR .REC)."""
    stem, ext = os.path.splitext(path)
    pairs = {".hdr": (".img", ".img.gz"), ".par": (".rec", ".REC")}.get(ext.lower(), ())
    return [stem + e for e in pairs if os.path.exists(stem + e)]


# ---- the jobs: each side returns what the check compares ----

def _medfast_stack(unit):
    """``medfast.read_dicom`` on the series' files, cast to the recipe's float32 (and its frame list)."""
    from .dicom import read_dicom

    vol = read_dicom(unit.files)[0]
    return vol.meta["frames"], vol.array.astype(np.float32)


def _pydicom_recipe(unit):
    """The per-file recipe people write: read, decode, rescale to float32, sort by InstanceNumber, stack."""
    import pydicom

    slices = [pydicom.dcmread(f) for f in unit.files]
    slices.sort(key=lambda ds: int(ds.get("InstanceNumber") or 0))
    images = [ds.pixel_array.astype(np.float32) * float(ds.get("RescaleSlope", 1) or 1)
              + float(ds.get("RescaleIntercept", 0) or 0) for ds in slices]
    return [ds.filename for ds in slices], np.stack(images, axis=-1)


def _check_recipe(ours, recipe):
    """Compare medfast's volume (dcm2niix layout) with the recipe's stack, file by file."""
    (frames, vol_array), (order, stack) = ours, recipe
    where = {os.path.abspath(p): i for i, p in enumerate(order)}
    flat = vol_array.reshape(vol_array.shape[:2] + (-1,), order="F")
    for n, (path, _) in enumerate(frames):
        want = stack[:, :, where[os.path.abspath(path)]].T[:, ::-1]  # DICOM rows flipped, as dcm2niix writes
        if not np.array_equal(flat[:, :, n], want):
            return f"DIFFER at {os.path.basename(path)}"
    return f"equal ({stack.dtype})"


def _series_folder(unit, work):
    """A folder of links to the series' files, so that a folder-based tool converts this series only."""
    folder = os.path.join(work, "in")
    if not os.path.isdir(folder):
        os.makedirs(folder)
        for i, f in enumerate(unit.files):
            os.symlink(os.path.abspath(f), os.path.join(folder, f"{i:06d}_{os.path.basename(f)}"))
    return folder


def _fresh(work, name):
    out = os.path.join(work, name)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    return out


def _medfast_nii(unit, work):
    from .convert import Options, execute, plan

    out = _fresh(work, "medfast")
    options = Options(template="%s", to="nii", sidecar=False)
    execute(plan([_series_folder(unit, work)], out, options), options)
    return out


def dcm2niix_command():
    """The compiled dcm2niix (inside the PyPI package when installed, without its launcher), or None."""
    with contextlib.suppress(ImportError):
        import dcm2niix

        path = os.path.join(os.path.dirname(dcm2niix.__file__), "dcm2niix")
        if os.access(path, os.X_OK):
            return path
    return shutil.which("dcm2niix")


def _dcm2niix_nii(unit, work):
    import subprocess

    out = _fresh(work, "dcm2niix")
    subprocess.run([dcm2niix_command(), "-z", "n", "-b", "n", "-f", "%s", "-o", out, _series_folder(unit, work)],
                   check=True, capture_output=True)
    return out


def _dicom2nifti_nii(unit, work):
    import logging

    import dicom2nifti

    out = _fresh(work, "dicom2nifti")
    logging.disable(logging.CRITICAL)  # it logs each duplicate slice
    try:
        with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
            dicom2nifti.dicom_series_to_nifti(_series_folder(unit, work), os.path.join(out, "series.nii"),
                                              reorient_nifti=False)
    finally:
        logging.disable(logging.NOTSET)
    return out


def _check_nii(medfast_out, tool_out):
    """Compare the first NIfTI of each folder, both turned to the closest RAS orientation."""
    import nibabel as nib

    a, b = (sorted(glob.glob(os.path.join(d, "*.nii"))) for d in (medfast_out, tool_out))
    if not a or not b:
        return "no NIfTI written"
    ia, ib = (nib.as_closest_canonical(nib.load(x[0])) for x in (a, b))
    da, db = np.asanyarray(ia.dataobj), np.asanyarray(ib.dataobj)
    if da.shape != db.shape:
        return f"DIFFER: shape {da.shape} vs {db.shape}"
    if np.array_equal(da, db):
        return f"equal ({da.dtype})"
    if np.allclose(da, db, rtol=1e-5, atol=1e-5):
        return f"close ({da.dtype} vs {db.dtype}, max diff {np.max(np.abs(da - db.astype(da.dtype))):.3g})"
    return "DIFFER"


def _nibabel_read(unit):
    import nibabel as nib

    return np.asanyarray(nib.load(unit.files[0]).dataobj)


def _pynrrd_read(unit):
    import nrrd

    return nrrd.read(unit.files[0])[0]


def _medfast_read_as(dtype):
    def run(unit):
        from .formats import read

        return read(unit.files[0]).array.astype(dtype, copy=False)

    return run


def _check_arrays(ours, theirs):
    if ours.shape != theirs.shape:
        return f"DIFFER: shape {ours.shape} vs {theirs.shape}"
    return f"equal ({theirs.dtype})" if np.array_equal(ours, theirs) else "DIFFER"


def _importable(name):
    import importlib.util

    return importlib.util.find_spec(name) is not None


def jobs_for(unit):
    """[(job, tool, available, tool_run, medfast_run, check)]: each run takes (unit, work)."""
    if unit.kind == "dicom":
        recipe = ("read", "pydicom", True,
                  lambda u, w: _pydicom_recipe(u),
                  lambda u, w: _medfast_stack(u), _check_recipe)
        medfast_nii = _medfast_nii
        return ([recipe] if unit.single_frames else []) + [
            ("to .nii", "dcm2niix", dcm2niix_command() is not None, _dcm2niix_nii, medfast_nii, _check_nii),
            ("to .nii", "dicom2nifti", _importable("dicom2nifti"), _dicom2nifti_nii, medfast_nii, _check_nii),
        ]
    if unit.kind == "nrrd":
        return [("read", "pynrrd", True, lambda u, w: _pynrrd_read(u), None, _check_arrays)]
    return [("read", "nibabel", True, lambda u, w: _nibabel_read(u), None, _check_arrays)]


def _timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def run_job(unit, job, repeat, caches, work):
    """Time one job on one unit; return one row per cache state."""
    name, tool, _, tool_run, medfast_run, check = job
    first_tool = tool_run(unit, work)  # warm-up and the reference for the check (not timed)
    if medfast_run is None:  # a reader: medfast returns the anchor's dtype
        reader = _medfast_read_as(first_tool.dtype)
        medfast_run = lambda u, w: reader(u)  # noqa: E731
    verdict = check(medfast_run(unit, work), first_tool)
    rows = []
    for cache in caches:
        times = {"medfast": [], tool: []}
        for _ in range(repeat):
            for side, fn in (("medfast", medfast_run), (tool, tool_run)):  # alternate: drift hits both
                if cache == "cold":
                    drop_cache(unit.files)
                times[side].append(_timed(fn, unit, work)[0])
        t_ours, t_theirs = statistics.median(times["medfast"]), statistics.median(times[tool])
        mb = unit.nbytes / 1e6
        rows.append({"unit": unit.name, "kind": unit.kind, "files": len(unit.files), "MB": round(mb, 3),
                     "job": name, "tool": tool, "cache": cache, "repeat": repeat,
                     "medfast_s": t_ours, "tool_s": t_theirs,
                     "medfast_MBps": mb / t_ours if t_ours else float("inf"),
                     "tool_MBps": mb / t_theirs if t_theirs else float("inf"),
                     "ratio": t_theirs / t_ours if t_ours else float("inf"), "voxels": verdict})
    return rows


def table(rows):
    """The rows as an aligned text table."""
    head = ("unit", "MB", "job", "tool", "cache", "medfast MB/s", "tool MB/s", "speed-up", "voxels")
    body = [(r["unit"][:48], f"{r['MB']:.1f}", r["job"], r["tool"], r["cache"], f"{r['medfast_MBps']:.0f}",
             f"{r['tool_MBps']:.0f}", f"{r['ratio']:.2f}x", r["voxels"]) for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    return "\n".join("  ".join(str(x).ljust(w) for x, w in zip(line, widths)).rstrip() for line in (head, *body))


def plot(rows, path):
    """A bar chart of MB/s, medfast beside each anchor, one group a unit, job, tool and cache state."""
    from .preview import check_png_path, write_file

    check_png_path(path)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        write_file(path, _plain_chart(rows))
        return
    import io

    labels = [f"{r['unit'][:36]}\n{r['job']} vs {r['tool']}, {r['cache']}" for r in rows]
    y = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(9, 1.2 + 0.55 * len(rows)), dpi=100)
    ax.barh(y - 0.2, [r["medfast_MBps"] for r in rows], 0.4, label="medfast", color="#1f77b4")
    ax.barh(y + 0.2, [r["tool_MBps"] for r in rows], 0.4, label="anchor (named on the left)", color="#999999")
    for yi, r in zip(y, rows):
        ax.text(r["medfast_MBps"], yi - 0.2, f" {r['ratio']:.1f}x", va="center", fontsize=8)
    speeds = [v for r in rows for v in (r["medfast_MBps"], r["tool_MBps"]) if 0 < v < float("inf")]
    if speeds and max(speeds) > 20 * min(speeds):  # small files and page-cache reads: decades apart
        ax.set_xscale("log")
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("MB/s of input (median of runs; higher is faster)")
    ax.set_title("medfast bench", fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    write_file(path, buffer.getvalue())


def _plain_chart(rows):
    """Without matplotlib: the same bars, unlabelled (the table names them in order), as PNG bytes."""
    from .preview import encode_png

    bar, gap, width = 10, 6, 600
    top = max([max(r["medfast_MBps"], r["tool_MBps"]) for r in rows] + [1e-9])
    image = np.full((len(rows) * (2 * bar + gap) + gap, width + 20), 255, np.uint8)
    for i, r in enumerate(rows):
        y = gap + i * (2 * bar + gap)
        for k, (value, grey) in enumerate(((r["medfast_MBps"], 40), (r["tool_MBps"], 160))):
            image[y + k * bar:y + (k + 1) * bar - 1, 10:10 + max(1, int(width * value / top))] = grey
    return encode_png(image)


def main(argv=None):
    """``medfast bench PATH... [--repeat N] [--json FILE] [--plot FILE.png] [--warm-only]``."""
    from .cli import CommandParser, existing_paths, positive_int

    parser = CommandParser(prog="medfast bench", description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="+", help="DICOM files or folders, NIfTI, Analyze, MINC, PAR/REC, NRRD files")
    parser.add_argument("--repeat", type=positive_int, default=3, help="timed runs of each side (median; default 3)")
    parser.add_argument("--json", metavar="FILE", help="write the results as JSON")
    parser.add_argument("--plot", metavar="FILE.png", help="draw the results as a bar chart (PNG)")
    parser.add_argument("--warm-only", action="store_true", help="skip the cold-cache runs")
    args = parser.parse_args(argv)
    existing_paths(args.path)
    if args.plot:
        from .preview import check_png_path

        check_png_path(args.plot)
    caches = ["warm"] + (["cold"] if CACHE_DROP and not args.warm_only else [])
    print(f"cache: {' and '.join(caches)}" + ("" if CACHE_DROP else " only (this OS cannot drop a file's cached pages)")
          + f"; median of {args.repeat} runs a side; MB/s of input bytes; speed-up = tool time / medfast time")
    units = find_units(args.path)
    if not units:
        print(f"medfast bench: {', '.join(args.path)}: no DICOM series or image file medfast reads", file=sys.stderr)
        return exitcodes.NO_VALID_FILES
    rows, left_out = [], set()
    with tempfile.TemporaryDirectory(prefix="medfast-bench-") as scratch:
        for n, unit in enumerate(units):
            for job in jobs_for(unit):
                if not job[2]:
                    left_out.add(job[1])
                    continue
                work = os.path.join(scratch, f"{n}")
                os.makedirs(work, exist_ok=True)
                if sys.stderr.isatty():
                    print(f"\r{n + 1}/{len(units)} {unit.name[:40]}: {job[0]} vs {job[1]} ...\x1b[K",
                          end="", file=sys.stderr, flush=True)
                try:
                    rows += run_job(unit, job, args.repeat, caches, work)
                except Exception as err:  # noqa: BLE001 - a tool that fails on a file is reported, not fatal
                    print(f"medfast bench: {unit.name}: {job[0]} with {job[1]} failed: "
                          f"{' '.join(str(err).split()) or type(err).__name__}", file=sys.stderr, flush=True)
    if sys.stderr.isatty():
        print("\r\x1b[K", end="", file=sys.stderr, flush=True)
    print(table(rows))
    if left_out:
        print(f"not installed, left out: {', '.join(sorted(left_out))}")
    if args.json:
        from .preview import write_file

        import medfast

        report = {"medfast": medfast.__version__, "caches": caches, "repeat": args.repeat, "rows": rows}
        write_file(args.json, json.dumps(report, indent=1).encode())
    if args.plot and rows:
        plot(rows, args.plot)
    return exitcodes.OK if rows else exitcodes.NO_VALID_FILES
