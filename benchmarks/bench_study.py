"""One large study in one folder: ``medfast dcm2niix`` against ``dcm2niix``, each one process, as users run them.

Issue 11 reports a GE MR study of about 4,400 files and a Philips one of
about 2,800 converted far slower than dcm2niix. The studies are generated from
the shared corpus with ``bench_bulk.corpus_archive`` (new UIDs a copy): GE,
``dcm_qa_polar`` 4 times and ``dcm_qa_nih`` once (4,448 files); Philips,
``dcm_qa_philips_dwi`` 5 times (2,720 files), each under one folder. Groups
``study-ge-zn``, ``study-ge-zy``, ``study-philips-zn``, ``study-philips-zy``:
``-z n`` (target: medfast 1.5x faster) and ``-z y`` (2x); both tools must
write the same image names. With ``--benchmark-disable`` each study is one
copy of ``dcm_qa_enh`` and each command runs once.
"""
from __future__ import annotations

import os

import pytest

from bench_bulk import corpus_archive
from bench_convert import COMMANDS, _images, _run

CORPUS = os.environ.get("MEDFAST_CORPUS", "")
STUDIES = {"ge": (("dcm_qa_polar", 4), ("dcm_qa_nih", 1)), "philips": (("dcm_qa_philips_dwi", 5),)}


@pytest.fixture(scope="session")
def studies(small, tmp_path_factory):
    if not os.path.isdir(CORPUS):
        pytest.skip("needs the DICOM corpus (MEDFAST_CORPUS)")
    made = {}
    for name, parts in STUDIES.items():
        root = tmp_path_factory.mktemp(f"study_{name}")
        for corpus, copies in ((("dcm_qa_enh", 1),) if small else parts):
            corpus_archive(root / corpus, CORPUS, copies, (corpus,))
        made[name] = str(root)
    return made


@pytest.mark.parametrize("gz", ["y", "n"])
@pytest.mark.parametrize("study", sorted(STUDIES))
@pytest.mark.parametrize("tool", sorted(COMMANDS))
def test_study(benchmark, studies, study, gz, tool, tmp_path, small):
    benchmark.group = f"study-{study}-z{gz}"
    out = str(tmp_path / "out")
    benchmark.pedantic(_run, args=(tool, gz, studies[study], out), rounds=1 if small else 3, iterations=1)
    benchmark.extra_info["files"] = sum(len(files) for _, _, files in os.walk(studies[study]))
    if tool == "medfast":
        ref = str(tmp_path / "ref")
        _run("dcm2niix", gz, studies[study], ref)
        assert _images(out) == _images(ref) and _images(out)
