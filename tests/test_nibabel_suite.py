"""nibabel's own test modules pass with ``medfast.accelerate()`` in force wherever they pass plain.

Each run is a pytest subprocess over the installed ``nibabel.tests`` modules,
with a plugin that calls ``medfast.accelerate()`` before collection for the
accelerated runs; the outcomes come from JUnit XML and are compared test by
test. The plugin also counts the whole-array reads medfast served, so the
comparison cannot pass by never taking medfast's path.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from support import require_module

REPO = Path(__file__).resolve().parents[1]
# two halves, run side by side, so the four runs take about two minutes
MODULES = (
    ("test_nifti1", "test_nifti2", "test_analyze", "test_spm99analyze", "test_minc1", "test_minc2"),
    ("test_parrec", "test_arrayproxy", "test_volumeutils", "test_loadsave", "test_proxy_api", "test_image_api"),
)
# MINC proxies are nibabel's own under accelerate(); their slicing sweeps take half a minute each
DESELECT = ("TestMinc1File::test_array_proxy_slicing", "TestMinc2File::test_array_proxy_slicing")

PLUGIN = textwrap.dedent(
    """
    import os

    def pytest_configure(config):
        import medfast
        from medfast import nibabel_compat

        medfast.accelerate()
        original = nibabel_compat._read_scaled

        def counting(proxy, dtype):
            counting.calls += 1
            return original(proxy, dtype)

        counting.calls = 0
        nibabel_compat._read_scaled = counting
        config._medfast_counter = counting

    def pytest_unconfigure(config):
        with open(os.environ["MEDFAST_SUITE_COUNT"], "w") as f:
            f.write(str(config._medfast_counter.calls))
    """
)


def _outcomes(xml_path):
    outcomes = {}
    for case in ET.parse(xml_path).getroot().iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        tags = {child.tag for child in case}
        outcomes[name] = "failed" if tags & {"failure", "error"} else "skipped" if "skipped" in tags else "passed"
    return outcomes


def _start(tmp_path, label, modules, accelerated):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(REPO), os.environ.get("PYTHONPATH", "")]))
    env["MEDFAST_SUITE_COUNT"] = str(tmp_path / f"{label}.count")
    env["TMPDIR"] = str(tmp_path)  # nibabel's tests leave temporary files behind: in tmp_path, removed with it
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "ignore",
            f"--junitxml={tmp_path / (label + '.xml')}", "--pyargs", *(f"nibabel.tests.{m}" for m in modules)]
    args += [arg for name in DESELECT for arg in ("--deselect", name)]
    if accelerated:
        args += ["-p", "medfast_suite_plugin"]
    return subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.slow
def test_nibabel_suite_passes_accelerated(tmp_path):
    require_module("pytest_httpserver")
    (tmp_path / "medfast_suite_plugin.py").write_text(PLUGIN)
    runs = {}
    for half, modules in enumerate(MODULES):
        for accelerated in (False, True):
            label = f"{'accel' if accelerated else 'plain'}{half}"
            runs[label] = _start(tmp_path, label, modules, accelerated)
    logs = {label: proc.communicate(timeout=600)[0] for label, proc in runs.items()}
    plain, accel = {}, {}
    for label in runs:
        assert (tmp_path / f"{label}.xml").exists(), logs[label][-3000:]
        (accel if label.startswith("accel") else plain).update(_outcomes(tmp_path / f"{label}.xml"))
    assert len(plain) > 1000  # the modules were really collected
    passed_plain = {name for name, outcome in plain.items() if outcome == "passed"}
    broken = sorted(name for name in passed_plain if accel.get(name) != "passed")
    assert not broken, f"pass plain, not accelerated: {broken[:20]}"
    served = sum(int((tmp_path / f"accel{half}.count").read_text()) for half in range(len(MODULES)))
    assert served > 100, f"medfast served only {served} whole-array reads"
