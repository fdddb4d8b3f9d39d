"""One module of check tasks per chapter: ``from course.checks import ch01 as check``."""
