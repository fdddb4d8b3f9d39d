"""The course's commands: ``python -m course lab``, ``python -m course test``, ...

The Makefile's targets call them (``make lab`` is ``python -m course lab``). This runs with
the computer's own Python before anything is installed, so it uses only the standard library
and checks the Python version before it imports anything that needs a newer one (this file
is written so that even Python 2 reads it and says so)."""

import sys

MINIMUM = (3, 11)


def too_old(version_info=None):
    """The message for a Python older than the course needs, or '' when it is new enough."""
    version = tuple(version_info or sys.version_info)
    if version[:2] >= MINIMUM:
        return ""
    return "This course needs Python {}.{} or newer; {} is Python {}.".format(
        MINIMUM[0],
        MINIMUM[1],
        sys.executable or "this Python",
        ".".join(str(n) for n in version[:3]),
    )


def main():
    message = too_old()
    if message:
        sys.stderr.write(message + "\n")
        return 1
    from course import commands

    return commands.main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
