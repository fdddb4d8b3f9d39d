"""The course's plot style, set once in each notebook's Setup cell: ``style.setup()``.

Seaborn's white grid, and text that shows Chinese as well as English. Matplotlib's own font
(DejaVu Sans) has no Chinese characters: a zh_CN build's company, city and category names
would come out as empty boxes, with a "Glyph ... missing from font" warning for each. The
course registers Noto Sans CJK SC, which the ``mplfonts`` package ships (SIL Open Font
License), and puts it behind DejaVu Sans: Latin text looks as before, and each character
DejaVu Sans lacks is drawn from the CJK font (Matplotlib's per-glyph font fallback).
"""

from __future__ import annotations

import functools
from importlib import resources

import matplotlib.pyplot as plt
import seaborn as sns
from matplotlib import font_manager

#: The fonts text is drawn with, in order: each character from the first that has it.
FONTS = ("DejaVu Sans", "Noto Sans CJK SC")
CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"


@functools.cache
def cjk_font() -> str:
    """Register the CJK font with Matplotlib (once per kernel) and return its family name."""
    path = resources.files("mplfonts") / "fonts" / CJK_FONT_FILE
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def setup() -> None:
    """Seaborn's white grid, with fonts that draw Chinese."""
    sns.set_theme(style="whitegrid")
    plt.rcParams["font.family"] = [FONTS[0], cjk_font()]
