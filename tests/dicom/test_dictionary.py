"""medfast's copy of pydicom's dictionaries (read without importing pydicom) equals pydicom's."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pydicom
import pytest
from pydicom.datadict import dictionary_VR, private_dictionary_VR
from pydicom._private_dict import private_dictionaries

from medfast.dicom import _dictionary, _private_dictionary
from medfast.dicom.scanned import dictionary_vr, private_vr

ROOT = Path(__file__).resolve().parents[2]


def test_generated_files_are_current():
    spec = importlib.util.spec_from_file_location("make", ROOT / "tools" / "make_dicom_dictionary.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    public, private = make.render()
    assert (ROOT / "medfast" / "dicom" / "_dictionary.py").read_text() == public
    assert (ROOT / "medfast" / "dicom" / "_private_dictionary.py").read_text() == private


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
