"""The instructor guide (``instructors/``): one page per chapter, its facts written from the
notebooks so that they cannot drift from them.

A page is the instructor's own text (teaching notes, how to run the class) around a part this
module writes between ``<!-- written by make contents -->`` and ``<!-- end of written part -->``:

- the chapter's objectives (the lesson's "What you will learn") and textbook section;
- the time needed, from what was measured in the notebooks (words of prose, code cells,
  tasks and questions) at stated rates;
- every task and judgement question of the solution notebook with its points, how it is graded
  and the objective it assesses (a task's text ends with ``Objective 3.``);
- the mistakes each check names (its hints): what students usually get wrong;
- the judgement questions with their model answers.

``python -m course.contents write`` (``make contents``) writes these parts with the course map
and the navigation links; ``check`` and ``tests/test_guide.py`` fail when one is out of date.
"""

from __future__ import annotations

import importlib
import math
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from course import contents
from course.checking import answer_key

FOLDER = "instructors"
START, END = "<!-- written by make contents -->", "<!-- end of written part -->"

#: The rates the time estimate uses (the counts are measured in the notebooks).
WORDS_PER_MINUTE = 100  # technical English read carefully, often in a second language
MINUTES_PER_CODE_CELL = 1.0  # run it, read its output
MINUTES_PER_TASK = 12  # work a code task, with one or two wrong tries and their hints
MINUTES_PER_QUESTION = 8  # write a short judgement answer

OBJECTIVE = re.compile(r"\bobjectives? (\d+(?:\s*(?:,|and)\s*\d+)*)\.", re.I)
CHECK_CALL = re.compile(r"^check\.(\w+)\(")
CHECK_MODULE = re.compile(r"^from course\.checks import (\w+) as check$", re.M)


@dataclass(frozen=True)
class Item:
    """A task (graded automatically) or a judgement question (graded by hand)."""

    title: str
    grade_id: str
    points: int
    manual: bool
    objectives: tuple[int, ...]
    check: str | None = None  # the check task's name
    answer: str = ""  # a question's model answer


def objectives(lesson: nbformat.NotebookNode) -> list[str]:
    """The lesson's "What you will learn" bullets, in order."""
    for cell in lesson.cells:
        if cell.cell_type == "markdown" and "What you will learn" in cell.source:
            text = cell.source.split("What you will learn", 1)[1]
            # bullets or a numbered list, each item's continuation lines indented
            bullets = re.findall(r"^(?:- |\d+\. )(.+(?:\n {2,}.+)*)", text, re.M)
            return [" ".join(b.split()) for b in bullets]
    return []


def words(notebook: nbformat.NotebookNode) -> int:
    """Words of prose in the markdown cells (code blocks and navigation cells left out)."""
    text = "\n".join(
        c.source
        for c in notebook.cells
        if c.cell_type == "markdown" and contents.TAG not in c.metadata.get("tags", [])
    )
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    latin = re.findall(r"[A-Za-z0-9][\w'’-]*", text)
    chinese = re.findall(r"[\u4e00-\u9fff]", text)
    return len(latin) + len(chinese) // 2  # two characters read about as fast as a word


def code_cells(notebook: nbformat.NotebookNode) -> int:
    return sum(1 for c in notebook.cells if c.cell_type == "code" and c.source.strip())


def items(solution: nbformat.NotebookNode) -> list[Item]:
    """The solution notebook's tasks and judgement questions, in order."""
    found = []
    cells = solution.cells
    for i, cell in enumerate(cells):
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("solution"):
            continue
        prompt = next(c for c in reversed(cells[:i]) if c.cell_type == "markdown")
        title = prompt.source.splitlines()[0].lstrip("# ").strip()
        wanted = tuple(
            int(n) for group in OBJECTIVE.findall(prompt.source) for n in re.findall(r"\d+", group)
        )
        if meta.get("grade"):  # an answer graded by hand
            found.append(
                Item(title, meta["grade_id"], meta["points"], True, wanted, answer=cell.source)
            )
            continue
        test = cells[i + 1]
        call = CHECK_CALL.match(test.source)
        found.append(
            Item(
                title,
                meta["grade_id"],
                test.metadata["nbgrader"]["points"],
                False,
                wanted,
                check=call.group(1) if call else None,
            )
        )
    return found


def _minutes(value: float) -> int:
    return max(5, 5 * math.ceil(value / 5))


def written_part(chapter: contents.Chapter, root: Path = contents.ROOT) -> str:
    """The part of a chapter's guide page written from its notebooks."""
    lesson = nbformat.read(root / contents.LESSONS / chapter.file, as_version=4)
    goals = objectives(lesson)
    lines = [START, "", f"**Textbook**: {chapter.section}. **Databases**: "]
    lines[-1] += ", ".join(f"`{name}`" for name in chapter.databases) + "."
    lines += ["", '### Objectives (the lesson\'s "What you will learn")', ""]
    lines += [f"{n}. {goal}" for n, goal in enumerate(goals, 1)]
    lesson_words, lesson_cells = words(lesson), code_cells(lesson)
    reading = lesson_words / WORDS_PER_MINUTE + lesson_cells * MINUTES_PER_CODE_CELL
    rows = [
        f"| lesson | {lesson_words:,} | {lesson_cells} | — | about {_minutes(reading)} min |",
    ]
    found: list[Item] = []
    if contents.has_exercises(chapter, root):
        solution = nbformat.read(root / contents.SOLUTIONS / chapter.file, as_version=4)
        found = items(solution)
        tasks = [i for i in found if not i.manual]
        questions = [i for i in found if i.manual]
        work = len(tasks) * MINUTES_PER_TASK + len(questions) * MINUTES_PER_QUESTION
        work += words(solution) / WORDS_PER_MINUTE
        rows.append(
            f"| exercises | {words(solution):,} | {code_cells(solution)} | "
            f"{len(tasks)} tasks, {len(questions)} question(s) | about {_minutes(work)} min |"
        )
    lines += [
        "",
        "### Time needed",
        "",
        "| notebook | words of prose | code cells | to do | time |",
        "|---|---|---|---|---|",
        *rows,
        "",
        f"Counted in the notebooks; the time assumes {WORDS_PER_MINUTE} words of prose a minute, "
        f"{MINUTES_PER_CODE_CELL:g} minute per code cell run and read, {MINUTES_PER_TASK} "
        f"minutes per code task and {MINUTES_PER_QUESTION} per judgement question. Replace it "
        "with your class's own timing once you have it.",
    ]
    if found:
        lines += _items_part(chapter, found, goals, root)
    lines += ["", END]
    return "\n".join(lines)


def _items_part(chapter, found: list[Item], goals: list[str], root: Path) -> list[str]:
    solution = nbformat.read(root / contents.SOLUTIONS / chapter.file, as_version=4)
    code = "\n".join(c.source for c in solution.cells if c.cell_type == "code")
    module = importlib.import_module(f"course.checks.{CHECK_MODULE.search(code).group(1)}")
    auto = sum(i.points for i in found if not i.manual)
    manual = sum(i.points for i in found if i.manual)
    lines = [
        "",
        "### Tasks, questions and what they assess",
        "",
        f"{auto + manual} points: {auto} graded automatically by the check cells, {manual} by "
        "hand (nbgrader's formgrader).",
        "",
        "| task or question | grade id | points | graded | objective(s) |",
        "|---|---|---|---|---|",
    ]
    for item in found:
        graded = "by hand" if item.manual else "automatically"
        wanted = ", ".join(str(n) for n in item.objectives) or "—"
        lines.append(f"| {item.title} | `{item.grade_id}` | {item.points} | {graded} | {wanted} |")
    missed = [n for n in range(1, len(goals) + 1) if not any(n in i.objectives for i in found)]
    if missed:
        lines += ["", f"Not assessed: objective(s) {', '.join(map(str, missed))}."]
    lines += ["", "### What students get wrong (the mistakes each check names)", ""]
    for item in found:
        if item.manual or item.check is None:
            continue
        _, mistakes = answer_key(getattr(module, item.check))
        lines.append(f"- **{item.title}** (`check.{item.check}`):")
        lines += [f"  - {hint}" for hint in mistakes]
    questions = [i for i in found if i.manual]
    if questions:
        lines += ["", "### Judgement questions and model answers", ""]
        for item in questions:
            lines += [f"**{item.title}** ({item.points} points). Model answer:", ""]
            lines += [f"> {line}" if line else ">" for line in item.answer.splitlines()]
            lines.append("")
    return lines


def page_path(chapter: contents.Chapter, root: Path = contents.ROOT) -> Path:
    return root / FOLDER / chapter.file.replace(".ipynb", ".md")


def page_with_part(text: str, part: str) -> str:
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"no {START} ... {END} markers")
    return text[:start] + part + text[end + len(END) :]


def new_page(chapter: contents.Chapter) -> str:
    return (
        f"# {chapter.number} {chapter.title}: instructor guide\n\n{START}\n{END}\n\n"
        "## Teaching notes\n\n(How to run the class: what to show, where students stop.)\n"
    )


def drift(root: Path = contents.ROOT) -> list[str]:
    problems = []
    for chapter in contents.chapters(root):
        if not chapter.ready:
            continue
        path = page_path(chapter, root)
        if not path.exists():
            problems.append(f"{path.relative_to(root)}: missing")
            continue
        text = path.read_text(encoding="utf-8")
        if page_with_part(text, written_part(chapter, root)) != text:
            problems.append(f"{path.relative_to(root)}: out of date with the notebooks")
    return problems


def write(root: Path = contents.ROOT) -> list[Path]:
    changed = []
    for chapter in contents.chapters(root):
        if not chapter.ready:
            continue
        path = page_path(chapter, root)
        text = path.read_text(encoding="utf-8") if path.exists() else new_page(chapter)
        wanted = page_with_part(text, written_part(chapter, root))
        if not path.exists() or wanted != text:
            path.parent.mkdir(exist_ok=True)
            path.write_text(wanted, encoding="utf-8")
            changed.append(path)
    return changed
