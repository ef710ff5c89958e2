"""Charts for the report (SPEC §12) as inline SVG: the HTML opens with no network, and no
plotting library is needed for bars, lines and a heat map. Every text is escaped here, so the page
template may take the markup as it is."""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import escape

from schemas.labels import TEMPERATURE_LABELS

# SPEC §5.2 indicators, the same colours as in the messages to SCs.
TEMPERATURE_COLOURS = {t.value: label.colour_hex for t, label in TEMPERATURE_LABELS.items()}
_FONT = 'font-family="sans-serif" font-size="11"'
_AXIS = "#888"
_GOAL = "#333"


def _open(title: str, width: float, height: float) -> list[str]:
    return [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{escape(title)}">',
        f'<text x="4" y="14" {_FONT} font-weight="bold">{escape(title)}</text>',
    ]


def _axis_titles(
    x_title: str, y_title: str, *, width: float, height: float, left: float, top: float, bottom: float
) -> list[str]:
    """The x title under the axis, the y title turned along the axis."""
    middle = top + (height - top - bottom) / 2
    return [
        f'<text x="{left + (width - left) / 2:.1f}" y="{height - 4}" {_FONT} text-anchor="middle">'
        f"{escape(x_title)}</text>",
        f'<text x="12" y="{middle:.1f}" {_FONT} text-anchor="middle" transform="rotate(-90 12 {middle:.1f})">'
        f"{escape(y_title)}</text>",
    ]


def _y_ticks(
    peak: float, *, left: float, base: float, scale: float, right: float, unit: str = ""
) -> list[str]:
    """Gridlines at round steps from 0 to `peak`, each labelled."""
    step = _nice_step(peak)
    parts, value = [], 0.0
    while value <= peak + 1e-9:
        y = base - value * scale
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#eee"/>')
        parts.append(
            f'<text x="{left - 4}" y="{y + 4:.1f}" {_FONT} text-anchor="end">{value:g}{escape(unit)}</text>'
        )
        value += step
    return parts


def _nice_step(peak: float) -> float:
    """A step of 1, 2 or 5 times a power of ten giving at most five gridlines up to `peak`."""
    magnitude = 10 ** math.floor(math.log10(max(peak, 1.0) / 5)) if peak > 5 else 1.0
    for factor in (1, 2, 5, 10):
        if peak / (factor * magnitude) <= 5:
            return factor * magnitude
    return 10 * magnitude


def bars(
    title: str,
    categories: Sequence[str],
    series: dict[str, Sequence[float]],
    *,
    colours: dict[str, str] | None = None,
    x_title: str = "",
    y_title: str = "",
) -> str:
    """Stacked vertical bars: one bar per category, one colour per series, with a legend."""
    fills = {name: escape((colours or {}).get(name, "#4c78a8")) for name in series}
    width, height, left, bottom, top = max(360, 70 * len(categories) + 80), 260, 60, 56, 50
    totals = [sum(values[i] for values in series.values()) for i in range(len(categories))]
    peak = max([*totals, 1.0])
    step = (width - left - 10) / max(len(categories), 1)
    base = float(height - bottom)
    scale = (base - top) / peak
    parts = _open(title, width, height)
    parts += _y_ticks(peak, left=left, base=base, scale=scale, right=width - 10)
    parts.append(f'<line x1="{left}" y1="{base}" x2="{width - 10}" y2="{base}" stroke="{_AXIS}"/>')
    for i, category in enumerate(categories):
        x, top_of = left + i * step + step * 0.15, base
        for name, values in series.items():
            h = values[i] * scale
            if h > 0:
                parts.append(
                    f'<rect x="{x:.1f}" y="{top_of - h:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
                    f'fill="{fills[name]}">'
                    f"<title>{escape(f'{category} {name}: {values[i]:g}')}</title></rect>"
                )
            top_of -= h
        parts.append(
            f'<text x="{x + step * 0.35:.1f}" y="{base + 14}" {_FONT} text-anchor="middle">'
            f"{escape(category)}</text>"
        )
        if totals[i]:
            parts.append(
                f'<text x="{x + step * 0.35:.1f}" y="{top_of - 3:.1f}" {_FONT} text-anchor="middle">'
                f"{totals[i]:g}</text>"
            )
    for j, name in enumerate(series if len(series) > 1 else {}):
        x = width - 10 - 70 * (len(series) - j)
        parts.append(f'<rect x="{x}" y="22" width="10" height="10" fill="{fills[name]}"/>')
        parts.append(f'<text x="{x + 14}" y="31" {_FONT}>{escape(name)}</text>')
    parts += _axis_titles(x_title, y_title, width=width, height=height, left=left, top=top, bottom=bottom)
    parts.append("</svg>")
    return "".join(parts)


def histogram(
    title: str,
    edges: Sequence[float],
    counts: Sequence[int],
    *,
    x_title: str,
    y_title: str,
    line_at: float,
    line_label: str,
    colour: str = "#4c78a8",
) -> str:
    """Bars between consecutive `edges` (the last open-ended), equally wide, labelled at their
    edges, and a dashed line at the edge `line_at` (the SLA term)."""
    width, height, left, bottom, top, right = 400, 240, 60, 56, 30, 10
    n = len(counts)
    step = (width - left - right) / max(n, 1)
    base = float(height - bottom)
    peak = max([*counts, 1])
    scale = (base - top - 14) / peak
    parts = _open(title, width, height)
    parts += _y_ticks(peak, left=left, base=base, scale=scale, right=width - right)
    fill = escape(colour)
    for i, count in enumerate(counts):
        x = left + i * step
        upper = f"{edges[i + 1]:g}" if i + 1 < len(edges) else "more"
        h = count * scale
        if h > 0:
            parts.append(
                f'<rect x="{x + 1:.1f}" y="{base - h:.1f}" width="{step - 2:.1f}" height="{h:.1f}" '
                f'fill="{fill}">'
                f"<title>{escape(f'{edges[i]:g} to {upper}: {count:,}')}</title></rect>"
            )
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{base - h - 3:.1f}" {_FONT} text-anchor="middle">'
                f"{count:,}</text>"
            )
    for i, edge in enumerate(edges):
        parts.append(
            f'<text x="{left + i * step:.1f}" y="{base + 14}" {_FONT} text-anchor="middle">{edge:g}</text>'
        )
    parts.append(f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" stroke="{_AXIS}"/>')
    if line_at in edges:
        x = left + list(edges).index(line_at) * step
        parts.append(
            f'<line class="sla-line" x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{base}" stroke="{_GOAL}" '
            'stroke-width="1.5" stroke-dasharray="5,3"/>'
        )
        parts.append(f'<text x="{x + 4:.1f}" y="{top + 10}" {_FONT}>{escape(line_label)}</text>')
    parts += _axis_titles(x_title, y_title, width=width, height=height, left=left, top=top, bottom=bottom)
    parts.append("</svg>")
    return "".join(parts)


def trend_lines(
    title: str,
    periods: Sequence[str],
    series: dict[str, Sequence[float | None]],
    *,
    goal: float,
    colours: dict[str, str],
) -> str:
    """A line per series over the periods on a 0-100% scale, the goal dashed across; a gap
    where a period had nothing to measure."""
    width, height, left, bottom, top, right = 620, 260, 60, 56, 34, 80
    base = float(height - bottom)
    scale = (base - top) / 100
    step = (width - left - right) / max(len(periods) - 1, 1)
    parts = _open(title, width, height)
    parts += _y_ticks(100, left=left, base=base, scale=scale, right=width - right, unit="%")
    for i, name in enumerate(periods):
        parts.append(
            f'<text x="{left + i * step:.1f}" y="{base + 14}" {_FONT} text-anchor="middle">'
            f"{escape(name)}</text>"
        )
    goal_y = base - goal * scale
    parts.append(
        f'<line class="goal-line" x1="{left}" y1="{goal_y:.1f}" x2="{width - right}" y2="{goal_y:.1f}" '
        f'stroke="{_GOAL}" stroke-width="1.5" stroke-dasharray="6,3"/>'
    )
    parts.append(f'<text x="{left + 4}" y="{goal_y - 4:.1f}" {_FONT}>goal {goal:g}%</text>')
    for j, (name, values) in enumerate(series.items()):
        stroke = escape(colours.get(name, "#4c78a8"))
        points = [(left + i * step, base - v * scale, v) for i, v in enumerate(values) if v is not None]
        runs: list[list[tuple[float, float]]] = [[]]
        for i, v in enumerate(values):
            if v is None:
                runs.append([])
            else:
                runs[-1].append((left + i * step, base - v * scale))
        for run in runs:
            if len(run) > 1:
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                parts.append(f'<polyline points="{path}" fill="none" stroke="{stroke}" stroke-width="2"/>')
        for x, y, v in points:
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{stroke}">'
                f"<title>{escape(f'{name}: {v:g}%')}</title></circle>"
            )
        parts.append(
            f'<rect x="{width - right + 4}" y="{top + 14 * j}" width="10" height="10" fill="{stroke}"/>'
        )
        parts.append(f'<text x="{width - right + 18}" y="{top + 9 + 14 * j}" {_FONT}>{escape(name)}</text>')
    parts += _axis_titles(
        "period", "compliance", width=width - right, height=height, left=left, top=top, bottom=bottom
    )
    parts.append("</svg>")
    return "".join(parts)


def funnel(title: str, stages: Sequence[tuple[str, int]]) -> str:
    """Horizontal bars, widest first, each with its count and its share of the first stage."""
    width, row, left = 520, 28, 150
    height = 24 + row * len(stages)
    first = max(stages[0][1] if stages else 0, 1)
    parts = _open(title, width, height)
    for i, (name, count) in enumerate(stages):
        y = 22 + i * row
        w = (width - left - 90) * count / first
        parts.append(f'<text x="4" y="{y + 16}" {_FONT}>{escape(name)}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{row - 6}" fill="#4c78a8"/>')
        parts.append(
            f'<text x="{left + w + 6:.1f}" y="{y + 16}" {_FONT}>{count:,} ({100 * count / first:.0f}%)</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def compliance_colour(value: float, goal: float) -> str:
    """Red to amber below the goal, green at or above it: a cell says at a glance which side it is."""
    if value >= goal:
        lightness = 62 - 20 * (value - goal) / max(100 - goal, 1)
        return f"hsl(120,45%,{lightness:.0f}%)"
    hue = 40 * max(value, 0.0) / max(goal, 1)
    return f"hsl({hue:.0f},75%,{60 + 10 * value / max(goal, 1):.0f}%)"


def heatmap(
    title: str,
    rows: Sequence[str],
    columns: Sequence[str],
    values: dict[tuple[str, str], float],
    *,
    goal: float,
) -> str:
    """A grid of percentages coloured by `compliance_colour`, with its colour scale and the goal
    marked under it; a blank cell had nothing to measure."""
    cell_w, cell_h, left, top = 64, 20, 230, 40
    width = max(left + cell_w * len(columns) + 10, 7 * len(title) + 10, 460)
    legend_top = top + cell_h * len(rows) + 16
    height = legend_top + 46
    parts = _open(title, width, height)
    for j, column in enumerate(columns):
        parts.append(
            f'<text x="{left + j * cell_w + cell_w / 2}" y="{top - 6}" {_FONT} text-anchor="middle">'
            f"{escape(column)}</text>"
        )
    for i, row_name in enumerate(rows):
        y = top + i * cell_h
        shown = row_name if len(row_name) <= 36 else row_name[:35] + "…"
        parts.append(
            f'<text x="4" y="{y + 14}" {_FONT}>{escape(shown)}<title>{escape(row_name)}</title></text>'
        )
        for j, column in enumerate(columns):
            value = values.get((row_name, column))
            if value is None:
                continue
            parts.append(
                f'<rect x="{left + j * cell_w}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" '
                f'fill="{compliance_colour(value, goal)}">'
                f"<title>{escape(f'{row_name} {column}: {value:g}%')}</title></rect>"
            )
            parts.append(
                f'<text x="{left + j * cell_w + cell_w / 2 - 1}" y="{y + 13}" {_FONT} text-anchor="middle">'
                f"{value:g}</text>"
            )
    scale_w, steps = 300, 20
    parts.append(f'<text x="4" y="{legend_top + 12}" {_FONT}>colour scale, %</text>')
    for k in range(steps):
        value = 100 * (k + 0.5) / steps
        parts.append(
            f'<rect x="{left + k * scale_w / steps:.1f}" y="{legend_top}" '
            f'width="{scale_w / steps + 0.5:.1f}" '
            f'height="12" fill="{compliance_colour(value, goal)}"/>'
        )
    for mark in (0, 50, 100):
        x = left + scale_w * mark / 100
        parts.append(f'<text x="{x:.1f}" y="{legend_top + 26}" {_FONT} text-anchor="middle">{mark}</text>')
    goal_x = left + scale_w * goal / 100
    parts.append(
        f'<line class="goal-line" x1="{goal_x:.1f}" y1="{legend_top - 3}" x2="{goal_x:.1f}" '
        f'y2="{legend_top + 15}" stroke="{_GOAL}" stroke-width="2"/>'
    )
    parts.append(
        f'<text x="{goal_x:.1f}" y="{legend_top + 40}" {_FONT} text-anchor="middle">goal {goal:g}%</text>'
    )
    parts.append("</svg>")
    return "".join(parts)
