"""A build in parts on a Dask cluster: each part a task, the same bytes as a local build, and a
killed worker's part written again, never half."""

import os
import sys

import pytest

import generator
from generator import builder

from conftest import files

pytestmark = pytest.mark.slow  # builds databases or runs notebooks

distributed = pytest.importorskip("distributed")

SIZE = dict(customers=builder.industry("retail").block_size * 3 + 100, years=1)
PARTS = dict(formats=("parquet",), parts=3)


def cluster(**options):
    return distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=40,
        **options,
    )


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    """The same build written by local processes: what the cluster must match."""
    out = tmp_path_factory.mktemp("local")
    generator.build(["retail"], out, workers=2, **PARTS, **SIZE)
    return files(out / "retail")


@pytest.fixture(scope="module")
def client():
    with cluster() as running, distributed.Client(running) as client:
        yield client


def test_the_parts_written_on_a_cluster_equal_a_local_build(local, client, tmp_path):
    built = generator.build(["retail"], tmp_path, cluster=client, **PARTS, **SIZE)
    assert built == [tmp_path / "retail"]
    assert files(tmp_path / "retail") == local


def test_a_cluster_writes_to_an_fsspec_location_manifest_last(local, client, tmp_path):
    url = f"file://{tmp_path.as_posix()}/shared"
    built = generator.build(["retail"], url, cluster=client.scheduler.address, **PARTS, **SIZE)
    assert built == [f"{url}/retail"]
    assert files(tmp_path / "shared" / "retail") == local
    ds = generator.load("retail", tmp_path / "shared")
    assert len(ds["transactions"]) == ds.manifest["rows"]["transactions"]


class DieOnce(distributed.WorkerPlugin):
    """Kills the first worker that finishes writing a part file, before it is closed: the part
    is half-written in that worker's scratch when the process dies."""

    def __init__(self, marker):
        self.marker = str(marker)

    def setup(self, worker):
        from generator import writers

        original, marker = writers.ParquetWriter.close, self.marker

        def close(self):
            try:
                os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                return original(self)
            os._exit(1)  # as a killed machine would: no cleanup, no exception

        writers.ParquetWriter.close = close


def test_a_killed_workers_part_is_written_again_and_never_half(local, tmp_path):
    marker = tmp_path / "killed"
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        with cluster() as running, distributed.Client(running) as client:
            client.register_plugin(DieOnce(marker))
            generator.build(["retail"], tmp_path / "out", cluster=client, **PARTS, **SIZE)
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    assert marker.exists()  # a worker did die
    assert files(tmp_path / "out" / "retail") == local
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["retail"]
