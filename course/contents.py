"""The course's contents, read from its notebooks: the course map and the navigation links.

The plan of the course (:data:`PLAN`: every chapter, its textbook section and databases) is
written once. A chapter is *ready* when its lesson exists in ``notebooks/``; then its title is
the lesson's first heading and its databases are the ones the lesson opens with
``generator.load(...)``, so the map cannot drift from the notebooks. Two things are written
from that, the way the *Python Data Science Handbook* writes its contents and links:

- the course map in the top-level ``README.md``, between the markers ``<!-- course map -->``
  and ``<!-- end of course map -->``;
- a navigation cell at the top and the bottom of every lesson, exercise and solution notebook
  (a markdown cell tagged ``navigation``): the previous and next chapter, the lesson or the
  exercises, and the course map.

The instructor guide's facts (:mod:`course.guide`) are written and checked with them::

    python -m course.contents write     # make contents (part of make notebooks and exercises)
    python -m course.contents check     # fails when anything drifted (tests do the same)
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
LESSONS, SOLUTIONS, EXERCISES = "notebooks", "solutions", "exercises"
README = "README.md"
MAP_START, MAP_END = "<!-- course map -->", "<!-- end of course map -->"
TAG = "navigation"


@dataclass(frozen=True)
class Chapter:
    number: str
    title: str
    section: str  # the textbook's section (第三章)
    databases: tuple[str, ...]
    file: str | None = None  # the lesson's file name, once it is written

    @property
    def ready(self) -> bool:
        return self.file is not None


ALL = ("retail", "bank", "pharma", "auto")

#: The whole course in reading order, as planned; a written lesson overrides title and databases.
PLAN = (
    Chapter("00", "Welcome: the kit, the four companies, the glossary", "—", ALL),
    Chapter("01", "What a customer database is (客户数据库)", "第一节 一", ("retail",)),
    Chapter("02", "Building the customer database (客户数据库的建立)", "第一节 二", ("auto",)),
    Chapter(
        "03",
        "Why customer databases fail, and keeping one alive (客户数据库的维护)",
        "第二节 一、四",
        ("bank", "retail"),
    ),
    Chapter(
        "04",
        "Acquiring customers into the database; controlling it (客户获取, 控制)",
        "第二节 二、三",
        ("auto", "pharma"),
    ),
    Chapter(
        "05",
        "Knowing the customer: RFM 模型, ABC pyramid, lifetime value",
        "第一节 (作用); seeds 002–004",
        ("retail", "bank"),
    ),
    Chapter(
        "06",
        "The database-marketing procedure and plan (数据库营销)",
        "第三节 四、五",
        ("bank", "retail"),
    ),
    Chapter(
        "07", "Relationship and one-to-one marketing (关系营销, 一对一营销)", "第三节", ("retail",)
    ),
    Chapter("C1", "Case: a supermarket chain (经销案例)", "第四节 一", ("retail",)),
    Chapter("C2", 'Case: a bank\'s "micro-code" marketing (微码营销)', "第四节 二", ("bank",)),
    Chapter("C3", "Case: a multinational drug maker in China (医药案例)", "第四节 三", ("pharma",)),
    Chapter("C4", "Case: a multinational automaker in China (汽车案例)", "第四节 四", ("auto",)),
    Chapter(
        "A1", "Appendix: big databases, built in parts and asked with DuckDB", "附录", ("retail",)
    ),
)

LOADS = re.compile(r"generator\.load\(\s*[\"'](\w+)[\"']")
HEADING = re.compile(r"^#\s+(\S+)\s+(.*)$", re.M)


def _lesson_file(number: str, root: Path) -> Path | None:
    found = sorted((root / LESSONS).glob(f"{number}_*.ipynb"))
    return found[0] if found else None


def _from_lesson(chapter: Chapter, path: Path) -> Chapter:
    """The chapter as its lesson tells it: the first heading's title, the databases it loads."""
    notebook = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    heading = HEADING.search(text)
    title = heading.group(2).strip() if heading else chapter.title
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    loaded = set(LOADS.findall(code))
    if "contents.ALL" in code:  # opens the four companies
        loaded |= set(ALL)
    databases = tuple(name for name in ALL if name in loaded) or chapter.databases
    return replace(chapter, title=title, databases=databases, file=path.name)


def chapters(root: Path = ROOT) -> list[Chapter]:
    """Every chapter in reading order; the ready ones as their lessons tell them."""
    found = []
    for chapter in PLAN:
        path = _lesson_file(chapter.number, root)
        found.append(_from_lesson(chapter, path) if path else chapter)
    return found


def has_exercises(chapter: Chapter, root: Path = ROOT) -> bool:
    return chapter.ready and (root / SOLUTIONS / chapter.file).exists()


# ---------------------------------------------------------------- the course map


def map_table(root: Path = ROOT, *, up: str = "", site: bool = False) -> str:
    """The course map: one row per chapter, linked where the lesson exists; links start with
    ``up``. The README's map links the solutions; the website's (``site``) links the
    instructor guide's page instead, since the solutions are not published."""
    columns = ["#", "lesson", "exercises", *(["instructor guide"] if site else [])]
    columns += ["textbook section", "database(s)"]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for c in chapters(root):
        guide = []
        if c.ready:
            lesson = f"[{c.title}]({up}{LESSONS}/{c.file})"
            exercises = "—"
            if has_exercises(c, root):
                exercises = f"[exercises]({up}{EXERCISES}/{c.file})"
                if not site:
                    exercises += f", [solutions]({SOLUTIONS}/{c.file})"
            if site:
                page = Path(c.file).with_suffix(".md").name
                found = (root / "instructors" / page).exists()
                guide = [f"[guide]({up}instructors/{page})" if found else "—"]
        else:
            lesson, exercises = f"{c.title} *(not written yet)*", ""
            guide = [""] if site else []
        databases = ", ".join(f"`{name}`" for name in c.databases)
        cells = [c.number, lesson, exercises, *guide, c.section, databases]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def readme_with_map(text: str, root: Path = ROOT) -> str:
    """The README text with its course map rewritten between the markers."""
    start, end = text.find(MAP_START), text.find(MAP_END)
    if start < 0 or end < start:
        raise ValueError(f"{README} has no {MAP_START} ... {MAP_END} markers")
    return text[: start + len(MAP_START)] + "\n" + map_table(root) + "\n" + text[end:]


# ---------------------------------------------------------------- navigation cells


def _link(chapter: Chapter, folder: str, here: str, label: str) -> str:
    target = chapter.file if folder == here else f"../{folder}/{chapter.file}"
    return f"[{label}]({target})"


def navigation(
    chapter: Chapter, folder: str, root: Path = ROOT, course: list[Chapter] | None = None
) -> str:
    """The navigation line of a chapter's notebook in ``folder`` (lessons or exercises);
    ``course``: the :func:`chapters`, when the caller has them (they read every lesson)."""
    ready = [c for c in (course or chapters(root)) if c.ready]
    if folder != LESSONS:
        ready = [c for c in ready if has_exercises(c, root)]
    where = [c.number for c in ready].index(chapter.number)
    before = ready[where - 1] if where > 0 else None
    after = ready[where + 1] if where + 1 < len(ready) else None
    kind = "" if folder == LESSONS else "exercises "
    parts = []
    if before:
        parts.append(_link(before, folder, folder, f"◀ {kind}{before.number} {_short(before)}"))
    if folder == LESSONS and has_exercises(chapter, root):
        parts.append(_link(chapter, EXERCISES, folder, f"{chapter.number} exercises"))
    if folder != LESSONS:
        parts.append(_link(chapter, LESSONS, folder, f"{chapter.number} lesson"))
    parts.append(f"[course map](../{README}#course-map)")
    if after:
        parts.append(_link(after, folder, folder, f"{kind}{after.number} {_short(after)} ▶"))
    return " | ".join(parts)


def _short(chapter: Chapter) -> str:
    """A chapter's title without its parenthesis (the textbook's section name)."""
    return re.sub(r"\s*\(.*\)\s*$", "", chapter.title)


def with_navigation(notebook: nbformat.NotebookNode, line: str) -> nbformat.NotebookNode:
    """The notebook with one navigation cell at the top and one at the bottom (replacing any)."""
    cells = [c for c in notebook.cells if TAG not in c.metadata.get("tags", [])]
    top, bottom = (
        nbformat.v4.new_markdown_cell(line, metadata={"tags": [TAG]}, id=f"{TAG}-{end}")
        for end in ("top", "bottom")
    )
    notebook.cells = [top, *cells, bottom]
    return notebook


def _notebooks(root: Path, course: list[Chapter]) -> list[tuple[Path, Chapter, str]]:
    """Every notebook of the ``course`` with its chapter and folder kind (lessons or
    exercises)."""
    found = []
    for chapter in course:
        if not chapter.ready:
            continue
        found.append((root / LESSONS / chapter.file, chapter, LESSONS))
        if has_exercises(chapter, root):
            found.append((root / SOLUTIONS / chapter.file, chapter, SOLUTIONS))
    return found


def drift(root: Path = ROOT) -> list[str]:
    """What is out of date: the README's map, or a notebook's navigation cells."""
    problems = []
    readme = (root / README).read_text(encoding="utf-8")
    if readme_with_map(readme, root) != readme:
        problems.append(f"{README}: the course map differs from the notebooks")
    course = chapters(root)
    for path, chapter, folder in _notebooks(root, course):
        stored = nbformat.read(path, as_version=4)
        line = navigation(chapter, folder, root, course)
        if with_navigation(copy.deepcopy(stored), line).cells != stored.cells:
            problems.append(f"{path.relative_to(root)}: navigation links out of date")
    return problems


def write(root: Path = ROOT) -> list[Path]:
    """Rewrite the README's map and every notebook's navigation cells; return what changed."""
    changed = []
    readme = root / README
    text = readme.read_text(encoding="utf-8")
    if readme_with_map(text, root) != text:
        readme.write_text(readme_with_map(text, root), encoding="utf-8")
        changed.append(readme)
    course = chapters(root)
    for path, chapter, folder in _notebooks(root, course):
        notebook = nbformat.read(path, as_version=4)
        before = [dict(c) for c in notebook.cells]
        with_navigation(notebook, navigation(chapter, folder, root, course))
        if [dict(c) for c in notebook.cells] != before:
            nbformat.write(notebook, path)
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course.contents", description=__doc__)
    parser.add_argument("action", choices=["write", "check"])
    args = parser.parse_args(argv)
    from course import guide  # the guide reads the chapters from here

    if args.action == "write":
        for path in write() + guide.write():
            print(f"wrote {path.relative_to(ROOT)}")
        return 0
    problems = drift() + guide.drift()
    if problems:
        print(
            "The course map, navigation links or instructor guide are out of date "
            "(run `make contents`):",
            *problems,
            sep="\n  ",
            file=sys.stderr,
        )
        return 1
    print("course map, navigation links and instructor guide up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
