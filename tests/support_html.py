"""Reading the HTML report back in tests: well-formedness with html.parser, ids, text, references;
and rendering it in headless Chromium."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

# Elements that never have a closing tag (HTML living standard, "void elements").
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})


class ParsedPage(HTMLParser):
    """Tags must nest and close; records ids, text, SVG charts and every URL-bearing attribute."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.text: list[str] = []
        self.charts = 0
        self.urls: list[str] = []
        self.problems: list[str] = []
        self.stack: list[str] = []
        self.meta: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        if tag == "svg" and "chart" in (values.get("class") or "").split():
            self.charts += 1
        if tag == "meta" and values.get("http-equiv"):
            self.meta[str(values["http-equiv"])] = str(values.get("content"))
        self.urls += [str(values[key]) for key in ("src", "href", "xlink:href", "action") if values.get(key)]
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_page(text: str) -> ParsedPage:
    page = ParsedPage()
    page.feed(text)
    page.close()
    if page.stack:
        page.problems.append(f"never closed: {page.stack}")
    return page


CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--enable-logging=stderr",
    "--v=0",
)


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Rendered:
    dom: str
    console: list[str]
    screenshot: bytes


def render(path: Path, browser: str, tmp: Path, size: tuple[int, int] = (1400, 1800)) -> Rendered:
    """The DOM after the page ran, every console message (CSP violations and script errors are
    console messages), and a screenshot."""
    url = path.resolve().as_uri()
    profile = ("--user-data-dir=" + str(tmp / "profile"),)
    dom = subprocess.run(
        [browser, *CHROMIUM_FLAGS, *profile, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=True
    )
    shot = tmp / "shot.png"
    subprocess.run(
        [browser, *CHROMIUM_FLAGS, *profile, f"--screenshot={shot}", f"--window-size={size[0]},{size[1]}", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    console = [line for line in dom.stderr.splitlines() if ":CONSOLE" in line]
    return Rendered(dom.stdout, console, shot.read_bytes())


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
