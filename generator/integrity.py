"""What a build's manifest promises: every file it wrote, with its sha256.

A file that is missing, truncated or edited after the build is found and named, by
``generator verify DIR`` and, file by file as tables are read, by :func:`generator.load`::

    python -m generator verify datasets        # every build under datasets/
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

#: What to do about a damaged build.
ADVICE = (
    "rebuild it (`make datasets` for the course's databases, or `python -m generator build` "
    "with the build's parameters, which its manifest.json lists)"
)


class DamagedBuild(ValueError):
    """A build's file is missing, truncated, edited or unreadable; the message names it."""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def listed(folder: Path) -> dict[str, str]:
    """The files the build's manifest lists, relative path -> sha256."""
    try:
        manifest = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
        return dict(manifest["files"])
    except FileNotFoundError:
        raise DamagedBuild(f"{folder} has no manifest.json: it is not a build") from None
    except (ValueError, KeyError, TypeError):
        raise DamagedBuild(f"{Path(folder) / 'manifest.json'} is damaged; {ADVICE}") from None


def problem(folder: Path, name: str, expected: str) -> str | None:
    """What is wrong with one listed file, or None when it is as the build wrote it."""
    path = Path(folder) / name
    if not path.exists():
        return f"{path} is missing"
    if sha256(path) != expected:
        return f"{path} was changed or truncated after the build (its sha256 is not the manifest's)"
    return None


def problems(folder: Path) -> list[str]:
    """Everything wrong with a build's files (empty when it is intact)."""
    try:
        files = listed(folder)
    except DamagedBuild as error:
        return [str(error)]
    return [p for name, digest in sorted(files.items()) if (p := problem(folder, name, digest))]


def builds(path: Path) -> list[Path]:
    """The builds at ``path``: the folder itself if it holds a manifest, else every folder
    under it that does."""
    path = Path(path)
    if (path / "manifest.json").exists():
        return [path]
    return sorted(m.parent for m in path.rglob("manifest.json"))
