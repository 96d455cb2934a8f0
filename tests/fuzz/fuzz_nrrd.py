"""Fuzz ``medfast.read`` of an attached NRRD file.

Run: ``python tests/fuzz/fuzz_nrrd.py -atheris_runs=100000 /tmp/fuzz-corpus/nrrd`` (libFuzzer options apply).
"""
from harness import main

if __name__ == "__main__":
    main('read', 'nrrd')
