"""One report from every section: printed as text tables, written as JSON and Markdown."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.suite.figures import Figure, Section

HEADERS = ("figure", "value", "baseline", "ratio", "target", "met?", "baseline is")


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    if value == int(value) and abs(value) >= 100:
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.1f}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}".rstrip("0").rstrip(".")


def _met(figure: Figure) -> str:
    return {True: "yes", False: "NO", None: ""}[figure.met]


def figure_row(figure: Figure) -> tuple[str, ...]:
    baseline = f"{_number(figure.baseline)} {figure.unit}" if figure.baseline is not None else ""
    ratio = f"{figure.ratio:.2f}x" if figure.ratio is not None else ""
    label = figure.baseline_label if figure.baseline is not None else ""
    return (figure.name, f"{_number(figure.value)} {figure.unit}", baseline, ratio, figure.target, _met(figure), label)


def _footnotes(section: Section) -> list[str]:
    return [f"{figure.name}: {figure.note}" for figure in section.figures if figure.note] + section.notes


def _text_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [min(max(len(row[i]) for row in cells), 64) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()

    return [line(cells[0]), "  ".join("-" * w for w in widths)] + [line(row) for row in cells[1:]]


def text(sections: Sequence[Section], header: dict[str, Any]) -> str:
    lines = [
        f"Ventanilla benchmark suite · {header['when']} · {header['machine']} · {header['wall_seconds']:.0f} s in all",
        "",
    ]
    for section in sections:
        lines.append(f"== {section.name} ({section.seconds:.0f} s) ==")
        lines += _text_table(HEADERS, [figure_row(f) for f in section.figures])
        for table in section.tables:
            lines += ["", f"  {table.title}"]
            lines += ["  " + row for row in _text_table(table.headers, table.rows)]
        lines += [f"  · {note}" for note in _footnotes(section)]
        lines.append("")
    return "\n".join(lines)


def _md_cell(value: Any) -> str:
    return str(value).replace("|", "\\|")


def _md_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(_md_cell(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    return lines + ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]


def markdown(sections: Sequence[Section], header: dict[str, Any]) -> str:
    lines = [
        "# Benchmark suite (`make bench`)",
        "",
        f"{header['when']} · {header['machine']} · {header['wall_seconds']:.0f} s in all · "
        "every baseline measured in the same run on the same machine. What the figures mean and what was "
        "changed: [docs/performance.md](../../docs/performance.md).",
        "",
    ]
    for section in sections:
        lines += [f"## {section.name} ({section.seconds:.0f} s)", ""]
        lines += _md_table(HEADERS, [figure_row(f) for f in section.figures])
        for table in section.tables:
            lines += ["", f"**{table.title}**", ""]
            lines += _md_table(table.headers, table.rows)
        if _footnotes(section):
            lines += [""] + [f"- {note}" for note in _footnotes(section)]
        lines.append("")
    return "\n".join(lines)


def write(out: Path, sections: Sequence[Section], header: dict[str, Any], name: str = "bench") -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    as_json, as_md = out / f"{name}.json", out / f"{name}.md"
    document = {**header, "sections": [s.as_dict() for s in sections]}
    as_json.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    as_md.write_text(markdown(sections, header), encoding="utf-8")
    return as_json, as_md
