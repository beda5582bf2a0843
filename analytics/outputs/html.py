"""The HTML building blocks every page of the outputs shares (the report, the service's health
page): escaping, the page shell with its one stylesheet (static/report.css), cards, tables,
badges, and moments as text."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import cache
from html import escape as _escape
from importlib.resources import files


def escape(value: object) -> str:
    """Any value as HTML text, quotes included (it may land in an attribute)."""
    return _escape(str(value), quote=True)


@cache
def static_file(name: str) -> str:
    """A file of analytics/outputs/static, read once."""
    return files("analytics.outputs").joinpath("static", name).read_text(encoding="utf-8")


def inline(tag: str, static_name: str) -> str:
    """A static file inlined in its element (`style`, `script`): the page needs no network."""
    return f"<{tag}>\n{static_file(static_name)}</{tag}>"


def page(title: str, sections: Iterable[str], *, head: str = "", tail: str = "") -> str:
    """A complete page: `head` goes into <head> (plotly.js), `tail` after the sections (the
    health panel's script)."""
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title>{inline('style', 'report.css')}{head}</head>"
        f"<body><main>{''.join(sections)}</main>{tail}</body></html>\n"
    )


def card(section_id: str, title: str, body: str, css_class: str = "card") -> str:
    """A titled section of the page."""
    return (
        f"<section class='{css_class}' id='{section_id}'><h2>{escape(title)}</h2>{body}</section>"
    )


def table(attributes: str, head: str, body: str) -> str:
    """A table from its header cells and its rows (HTML); `attributes` of the <table> itself."""
    return f"<table {attributes}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def header_cells(headers: Iterable[str]) -> str:
    return "".join(f"<th>{escape(h)}</th>" for h in headers)


def table_row(cells: Iterable[str], attributes: str = "") -> str:
    """A row of cells that are HTML already."""
    return f"<tr{attributes}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def badge(css_class: str, text: object, attributes: str = "") -> str:
    """A coloured word: the class names a state the stylesheet colours (ok, failed, moved...)."""
    return f"<span class='badge {escape(css_class)}'{attributes}>{escape(text)}</span>"


def moment_text(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")


def day_text(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d")
