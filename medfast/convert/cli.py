"""``medfast convert SRC... -o OUT [--to nii.gz|nii|nrrd|mnc] [-f TEMPLATE] [-j N] [--scheduler ADDRESS]
[--report FILE.html] [--json] [--dry-run]``: the options and the engine are ``medfast.convert.bulk``'s."""
from __future__ import annotations

import sys


def main(argv=None):
    """Run ``medfast convert`` (the bulk engine's command line); return the exit status.

    Examples
    --------
    >>> main(["/nonexistent/in", "-o", "/tmp/out"])
    2
    """
    from .bulk import main as bulk_main

    return bulk_main(argv)


if __name__ == "__main__":
    sys.exit(main())
