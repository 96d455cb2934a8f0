"""Fuzz the one-pass header read (``read_header``: ``index_elements`` + ``ScannedHeader``): every ``Header`` method on every element, nested ones too; the values primed by ``decode_values`` and
``decode_items`` equal those decoded element by element.

Run: ``python tests/fuzz/fuzz_header.py -atheris_runs=100000 /tmp/fuzz-corpus/header`` (libFuzzer options apply).
"""
from harness import main

if __name__ == "__main__":
    main("header", "dicom")
