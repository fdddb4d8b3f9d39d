"""The browser the course's browser tests drive: an installed Chromium, found or named.

Playwright drives it through its Python API; Playwright's own browser download is not needed.
Only the standard library here, so that ``python -m course`` can ask before anything is
installed."""

import os
import shutil
from pathlib import Path

#: set it to the browser's program when it is not on the PATH under a usual name
VARIABLE = "COURSE_BROWSER"
NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
PLACES = (
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    r"C:\Program Files\Google\Chrome\Application\chrome.exe",
    r"C:\Program Files (x86)\Google\Chrome\Application\chrome.exe",
)
#: flags for a headless browser on a machine with no screen and a closed network: without the
#: background-networking ones Chromium keeps calling Google's servers; as root it needs no sandbox
FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


class BrowserMissing(RuntimeError):
    """No Chromium or Chrome to drive."""


def chromium() -> Path:
    """The program of an installed Chromium (or Chrome), or :class:`BrowserMissing` saying how
    to get one."""
    named = os.environ.get(VARIABLE)
    if named:
        if Path(named).is_file():
            return Path(named)
        raise BrowserMissing(f"{VARIABLE}={named}: no such program")
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    for place in PLACES:
        if Path(place).is_file():
            return Path(place)
    raise BrowserMissing(
        "The browser tests need Chromium or Chrome, and none was found "
        f"(looked for {', '.join(NAMES)} on the PATH). Install it (Debian/Ubuntu: "
        "apt install chromium; macOS: brew install --cask chromium; Windows: Chrome) "
        f"or set {VARIABLE} to the browser's program."
    )
