"""Write medfast/dicom/_dictionary.py from pydicom's data dictionaries.

medfast reads DICOM headers without importing pydicom (it takes 100+ ms to
import), so the few tables its scanner needs are copied here: public tag ->
VR and keyword, the repeater masks, the private dictionary's VRs by private
creator, and the character set -> Python codec table. Run after upgrading
pydicom; ``tests/dicom/test_dictionary.py`` fails while the copy differs.

Run: ``python tools/make_dicom_dictionary.py``
"""
from __future__ import annotations

import pprint
from pathlib import Path

import pydicom
from pydicom._dicom_dict import DicomDictionary, RepeatersDictionary
from pydicom._private_dict import private_dictionaries
from pydicom.charset import python_encoding
from pydicom.datadict import masks

FOLDER = Path(__file__).resolve().parents[1] / "medfast" / "dicom"


def render():
    """The texts of ``_dictionary.py`` and ``_private_dictionary.py`` (imported only for private tags)."""
    public = {tag: entry[0] for tag, entry in sorted(DicomDictionary.items())}
    keywords = {entry[4]: tag for tag, entry in sorted(DicomDictionary.items()) if entry[4]}
    repeaters = tuple((m1, m2, RepeatersDictionary[x][0], RepeatersDictionary[x][4]) for x, (m1, m2) in masks.items())
    private = {creator: {key: entry[0] for key, entry in sorted(d.items())} for creator, d in sorted(private_dictionaries.items())}
    head = f'"""DICOM data dictionary tables, generated from pydicom {pydicom.__version__} by tools/make_dicom_dictionary.py: do not edit."""\n'
    parts = [
        head,
        "# tag -> VR of every public element (pydicom's DicomDictionary)",
        f"PUBLIC = {pprint.pformat(public, width=120, compact=True)}\n",
        "# keyword -> tag",
        f"KEYWORDS = {pprint.pformat(keywords, width=120, compact=True, sort_dicts=False)}\n",
        "# (tag ^ first) & second == 0 -> VR, keyword: repeating groups, in pydicom's order of trial",
        f"REPEATERS = {pprint.pformat(repeaters, width=120, compact=True)}\n",
        "# SpecificCharacterSet term -> Python codec",
        f"PYTHON_ENCODING = {pprint.pformat(dict(python_encoding), width=120, compact=True)}\n",
    ]
    private_text = "\n".join([head, "# private creator -> {'GGGGEEEE' with 'xx' for the block: VR}",
                              f"PRIVATE = {pprint.pformat(private, width=120, compact=True)}\n"])
    return "\n".join(parts), private_text


if __name__ == "__main__":
    public_text, private_text = render()
    (FOLDER / "_dictionary.py").write_text(public_text)
    (FOLDER / "_private_dictionary.py").write_text(private_text)
    print(f"wrote {FOLDER / '_dictionary.py'}, {FOLDER / '_private_dictionary.py'}")
