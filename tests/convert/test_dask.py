"""``--scheduler``: one Dask task per series on a ``LocalCluster``, outputs identical to a local run."""
from __future__ import annotations

import os

import pytest

from medfast.convert import bulk, cli
from medfast.synth import write_ct_series, write_mr_series
from support import require_module

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _files(out):
    return {n: open(os.path.join(out, n), "rb").read() for n in sorted(os.listdir(out)) if not n.startswith(".")}


def test_local_cluster_matches_local_run(tmp_path):
    distributed = require_module("distributed")
    write_ct_series(tmp_path / "in" / "ct", shape=(32, 32, 8), series_number=2)
    write_ct_series(tmp_path / "in" / "ct_b", shape=(16, 16, 6), series_number=2, seed=1)  # same name: "a"
    write_mr_series(tmp_path / "in" / "mr", shape=(16, 16, 4, 3), series_number=3)
    (tmp_path / "in" / "mr" / "bad.dcm").write_bytes(b"\0" * 128 + b"DICM")
    local = bulk.run([tmp_path / "in"], tmp_path / "local", report=tmp_path / "local.html")
    import dask

    # the scheduler's and workers' scratch folders in tmp_path, not /tmp/dask-scratch-space
    with dask.config.set({"temporary-directory": str(tmp_path / "scratch")}), \
            distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None,
                                     local_directory=tmp_path / "scratch") as cluster:
        remote = bulk.run([tmp_path / "in"], tmp_path / "dask", scheduler=cluster.scheduler_address,
                          report=tmp_path / "dask.html")
        with distributed.Client(cluster) as client:
            assert len(client.scheduler_info()["workers"]) == 2
    assert sorted(_files(tmp_path / "local")) == ["CT_head_phantom_2.json", "CT_head_phantom_2.nii.gz",
                                                  "CT_head_phantom_2a.json", "CT_head_phantom_2a.nii.gz",
                                                  "fMRI_phantom_3.json", "fMRI_phantom_3.nii.gz"]
    assert _files(tmp_path / "dask") == _files(tmp_path / "local")
    strip = lambda s: [{k: v for k, v in d.items() if k != "png"} for d in s.series]  # noqa: E731
    assert strip(remote) == strip(local)
    assert [s["png"] for s in remote.series] == [s["png"] for s in local.series]
    assert remote.exit_code == local.exit_code == 8 and len(remote.failures) == len(local.failures) == 1
    assert (tmp_path / "dask.html").read_text().count("data:image/png") == 3


def test_unreachable_scheduler_is_a_usage_error(tmp_path, monkeypatch):
    require_module("distributed")
    from medfast.convert import distributed

    monkeypatch.setattr(distributed, "CONNECT_TIMEOUT", "1s")
    write_ct_series(tmp_path / "in", shape=(8, 8, 2))
    assert cli.main([str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--scheduler", "tcp://127.0.0.1:9"]) == 12
