"""Fuzz the ``index_elements`` kernel (compiled, debug build) against its NumPy twin: any bytes, start and flags;
then ``decode_values`` and ``decode_items`` on the table it made, against theirs.

Run: ``python tests/fuzz/fuzz_index.py -atheris_runs=100000 /tmp/fuzz-corpus/index`` (libFuzzer options apply).
"""
from harness import main

if __name__ == "__main__":
    main("index")
