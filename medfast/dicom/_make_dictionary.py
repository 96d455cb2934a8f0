"""Write medfast/dicom/_dictionary.py from pydicom's data dictionaries.

medfast reads DICOM headers without importing pydicom (it takes 100+ ms to
import), so the few tables its scanner needs are copied here: public tag ->
VR and keyword, the repeater masks, the private dictionary's VRs by private
creator, and the character set -> Python codec table. Run after upgrading
pydicom; ``tests/dicom/test_dictionary.py`` fails while the copy differs.

Run from a source checkout: ``python -m medfast.dicom._make_dictionary``
"""
from __future__ import annotations

import pprint
from pathlib import Path

import pydicom
from pydicom._dicom_dict import DicomDictionary, RepeatersDictionary
from pydicom._private_dict import private_dictionaries
from pydicom.charset import python_encoding
from pydicom.datadict import masks

FOLDER = Path(__file__).resolve().parent


def render():
    """The texts of ``_dictionary.py`` and ``_private_dictionary.py`` (imported only for private tags).

    The tables are one string each, split at import: a string compiles in a
    blink where a dict display of thousands of entries takes a third of a
    second when no ``.pyc`` is cached.
    """
    head = f'"""DICOM data dictionary tables, generated from pydicom {pydicom.__version__} by medfast/dicom/_make_dictionary.py: do not edit."""\n'
    public = "\n".join(f"{tag:08X}\t{entry[0]}\t{entry[4]}" for tag, entry in sorted(DicomDictionary.items()))
    repeaters = tuple((m1, m2, RepeatersDictionary[x][0], RepeatersDictionary[x][4]) for x, (m1, m2) in masks.items())
    private = "\n".join(f"{creator}\t{key}\t{entry[0]}" for creator, d in sorted(private_dictionaries.items())
                        for key, entry in sorted(d.items()))
    assert "\t" not in "".join(private_dictionaries) and '"""' not in private + public
    public_text = "\n".join([
        head,
        "# (tag ^ first) & second == 0 -> VR, keyword: repeating groups, in pydicom's order of trial",
        f"REPEATERS = {pprint.pformat(repeaters, width=120, compact=True)}\n",
        "# SpecificCharacterSet term -> Python codec",
        f"PYTHON_ENCODING = {pprint.pformat(dict(python_encoding), width=120, compact=True)}\n",
        "# tag, VR, keyword of every public element (pydicom's DicomDictionary)",
        f'_PUBLIC = """\\\n{public}\n"""\n',
        "PUBLIC = {}  # tag -> VR",
        "KEYWORDS = {}  # keyword -> tag",
        "for _line in _PUBLIC.splitlines():",
        '    _tag, _vr, _keyword = _line.split("\\t")',
        "    PUBLIC[int(_tag, 16)] = _vr",
        "    if _keyword:",
        "        KEYWORDS[_keyword] = int(_tag, 16)",
        "del _PUBLIC, _line, _tag, _vr, _keyword\n",
    ])
    private_text = "\n".join([
        head,
        "# private creator, 'GGGGEEEE' with 'xx' for the block, VR",
        f'_PRIVATE = """\\\n{private}\n"""\n',
        "PRIVATE = {}  # private creator -> {key: VR}",
        "for _line in _PRIVATE.splitlines():",
        '    _creator, _key, _vr = _line.split("\\t")',
        "    PRIVATE.setdefault(_creator, {})[_key] = _vr",
        "del _PRIVATE, _line, _creator, _key, _vr\n",
    ])
    return public_text, private_text


if __name__ == "__main__":
    public_text, private_text = render()
    (FOLDER / "_dictionary.py").write_text(public_text)
    (FOLDER / "_private_dictionary.py").write_text(private_text)
    print(f"wrote {FOLDER / '_dictionary.py'}, {FOLDER / '_private_dictionary.py'}")
