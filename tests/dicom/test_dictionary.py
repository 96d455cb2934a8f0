"""medfast's copy of pydicom's dictionaries (read without importing pydicom) equals pydicom's."""
from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
from pydicom.datadict import dictionary_VR, private_dictionary_VR
from pydicom._private_dict import private_dictionaries

from medfast.dicom import _dictionary, _make_dictionary, _private_dictionary
from medfast.dicom.scanned import dictionary_vr, private_vr

def _body(text):
    """The tables, without the first line (it names the pydicom version that made them)."""
    return text.split("\n", 1)[1]


def test_generated_files_are_current():
    """The installed tables are what the generator makes from the installed pydicom."""
    public, private = _make_dictionary.render()
    assert _body(Path(_dictionary.__file__).read_text()) == _body(public)
    assert _body(Path(_private_dictionary.__file__).read_text()) == _body(private)


def test_public_vrs_and_keywords_equal_pydicom():
    for tag, vr in _dictionary.PUBLIC.items():
        assert dictionary_VR(tag) == vr
    for keyword, tag in _dictionary.KEYWORDS.items():
        assert pydicom.datadict.tag_for_keyword(keyword) == tag


@pytest.mark.parametrize("tag", [0x60000010, 0x60223000, 0x50000005, 0x002031FF, 0x00280410, 0x00080060, 0x00091001])
def test_repeaters_and_unknown_tags(tag):
    try:
        want = dictionary_VR(tag)
    except KeyError:
        want = None
    assert dictionary_vr(tag) == want


def test_private_vrs_equal_pydicom():
    for creator, entries in list(private_dictionaries.items())[::7]:
        for key in list(entries)[:20]:
            tag = int(key.replace("x", "1"), 16)
            try:
                want = private_dictionary_VR(tag, creator)
            except KeyError:  # the key's pattern names another block
                want = None
            assert private_vr(tag, creator) == want, (creator, key)
    assert private_vr(0x00191010, "no such creator") is None
    assert len(_private_dictionary.PRIVATE) == len(private_dictionaries)
