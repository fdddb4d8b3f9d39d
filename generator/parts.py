"""A build in parts: each part of the customers' tables written by the worker that makes it.

A whole build sends every block back to one process, which encodes and writes every table:
that one writer is the ceiling however many cores generate. A build with ``parts=N`` instead
splits the blocks into N runs (:func:`generator.builder.part_blocks`); a worker generates one
run and writes it as ``<table>/part-0000k.<format>`` itself, then reports its rows and its
files' sha256. The main process writes only the reference tables, the data dictionary and the
manifest, when every part is in.

The part count is a build parameter and the worker count is not: a part is the same bytes
whoever writes it, in a local process (the default, no Dask needed) or as a task on a Dask
cluster (``cluster=`` an address or a ``distributed.Client``), to any fsspec location. A part
file appears under its name only when whole (a rename on a local disk, one upload on object
storage), so a worker that fails or is killed leaves nothing half-written; Dask runs its task
again on another worker.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from concurrent.futures import as_completed
from pathlib import Path

import fsspec
from fsspec.implementations.local import LocalFileSystem
from tqdm.auto import tqdm

from generator import integrity
from generator.params import Params
from generator.pool import process_pool
from generator.writers import DatasetWriter, part_name

SCRATCH = ".parts"  # a local build's unfinished parts, under its folder; gone when it is done
RETRIES = 2  # a part's task is run again this often on a cluster when it raises


def write_part(name: str, params: Params, part: int, root: str) -> dict:
    """Generate part ``part`` of an industry's build and write it under ``root`` (a folder or
    an fsspec URL); its rows per table and its files (relative path -> sha256)."""
    from generator import builder

    fs, base = fsspec.core.url_to_fs(str(root))
    local = isinstance(fs, LocalFileSystem)
    parent = None
    if local:  # beside the finished parts, so that putting one in place is a rename
        parent = Path(base) / SCRATCH
        parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f"{part_name(part)}-", dir=parent))
    try:
        whole = builder.schema(name, params.sources, params.future)
        writer = DatasetWriter(scratch, whole, params.formats, part=part, inline=True)
        try:
            for tables in builder.generate_part(name, params, part):
                writer.write(tables)
        finally:
            writer.close()
        files = {}
        for path in sorted(scratch.rglob("*")):
            if not path.is_file():
                continue
            relative = path.relative_to(scratch).as_posix()
            files[relative] = integrity.sha256(path)
            target = f"{base.rstrip('/')}/{relative}"
            fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
            if local:
                os.replace(path, target)
            else:
                fs.put_file(str(path), target)
        return {"rows": writer.rows, "files": files}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def write_parts(
    name: str, params: Params, root: str | Path, cluster=None, progress: bool = False
) -> tuple[dict[str, int], dict[str, str]]:
    """Every part of a build, written under ``root``: the rows per table summed over the
    parts, and every part file's sha256.

    ``cluster`` is a Dask scheduler's address or a ``distributed.Client``; without it the
    parts are written by ``params.workers`` local processes (one: in this process).
    """
    count = params.parts
    bar = tqdm(total=count, desc=f"{name} parts", unit="part", disable=not progress, leave=False)
    results = []
    try:
        if cluster is not None:
            results = _on_cluster(cluster, name, params, str(root), bar)
        elif min(params.workers, count, os.cpu_count() or 1) == 1:
            for part in range(count):
                results.append(write_part(name, params, part, str(root)))
                bar.update()
        else:
            workers = min(params.workers, count, os.cpu_count() or 1)
            with process_pool(workers) as pool:
                futures = [
                    pool.submit(write_part, name, params, part, str(root)) for part in range(count)
                ]
                for future in as_completed(futures):
                    results.append(future.result())
                    bar.update()
    finally:
        bar.close()
        shutil.rmtree(Path(str(root)) / SCRATCH, ignore_errors=True)
    rows: dict[str, int] = {}
    files: dict[str, str] = {}
    for result in results:
        for table, n in result["rows"].items():
            rows[table] = rows.get(table, 0) + n
        files.update(result["files"])
    return rows, files


def _on_cluster(cluster, name: str, params: Params, root: str, bar) -> list[dict]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise ImportError(
            "a build on a cluster needs Dask: pip install 'customer-database-course[cluster]'"
        ) from None
    client = cluster if isinstance(cluster, Client) else Client(cluster)
    build = uuid.uuid4().hex[:8]  # task names of this build alone
    try:
        futures = [
            client.submit(
                write_part,
                name,
                params,
                part,
                root,
                key=f"{name}-{build}-{part_name(part)}",
                retries=RETRIES,
                pure=False,
            )
            for part in range(params.parts)
        ]
        results = []
        for future in as_completed(futures):
            results.append(future.result())
            bar.update()
        return results
    finally:
        if client is not cluster:
            client.close()
