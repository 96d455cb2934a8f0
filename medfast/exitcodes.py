"""Exit statuses of every ``medfast`` command: dcm2niix's numbers, so one table serves all.

``medfast dcm2niix`` must exit as dcm2niix does (scripts and nipype test the
number); the other commands use the same numbers for the same situations, so
a user learns one table. The README lists it.
"""
from __future__ import annotations

OK = 0                      # everything asked for was done
ERROR = 1                   # an unexpected failure (a bug, or an error no other code names)
NO_VALID_FILES = 2          # nothing readable was found in the input
REPORT_VERSION = 3          # dcm2niix's answer to a bare -v / --version request
CORRUPT_FILE = 4            # an input file is corrupt
INPUT_INVALID = 5           # an input path does not exist or cannot be read
OUTPUT_INVALID = 6          # the output folder does not exist and cannot be made
OUTPUT_READ_ONLY = 7        # the output folder (or a file in it) cannot be written
SOME_FAILED = 8             # some inputs converted, some failed (the failures are listed)
RENAME_ERROR = 9            # a finished file could not be moved to its final name
INVALID_PARAM = 12          # a bad option, a missing option value, an option medfast cannot honour
INTERRUPTED = 130           # SIGINT (Ctrl-C): temporaries removed, a re-run resumes
TERMINATED = 143            # SIGTERM (batch schedulers): likewise

__all__ = [name for name in dir() if name.isupper()]
