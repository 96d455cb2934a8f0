"""``medfast.preview``: letters, windows that show tissue, panels on one millimetre scale, PNG only."""
from __future__ import annotations

import numpy as np
import pytest

from medfast import Volume, preview
from medfast.errors import InvalidArgumentError
from medfast.synth import phantom


def test_ct_head_gets_the_brain_window_and_many_grey_levels():
    ct = phantom((96, 96, 48)).astype(np.int16)
    low, high, name = preview.window(ct)
    assert (low, high) == (0.0, 80.0) and name.startswith("CT brain")
    image = preview.render(ct, np.diag([0.9, 0.9, 1.25, 1]), height=128)
    assert len(np.unique(image)) >= 5  # air, ventricles 10, brain 40, features 60-70, skull: all apart
    assert preview.window(ct, modality="MR")[2].startswith("foreground")


def test_body_and_bone_ct_windows():
    body = np.full((40, 40, 10), -1000.0)
    body[5:35, 5:35] = -100  # fat
    body[10:30, 10:30] = 45  # muscle, organs
    assert preview.window(body, "CT")[2].startswith("CT soft tissue")
    bone = np.full((40, 40, 10), -1000.0)
    bone[5:35, 5:35] = 1200
    assert preview.window(bone, "CT")[2].startswith("CT bone")


def test_foreground_window_ignores_the_background():
    mr = np.zeros((64, 64, 20))
    mr[16:48, 16:48, 5:15] = np.linspace(100, 200, 10)  # tissue: 100 to 200, 8 % of the volume
    low, high, _ = preview.window(mr)
    assert 100 <= low < 110 and 190 < high <= 200  # a whole-volume percentile would start at 0


def test_letters_and_neurological_layout():
    vol = np.zeros((40, 40, 40))
    vol[30:38, 16:24, 16:24] = 1.0  # a block on the patient's right (i runs to R with an identity affine)
    image = preview.render(vol, np.eye(4), height=256)
    axial = image[:, image.shape[1] - 256:]
    rows, cols = np.nonzero(axial[40:216, 40:216] > 128)
    assert cols.mean() + 40 > 128  # right of the picture's centre: the patient's left is on the left
    letter_rows = axial[120:136, 2:14]  # "L" at the middle of the left edge: white on black
    assert (letter_rows == 255).sum() > 10


def test_panels_share_one_millimetre_scale_so_a_thin_slab_stays_thin():
    slab = np.random.default_rng(0).random((200, 200, 3))
    image = preview.render(slab, np.diag([1.0, 1.0, 2.0, 1.0]), height=200)
    tall_rows = np.flatnonzero(image[:, :200].any(axis=1))  # sagittal: 6 mm of S over 200 mm of A
    assert image.shape == (200, 3 * 200 + 2 * 4)
    assert len(tall_rows) <= 8


def test_height_and_format_are_checked(tmp_path):
    vol = Volume(np.zeros((4, 4, 4), np.int16), np.eye(4))
    with pytest.raises(InvalidArgumentError, match="height=0"):
        preview.render(vol.array, vol.affine, height=0)
    with pytest.raises(InvalidArgumentError, match=r"p\.jpg: output format \.jpg: only PNG"):
        preview.save_preview(vol, tmp_path / "p.jpg")
    assert not (tmp_path / "p.jpg").exists()
    assert preview.save_preview(vol, tmp_path / "p.PNG") == "foreground 1-99th percentile"
    assert (tmp_path / "p.PNG").read_bytes()[:4] == b"\x89PNG"
