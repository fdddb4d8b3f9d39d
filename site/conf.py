"""Sphinx configuration of the course's website (``python -m course.site``, ``make site``).

The source folder is the repository itself, so that the relative links between the
notebooks, the exercises and the instructor guide work on the site as they do in JupyterLab;
``include_patterns`` picks the pages. The notebooks are shown as stored, never run.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the course package of this repository, for its extension

from course import site  # noqa: E402

project = site.title(ROOT)
author = "the course's authors"
copyright = "the course's authors, MIT licence"
language = "en"

extensions = ["myst_nb", "course.site"]

root_doc = site.HOME
include_patterns = [
    "site/*.md",
    "notebooks/[0-9AC]*.ipynb",
    "exercises/*.ipynb",
    "exercises/README.md",
    "instructors/*.md",
    "datasets/README.md",
    "datasets/*/DATA_DICTIONARY.md",
]
# folders that hold no page are not even walked; solutions/ is never published
exclude_patterns = [
    ".*",
    "**/.*",
    "_site",
    "_lite",
    "build",
    "dist",
    "screenshots",
    "solutions",
    "solutions/**",
    "tests",
    "generator",
    "course",
    "benchmarks",
    "templates",
    "tools",
    "config",
    "datasets/zh_CN",  # the same tables as the en_US dictionaries
    "datasets/*/_truth",
    "datasets/*/sources",
]

# the stored outputs are the pages': nothing is executed
nb_execution_mode = "off"
# interactive demos need a kernel: no widget scripts (they would come from a CDN)
nb_ipywidgets_js = {}
# the markdown outputs (the glossary, the tables of the tour) hold tables: MyST, not CommonMark
nb_render_markdown_format = "myst"
# the text as the notebooks have it: no curly quotes or dashes made of ' and --
smartquotes = False
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]
# the instructor guide's pages go from their title (#) to ### on purpose
suppress_warnings = ["myst.header"]

html_theme = "sphinx_book_theme"
html_title = project
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_last_updated_fmt = None
html_copy_source = False
html_show_sourcelink = False
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
}
