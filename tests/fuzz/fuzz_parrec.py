"""Fuzz ``medfast.read`` of a Philips PAR header (its REC fixed).

Run: ``python tests/fuzz/fuzz_parrec.py -atheris_runs=100000 /tmp/fuzz-corpus/parrec`` (libFuzzer options apply).
"""
from harness import main

if __name__ == "__main__":
    main('read', 'parrec')
