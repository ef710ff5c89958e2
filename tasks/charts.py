"""Charts for the report (SPEC §12) as inline SVG: the HTML opens with no network, and no
plotting library is needed for bars and a heat map. Every text is escaped here, so the page
template may take the markup as it is."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import escape

from schemas.labels import TEMPERATURE_LABELS

# SPEC §5.2 indicators, the same colours as in the messages to SCs.
TEMPERATURE_COLOURS = {t.value: label.colour_hex for t, label in TEMPERATURE_LABELS.items()}
_FONT = 'font-family="sans-serif" font-size="11"'


def bars(
    title: str,
    categories: Sequence[str],
    series: dict[str, Sequence[float]],
    *,
    colours: dict[str, str] | None = None,
    unit: str = "",
) -> str:
    """Stacked vertical bars: one bar per category, one colour per series, with a legend."""
    fills = {name: escape((colours or {}).get(name, "#4c78a8")) for name in series}
    width, height, left, bottom, top = max(320, 70 * len(categories) + 60), 220, 50, 40, 30
    totals = [sum(values[i] for values in series.values()) for i in range(len(categories))]
    peak = max([*totals, 1.0])
    step = (width - left - 10) / max(len(categories), 1)
    scale = (height - bottom - top) / peak
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}">',
        f'<text x="4" y="14" {_FONT} font-weight="bold">{escape(title)}</text>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#888"/>',
        f'<text x="4" y="{top + 8}" {_FONT}>{peak:g}{escape(unit)}</text>',
    ]
    for i, category in enumerate(categories):
        x, base = left + i * step + step * 0.15, float(height - bottom)
        for name, values in series.items():
            h = values[i] * scale
            if h > 0:
                parts.append(
                    f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
                    f'fill="{fills[name]}">'
                    f"<title>{escape(f'{category} {name}: {values[i]:g}')}</title></rect>"
                )
            base -= h
        parts.append(
            f'<text x="{x + step * 0.35:.1f}" y="{height - bottom + 14}" {_FONT} text-anchor="middle">'
            f"{escape(category)}</text>"
        )
        if totals[i]:
            parts.append(
                f'<text x="{x + step * 0.35:.1f}" y="{base - 3:.1f}" {_FONT} text-anchor="middle">'
                f"{totals[i]:g}</text>"
            )
    for j, name in enumerate(series if len(series) > 1 else {}):
        x = left + j * 90
        parts.append(f'<rect x="{x}" y="{height - 16}" width="10" height="10" fill="{fills[name]}"/>')
        parts.append(f'<text x="{x + 14}" y="{height - 7}" {_FONT}>{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def funnel(title: str, stages: Sequence[tuple[str, int]]) -> str:
    """Horizontal bars, widest first, each with its count and its share of the first stage."""
    width, row, left = 520, 28, 150
    height = 24 + row * len(stages)
    first = max(stages[0][1] if stages else 0, 1)
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}">',
        f'<text x="4" y="14" {_FONT} font-weight="bold">{escape(title)}</text>',
    ]
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


def heatmap(
    title: str, rows: Sequence[str], columns: Sequence[str], values: dict[tuple[str, str], float]
) -> str:
    """A grid of percentages, red at 0 to green at 100; a blank cell had nothing to measure."""
    cell_w, cell_h, left, top = 70, 20, 130, 40
    width = max(left + cell_w * len(columns) + 10, 7 * len(title) + 10)  # the title fits, too
    height = top + cell_h * len(rows) + 10
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}">',
        f'<text x="4" y="14" {_FONT} font-weight="bold">{escape(title)}</text>',
    ]
    for j, column in enumerate(columns):
        parts.append(
            f'<text x="{left + j * cell_w + cell_w / 2}" y="{top - 6}" {_FONT} text-anchor="middle">'
            f"{escape(column)}</text>"
        )
    for i, row_name in enumerate(rows):
        y = top + i * cell_h
        parts.append(f'<text x="4" y="{y + 14}" {_FONT}>{escape(row_name)}</text>')
        for j, column in enumerate(columns):
            value = values.get((row_name, column))
            if value is None:
                continue
            hue = 120 * max(0.0, min(value, 100.0)) / 100
            parts.append(
                f'<rect x="{left + j * cell_w}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" '
                f'fill="hsl({hue:.0f},70%,55%)">'
                f"<title>{escape(f'{row_name} {column}: {value:g}%')}</title></rect>"
            )
            parts.append(
                f'<text x="{left + j * cell_w + cell_w / 2 - 1}" y="{y + 13}" {_FONT} text-anchor="middle">'
                f"{value:g}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)
