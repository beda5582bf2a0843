"""A real headless browser for tests: Debian's chromium driven from the command line.

`render` loads a page from disk (or from a service on this machine), lets its scripts run, and
returns the DOM after rendering, the console messages and a screenshot. `plotly_charts` reads
what plotly drew into each chart from that DOM; `read_page` reads the report's tables and the
health panel's labelled values from a page or a DOM.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Chromium prints page console messages (log, warn, error, uncaught exceptions) as
# `...:INFO:CONSOLE(line)] "message", source: url (line)` with --enable-logging=stderr.
CONSOLE_LINE = re.compile(r":CONSOLE(?:\(\d+\)|:\d+)\] (.*)$")
AXIS_TITLE = re.compile(r"^([xy])\d*title$")  # xtitle, x2title, ...: one per subplot axis
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
             "source", "track", "wbr"}  # fmt: skip


def chromium_available() -> bool:
    return Path(CHROMIUM).exists()


@dataclass
class Rendered:
    dom: str
    console: list[str]
    screenshot: Path


def render(page: Path | str, screenshot: Path, profile: Path, width: int = 1400,
           height: int = 5000, budget_ms: int = 10000) -> Rendered:  # fmt: skip
    """Open `page` (a file, or a URL on this machine) headless; virtual time lets plotly finish
    before the dump."""
    args = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-extensions", f"--user-data-dir={profile}",
        "--enable-logging=stderr", "--v=0", f"--virtual-time-budget={budget_ms}",
        f"--window-size={width},{height}", f"--screenshot={screenshot}", "--dump-dom",
        page.resolve().as_uri() if isinstance(page, Path) else page,
    ]  # fmt: skip
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    console = [m.group(1) for m in map(CONSOLE_LINE.search, done.stderr.splitlines()) if m]
    return Rendered(dom=done.stdout, console=console, screenshot=screenshot)


@dataclass
class ChartDom:
    """What plotly drew into one chart div."""

    main_svgs: int = 0
    subplots: int = 0  # panels (cartesian subplots) of the figure
    traces: int = 0
    marks: int = 0  # bars, points, lines, heatmap images
    title: str = ""
    x_title: str = ""
    y_title: str = ""
    classes: set[str] = field(default_factory=set)


class _ChartParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.charts: dict[str, ChartDom] = {}
        # tag, chart id, text role, classes of each open element
        self.stack: list[tuple[str, str | None, str | None, set[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = set((a.get("class") or "").split())
        chart, role, parent = self.stack[-1][1:] if self.stack else (None, None, set())
        if tag == "div" and "plotly-graph-div" in classes:
            chart = a.get("id")
            self.charts[chart] = ChartDom(classes=classes)
        if chart is not None:
            found = self.charts[chart]
            found.main_svgs += tag == "svg" and "main-svg" in classes
            found.subplots += tag == "g" and "subplot" in classes
            found.traces += tag == "g" and bool(classes & {"trace", "hm"})  # hm: a heatmap
            found.marks += (
                tag == "path" and ("point" in parent or bool(classes & {"point", "js-line"}))
            ) or (tag == "image" and "hm" in parent)
            if tag == "text":
                for text_class in classes:
                    axis = AXIS_TITLE.match(text_class)
                    if text_class == "gtitle" or axis:
                        role = f"{axis.group(1)}title" if axis else text_class
        if tag not in VOID_TAGS:
            self.stack.append((tag, chart, role, classes))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1][1] is not None and self.stack[-1][2]:
            chart = self.charts[self.stack[-1][1]]
            attr = {"gtitle": "title", "xtitle": "x_title", "ytitle": "y_title"}[self.stack[-1][2]]
            setattr(chart, attr, (getattr(chart, attr) + " " + data).strip())


def plotly_charts(dom: str) -> dict[str, ChartDom]:
    """Every plotly chart div of a rendered DOM, by id."""
    parser = _ChartParser()
    parser.feed(dom)
    return parser.charts


# --- the report's tables and the health panel, read from a page or a rendered DOM -----------


@dataclass
class Page:
    """Tables by their `data-kind` or `data-rows` attribute (header, then rows of cell texts),
    the health panel's labelled values, and the elements that carry a /health field."""

    tables: dict[str, list[list[str]]] = field(default_factory=dict)
    facts: dict[str, str] = field(default_factory=dict)
    fields: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # attrs + "text"


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.table: list[list[str]] | None = None
        self.cell: list[str] | None = None
        self.label: list[str] | None = None
        self.value: list[str] | None = None
        self.last_label = ""
        self.open_fields: list[tuple[str, dict[str, str], list[str]]] = []  # tag, attrs, text
        self.hidden: list[str] = []  # open tags of an element marked hidden, and inside it

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if (self.hidden or "hidden" in a) and tag not in VOID_TAGS:
            self.hidden.append(tag)  # what a person does not see is not read either
        if tag == "table" and ("data-kind" in a or "data-rows" in a):
            self.table = self.page.tables.setdefault(a.get("data-kind") or a["data-rows"], [])
        elif tag == "tr" and self.table is not None:
            self.table.append([])
        elif tag in ("td", "th") and self.table is not None:
            self.cell = []
        elif tag == "dt":
            self.label = []
        elif tag == "dd":
            self.value = []
        if "data-field" in a and tag not in VOID_TAGS:
            self.open_fields.append((tag, a, []))

    def handle_endtag(self, tag: str) -> None:
        if self.hidden and self.hidden[-1] == tag:
            self.hidden.pop()
        if tag in ("td", "th") and self.cell is not None and self.table:
            self.table[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "table":
            self.table = None
        elif tag == "dt" and self.label is not None:
            self.last_label, self.label = "".join(self.label).strip(), None
        elif tag == "dd" and self.value is not None:
            self.page.facts[self.last_label] = " ".join("".join(self.value).split())
            self.value = None
        if self.open_fields and self.open_fields[-1][0] == tag:
            _, a, text = self.open_fields.pop()
            self.page.fields.setdefault(a["data-field"], []).append(
                {**a, "text": " ".join("".join(text).split())}
            )

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        for text in (self.cell, self.label, self.value):
            if text is not None:
                text.append(data)
        for _, _, text in self.open_fields:
            text.append(data)


def read_page(dom: str) -> Page:
    parser = _PageParser()
    parser.feed(dom)
    return parser.page
