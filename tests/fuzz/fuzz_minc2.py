"""Fuzz ``medfast.read`` of a MINC2 (HDF5) file.

Run: ``python tests/fuzz/fuzz_minc2.py -atheris_runs=100000 /tmp/fuzz-corpus/minc2`` (libFuzzer options apply).
"""
from harness import main

if __name__ == "__main__":
    main('read', 'minc2')
