"""The course's website: the stored, executed notebooks as a static site that students read
before they run anything.

Sphinx with MyST-NB and the Sphinx Book Theme (what Jupyter Book 1 is made of) builds it from
the repository itself, with the configuration in ``site/`` (``site/conf.py``), so that the
links between ``notebooks/``, ``exercises/`` and ``instructors/`` work on the site as they do
in JupyterLab. The notebooks are never run: their stored outputs and plots are the pages'.
On the site: the lessons, cases and appendix, the exercises (without answers), the instructor
guide, the data dictionaries and a home page with the course map; never ``solutions/``.

It needs no network: every script, style and font is served from the site itself. Chinese text
is drawn with Noto Sans CJK SC (from the ``mplfonts`` package), cut down at build time to the
characters the site uses, so that a reader without a Chinese font still sees them::

    python -m course.site                 # build _site/ (make site); open _site/index.html
    python -m course.site --out public    # elsewhere

This module is also the Sphinx extension ``site/conf.py`` loads (:func:`setup`): the course map
directive, the links the site rewrites, the interactive demos' placeholder and the font.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import time
from pathlib import Path

from course import contents

ROOT = contents.ROOT
CONFIG = ROOT / "site"
OUT = "_site"
HOME = "site/index"  # the home page; the site's index.html sends the reader there

#: links in the course's files that point outside the site, and where they point on it
LINKS = {"../README.md#course-map": "../site/index.md#course-map"}

#: Noto Sans CJK SC, as the ``mplfonts`` package ships it (SIL Open Font License 1.1)
FONT_FILE = "NotoSansCJKsc-Regular.otf"
FONT_OUT = "_static/fonts/noto-sans-cjk-sc.woff"
#: the CJK characters and punctuation the font is used for (the CSS's ``unicode-range``)
CJK = re.compile(
    r"[\u2e80-\u2fdf\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]"
)

WIDGET_VIEW = '<script type="application/vnd.jupyter.widget-view+json">'
WIDGET_NOTE = (
    "An interactive demo is here: it needs a running kernel. Open this notebook in JupyterLab "
    "(`make lab`), run the cell and move its controls."
)

MERMAID_NOTE = (
    "The diagram as text (JupyterLab draws it): each line joins two tables by a column; "
    "||--o{ reads one to many, |o--o{ zero or one to many."
)


def title(root: Path = ROOT) -> str:
    """The course's title: the first heading of the top-level README."""
    for line in (root / contents.README).read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    raise ValueError(f"{contents.README} has no title (a line starting with '# ')")


# ---------------------------------------------------------------- the course map


def map_table(root: Path = ROOT) -> str:
    """The course map as the home page shows it: links relative to ``site/``, the instructor
    guide's pages instead of the solutions (:func:`course.contents.map_table`)."""
    return contents.map_table(root, up="../", site=True)


# ---------------------------------------------------------------- the Sphinx extension


def _course_map_directive():
    from sphinx.util.docutils import SphinxDirective

    class CourseMap(SphinxDirective):
        """``{course-map}``: the course map, written from the notebooks when the site is built."""

        def run(self):
            for path in sorted((ROOT / contents.LESSONS).glob("*.ipynb")):
                self.env.note_dependency(str(path))
            return self.parse_text_to_nodes(map_table())

    return CourseMap


def _rewrite_links(app, docname: str, source: list[str]) -> None:
    """Point the links that leave the site (the README's course map) at their page on it."""
    for before, after in LINKS.items():
        source[0] = source[0].replace(before, after)


def _widget_placeholders(app, doctree) -> None:
    """An interactive demo's output becomes a note: the site has no kernel to drive it."""
    from docutils import nodes

    for raw in list(doctree.findall(nodes.raw)):
        if raw.astext().lstrip().startswith(WIDGET_VIEW):
            note = nodes.note()
            note += nodes.paragraph(text=WIDGET_NOTE.replace("`", ""))
            raw.replace_self(note)


def _diagrams_as_text(app, doctree) -> None:
    """A Mermaid diagram (the welcome's entity-relationship diagrams) is shown as its text.

    JupyterLab draws them with Mermaid's JavaScript, which no installed package ships; the
    site would have to fetch it from the internet. Its text reads well enough: one line per
    relationship, ``||--o{`` for one to many."""
    from docutils import nodes

    for block in list(doctree.findall(nodes.literal_block)):
        if block.get("language") == "mermaid":
            block["language"] = "text"
            note = nodes.paragraph(text=MERMAID_NOTE, classes=["diagram-note"])
            block.parent.insert(block.parent.index(block), note)


def _font_source() -> Path:
    import mplfonts

    return Path(mplfonts.__file__).parent / "fonts" / FONT_FILE


def write_font(out: Path) -> Path:
    """The CJK font, cut down to the characters the built pages use, as ``out/FONT_OUT``.

    Every character of the site is in its HTML (the search shows excerpts of the same pages),
    so the font need hold no other: a few hundred kilobytes instead of 16 MB. It is written
    again only when the characters changed."""
    from fontTools import subset

    used = set()
    for page in out.rglob("*.html"):
        used.update(CJK.findall(page.read_text(encoding="utf-8", errors="replace")))
    target = out / FONT_OUT
    stamp = target.with_suffix(".chars")
    wanted = "".join(sorted(used))
    if target.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]  # keeps the licence and copyright notices
    font = subset.load_font(str(_font_source()), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=wanted or "中")
    subsetter.subset(font)
    subset.save_font(font, str(target), options)
    stamp.write_text(wanted, encoding="utf-8")
    return target


def _finish(app, exception) -> None:
    """After an HTML build: the font, and the site's ``index.html`` that opens the home page."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    write_font(out)
    home = app.builder.get_target_uri(HOME)
    (out / "index.html").write_text(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        f"<title>{title()}</title>\n"
        f'<meta http-equiv="refresh" content="0; url={home}">\n'
        f'<link rel="canonical" href="{home}"></head>\n'
        f'<body><p><a href="{home}">{title()}</a></p></body></html>\n',
        encoding="utf-8",
    )


def _scratch_outputs(app) -> None:
    """MyST-NB writes the notebooks' images beside the output folder, next to ``_site/`` in
    the repository: write them among Sphinx's own scratch files instead."""
    config = app.env.mystnb_config
    app.env.mystnb_config = config.copy(output_folder=str(Path(app.doctreedir) / "jupyter_execute"))


def setup(app):
    """The course's additions to Sphinx (``site/conf.py`` lists this module as an extension)."""
    app.connect("builder-inited", _scratch_outputs, priority=900)
    app.add_directive("course-map", _course_map_directive())
    app.connect("source-read", _rewrite_links)
    app.connect("doctree-read", _widget_placeholders)
    app.connect("doctree-read", _diagrams_as_text)
    app.connect("build-finished", _finish)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


# ---------------------------------------------------------------- the command


def build(out: Path, *, strict: bool = True, quiet: bool = True) -> int:
    """Run Sphinx on the repository with ``site/``'s configuration; return its exit status."""
    from sphinx.cmd.build import build_main

    args = ["-b", "html", "-c", str(CONFIG), "-d", str(out / ".doctrees")]
    if strict:
        args += ["-W", "--keep-going"]
    if quiet:
        args += ["-q"]
    return build_main([*args, str(ROOT), str(out)])


def pages_built(out: Path) -> list[Path]:
    """The site's pages: every HTML file but Sphinx's own (search, index) and the redirect."""
    own = {"index.html", "genindex.html", "search.html"}
    return [
        page
        for page in sorted(out.rglob("*.html"))
        if "_static" not in page.relative_to(out).parts and str(page.relative_to(out)) not in own
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course.site", description=__doc__)
    parser.add_argument("--out", default=OUT, help=f"the folder to build in (default {OUT})")
    parser.add_argument("--clean", action="store_true", help="remove the folder first")
    parser.add_argument("--verbose", action="store_true", help="print every step of Sphinx")
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()
    if args.clean and out.exists():
        shutil.rmtree(out)
    start = time.perf_counter()
    status = build(out, quiet=not args.verbose)
    seconds = time.perf_counter() - start
    if status:
        print(f"the site did not build (see the warnings above), {seconds:.1f} s", file=sys.stderr)
        return status
    pages = len(pages_built(out))
    print(f"built {pages} pages in {out} in {seconds:.1f} s; open {out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
