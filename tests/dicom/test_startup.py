"""``medfast dcm2niix`` starts fast: no pydicom, nibabel or h5py before it reads the first file.

A subprocess runs the command with an audit hook that notes, at the first
open of a file of the input folder, which heavy modules are loaded and how
long the process has run (printed; timing on a shared machine is noise, the
imports are the assertion).
"""
from __future__ import annotations

import json
import subprocess
import sys

from medfast.synth import write_ct_series

PROBE = r"""
import json, os, sys, time
start = time.perf_counter()
src = os.path.abspath(sys.argv[1])
seen = {}

def hook(event, args):
    if event == "open" and not seen and isinstance(args[0], str) and args[0].startswith(src + os.sep):
        seen["ms"] = (time.perf_counter() - start) * 1e3
        seen["heavy"] = sorted(m for m in sys.modules if m.split(".")[0] in ("pydicom", "nibabel", "h5py", "scipy"))

sys.addaudithook(hook)
from medfast.cli import main
try:
    main(["dcm2niix", "-z", "n", "-o", sys.argv[2], src])
except SystemExit:
    pass
print(json.dumps(seen))
"""


def test_first_read_before_heavy_imports(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir(), out.mkdir()
    write_ct_series(src, shape=(16, 16, 3))
    done = subprocess.run([sys.executable, "-c", PROBE, str(src), str(out)], capture_output=True, text=True,
                          check=True)
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"\nfirst file read {seen['ms']:.0f} ms after start")
    assert seen["heavy"] == []
    assert any(p.suffix == ".nii" for p in out.iterdir())  # and the conversion went on to the end
