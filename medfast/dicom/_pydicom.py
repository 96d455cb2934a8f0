"""pydicom imported once, under a lock, before a thread uses it.

pydicom's modules import each other in cycles; when two threads import it for
the first time at the same moment, Python may hand one of them a partly
initialised module ("cannot import name 'dcmread' from partially initialized
module"). The reader's threads call ``ensure()`` before their first
``from pydicom ... import``: after the first call it costs a lock and a dict
lookup.
"""
from __future__ import annotations

import threading

_LOCK = threading.Lock()
_LOADED = False


def ensure():
    """Import pydicom (and the submodules medfast uses) completely, once."""
    global _LOADED
    if _LOADED:
        return
    with _LOCK:
        if not _LOADED:
            import pydicom  # noqa: F401
            import pydicom.errors  # noqa: F401
            import pydicom.filereader  # noqa: F401
            import pydicom.pixels  # noqa: F401
            import pydicom.uid  # noqa: F401

            _LOADED = True
