"""The common body of the atheris fuzzers: one target, its seeds, a memory cap, libFuzzer's command line.

Each ``fuzz_*.py`` names a target of ``targets`` and, for a file target, the
seed family whose first seed gives the file name and the companion files (the
fuzzer mutates the main file only). For the folder family (``dicom_folder``:
the series path) the input's first byte picks the folder seed and the rest is
its main file, so one fuzzer covers the series of every vendor. The seeds of
the family are written into
the corpus folder given on the command line (created if missing) before
libFuzzer starts, so a run begins from real files. Anything but a value or an
allowed error raises, and libFuzzer saves the input as ``crash-*``; with
``MEDFAST_FUZZ_FINDINGS=folder`` the run goes on instead, and the first input of
each new kind of finding (exception class and innermost medfast line) is saved
there with its traceback, so one long run reports every kind it meets.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: import medfast and the tests from this tree
    sys.path.insert(0, str(ROOT))


def _seed_corpus(folder, target, family):
    from tests.fuzz import mutation
    from tests.fuzz.seeds import all_seeds

    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        return
    if family is None:
        dicom = [s for s in all_seeds() if s.family == "dicom"]
        blobs = {"rle": mutation._rle_blobs, "bits": mutation._bits_blobs,
                 "index": lambda: mutation._index_blobs(dicom)}[target]()
        datas = list(blobs)
    elif family == FOLDERS:
        datas = [bytes([i]) + s.files[s.main] for i, s in enumerate(_folders())]
    else:
        seeds = [s for s in all_seeds() if s.family == family]
        suffix = "".join(Path(seeds[0].main).suffixes)
        datas = [s.files[s.main] for s in seeds if "".join(Path(s.main).suffixes) == suffix]
    for i, data in enumerate(datas):
        (folder / f"seed-{i}").write_bytes(data)


FOLDERS = "dicom_folder"


def _folders():
    from tests.fuzz.seeds import all_seeds

    return [s for s in all_seeds() if s.family == FOLDERS]


def main(target, family=None):
    """Fuzz ``target`` (a name in ``targets.FILE_TARGETS`` or ``targets.BLOB_TARGETS``) with libFuzzer's argv."""
    import warnings

    import atheris

    with atheris.instrument_imports(include=["medfast"]):
        import medfast.convert.bulk  # noqa: F401
        import medfast.dcm2niix.cli  # noqa: F401
        import medfast.dicom.pixels  # noqa: F401
        import medfast.dicom.reader  # noqa: F401
        import medfast.dicom.scan  # noqa: F401
        import medfast.dicom.scanned  # noqa: F401
        import medfast.formats
        import medfast.kernels  # noqa: F401

        for name in medfast.formats.FORMATS():
            __import__(f"medfast.formats.{name}")
    from tests.fuzz import targets
    from tests.fuzz.mutation import _warm_up
    from tests.fuzz.seeds import all_seeds

    warnings.simplefilter("ignore")
    _warm_up()
    corpus = [a for a in sys.argv[1:] if not a.startswith("-")]
    if corpus:
        _seed_corpus(Path(corpus[0]), target, family)
    folder = tempfile.mkdtemp(prefix=f"medfast-fuzz-{target}-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    if family == FOLDERS:
        folders = _folders()

        def one_input(data):
            if data:
                seed = folders[data[0] % len(folders)]
                targets.run_files(target, folder, {**seed.files, seed.main: data[1:]}, seed.main)
    elif family is not None:
        seed = next(s for s in all_seeds() if s.family == family)
        main_name, companions = seed.main, {k: v for k, v in seed.files.items() if k != seed.main}

        def one_input(data):
            targets.run_files(target, folder, {**companions, main_name: data}, main_name)
    else:

        def one_input(data):
            targets.run_blob(target, data)

    findings = os.environ.get("MEDFAST_FUZZ_FINDINGS")
    if findings:
        one_input = _keep_going(one_input, Path(findings), target, family)
    targets.limit_memory()
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


def _keep_going(one_input, folder, target, family):
    """Wrap ``one_input`` to save the first input of each kind of finding and carry on."""
    import traceback

    from tests.fuzz import targets

    folder.mkdir(parents=True, exist_ok=True)
    seen = set()

    def guarded(data):
        try:
            one_input(data)
        except targets.Finding as finding:
            kind = str(finding).split("]")[0].strip("[")
            if kind not in seen:
                seen.add(kind)
                stem = folder / f"{target}-{family or 'blob'}-{len(seen)}"
                stem.with_suffix(".bin").write_bytes(data)
                stem.with_suffix(".txt").write_text("".join(traceback.format_exception(finding)))
                print(f"FINDING {kind} -> {stem}.bin", file=sys.stderr, flush=True)

    return guarded
