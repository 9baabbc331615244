"""docs/images/benchmarks.svg: one small bar chart per measurement, medians with min-max
whiskers, cargohold in orange. Plain SVG written here, no plotting library."""

from __future__ import annotations

from html import escape
from typing import Any

from bench.harness.metrics import Metric, metrics, summaries

SHOWN = ("enqueue", "bulk_enqueue", "drain", "latency_p50", "memory_pss", "backlog_ratio")
COLUMNS = 2
PANEL_WIDTH = 480
LABEL_WIDTH = 135
VALUE_WIDTH = 70
ROW = 18
TITLE = 34
GAP = 24
OURS, PEER, WHISKER = "#e8590c", "#748ffc", "#343a40"


def render(document: dict[str, Any]) -> str:
    table = summaries(document)
    chosen = [m for m in metrics(document) if m.key in SHOWN]
    panels = [_panel(metric, table) for metric in chosen]
    panels = [p for p in panels if p is not None]
    heights = [height for _, height in panels]
    rows = [heights[i : i + COLUMNS] for i in range(0, len(heights), COLUMNS)]
    row_heights = [max(r) for r in rows]
    width = COLUMNS * PANEL_WIDTH + (COLUMNS - 1) * GAP + 2 * GAP
    height = sum(row_heights) + GAP * (len(rows) + 1) + 30
    body = []
    y = 40
    for index, (content, _) in enumerate(panels):
        column = index % COLUMNS
        if index and column == 0:
            y += row_heights[index // COLUMNS - 1] + GAP
        x = GAP + column * (PANEL_WIDTH + GAP)
        body.append(f'<g transform="translate({x},{y})">{content}</g>')
    title = f"cargohold vs peers: medians of {document['plan']['repeat']} runs, whiskers min-max"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">'
        f'<rect width="100%" height="100%" fill="white"/>'
        f'<text x="{GAP}" y="24" font-size="15" font-weight="bold">{escape(title)}</text>'
        + "".join(body)
        + "</svg>\n"
    )


def _panel(metric: Metric, table: dict[str, Any]) -> tuple[str, int] | None:
    rows = [(system, r[metric.key]) for system, r in table.items() if metric.key in r]
    if not rows:
        return None
    rows.sort(key=lambda r: -r[1]["median"] if metric.higher_is_better else r[1]["median"])
    top = max(max(stats["max"], stats["median"]) for _, stats in rows) or 1.0
    scale = (PANEL_WIDTH - LABEL_WIDTH - VALUE_WIDTH) / top
    better = "higher" if metric.higher_is_better else "lower"
    parts = [
        f'<text x="0" y="14" font-weight="bold">{escape(metric.title)}</text>'
        f'<text x="0" y="28" fill="#555">{escape(metric.unit)}, {better} is better</text>'
    ]
    for i, (system, stats) in enumerate(rows):
        y = TITLE + i * ROW
        colour = OURS if system.startswith("cargohold") else PEER
        bar = max(stats["median"] * scale, 1)
        low, high = LABEL_WIDTH + stats["min"] * scale, LABEL_WIDTH + stats["max"] * scale
        weight = ' font-weight="bold"' if system.startswith("cargohold") else ""
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 12}" text-anchor="end"{weight}>'
            f"{escape(system)}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y + 2}" width="{bar:.1f}" height="{ROW - 5}" '
            f'fill="{colour}"/>'
            f'<line x1="{low:.1f}" x2="{high:.1f}" y1="{y + 8}" y2="{y + 8}" '
            f'stroke="{WHISKER}" stroke-width="1.5"/>'
            f'<text x="{max(LABEL_WIDTH + bar, high) + 5:.1f}" y="{y + 12}">'
            f"{escape(metric.format(stats['median']))}</text>"
        )
    return "".join(parts), TITLE + len(rows) * ROW
