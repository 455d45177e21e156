"""Small line charts as inline SVG, drawn on the server: no JavaScript library to download.

The drawing is sized for a phone (a 360 x 220 view box, scaled to the width of its container),
uses presentation attributes only (the page's CSP allows no inline styles), tells its lines
apart by dash pattern as well as colour, and carries a <title> and a <desc>. Pages put the same
figures in a table beside it for screen readers and for people who cannot read charts. Right
to left, time runs from right to left and the value axis stands on the right.
"""

import math
from dataclasses import dataclass
from itertools import count

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 360, 220
# Room for the legend (top), the value labels (side) and the period labels (bottom).
TOP, BOTTOM, SIDE, END = 34, 28, 36, 12
MAX_X_LABELS = 5
_ids = count(1)


@dataclass(frozen=True)
class Line:
    label: str
    values: list[int]
    colour: str
    dash: str = ""  # SVG stroke-dasharray; "" is a solid line


def _nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 x 10^k (at least 4) not below `value`: round tick labels."""
    if value <= 4:
        return 4
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover


def line_chart_svg(
    *, title: str, desc: str, labels: list[str], lines: list[Line], rtl: bool = False
) -> SafeString:
    """An SVG line chart of `lines` over the periods named by `labels` (one value per label)."""
    uid = f"chart-{next(_ids)}"
    top = _nice_ceiling(max((max(line.values, default=0) for line in lines), default=0))
    plot_w = WIDTH - SIDE - END
    plot_h = HEIGHT - TOP - BOTTOM
    n = len(labels)
    axis_x = WIDTH - SIDE if rtl else SIDE

    def x(i: int) -> float:
        offset = plot_w * (i / (n - 1) if n > 1 else 0.5)
        return WIDTH - SIDE - offset if rtl else SIDE + offset

    def y(value: int) -> float:
        return TOP + plot_h - plot_h * value / top

    parts: list[str] = []
    # Value grid: four steps with labels on the axis side.
    for k in range(5):
        value = top * k // 4
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#d0d7de" stroke-width="1"/>'
                '<text x="{}" y="{}" text-anchor="{}" font-size="11" fill="#444">{}</text>',
                END if rtl else SIDE,
                WIDTH - SIDE if rtl else WIDTH - END,
                round(y(value), 1),
                round(y(value), 1),
                axis_x + (6 if rtl else -6),
                round(y(value) + 4, 1),
                "start" if rtl else "end",
                value,
            )
        )
    # Period labels: the first, the last and a few evenly between.
    if n:
        shown = (
            sorted({round(i * (n - 1) / (MAX_X_LABELS - 1)) for i in range(MAX_X_LABELS)}) if n > 1 else [0]
        )
        for i in shown:
            anchor = "middle"
            if n > 1 and i in (0, n - 1):
                at_left = (i == 0) != rtl
                anchor = "start" if at_left else "end"
            parts.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="{}" font-size="11" fill="#444">{}</text>',
                    round(x(i), 1),
                    HEIGHT - 8,
                    anchor,
                    labels[i],
                )
            )
    # The lines, with a dot per point when there are few enough to tell apart.
    for line in lines:
        points = " ".join(f"{round(x(i), 1)},{round(y(v), 1)}" for i, v in enumerate(line.values))
        dash = format_html(' stroke-dasharray="{}"', line.dash) if line.dash else ""
        if len(line.values) > 1:
            parts.append(
                format_html(
                    '<polyline points="{}" fill="none" stroke="{}" stroke-width="2.5"'
                    ' stroke-linejoin="round"{}/>',
                    points,
                    line.colour,
                    dash,
                )
            )
        if len(line.values) <= 31:
            parts.append(
                format_html_join(
                    "",
                    '<circle cx="{}" cy="{}" r="3" fill="{}"/>',
                    ((round(x(i), 1), round(y(v), 1), line.colour) for i, v in enumerate(line.values)),
                )
            )
    # Legend: a short stroke in each line's colour and dash, then its name.
    legend_x = WIDTH - END if rtl else SIDE
    for k, line in enumerate(lines):
        ly = 12 + k * 14
        x1, x2 = (legend_x - 22, legend_x) if rtl else (legend_x, legend_x + 22)
        dash = format_html(' stroke-dasharray="{}"', line.dash) if line.dash else ""
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="2.5"{}/>'
                '<text x="{}" y="{}" text-anchor="{}" font-size="12" fill="#222">{}</text>',
                x1,
                x2,
                ly,
                ly,
                line.colour,
                dash,
                x1 - 6 if rtl else x2 + 6,
                ly + 4,
                "end" if rtl else "start",
                line.label,
            )
        )
    # `direction="ltr"` makes text-anchor mean left/right as written above in either page
    # direction; Arabic labels are still laid out right to left inside their own text.
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title {}-desc"'
        ' direction="ltr" font-family="system-ui, sans-serif" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        WIDTH,
        HEIGHT,
        uid,
        uid,
        uid,
        title,
        uid,
        desc,
        mark_safe("".join(parts)),  # noqa: S308 - every part was escaped by format_html above
    )


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    # What is written at the end of the bar (e.g. a formatted amount); the value when empty.
    text: str = ""
    colour: str = "#0b5a7a"


BAR_ROW, BAR_LABEL_H, BAR_TOP = 34, 14, 6


def bar_chart_svg(*, title: str, desc: str, bars: list[Bar], rtl: bool = False) -> SafeString:
    """A horizontal bar chart, one labelled bar per row (label above its bar, the figure at its
    end), sized for a phone like `line_chart_svg`. Right to left, bars grow from the right."""
    uid = f"chart-{next(_ids)}"
    height = BAR_TOP + BAR_ROW * max(len(bars), 1)
    top = max((bar.value for bar in bars), default=0) or 1
    # Room at the far end for the figure written after the longest bar.
    plot_w = WIDTH - 2 * END - 90
    start = WIDTH - END if rtl else END
    parts: list[str] = []
    for k, bar in enumerate(bars):
        y = BAR_TOP + k * BAR_ROW
        w = round(plot_w * max(bar.value, 0) / top, 1)
        x = start - w if rtl else start
        end_x = start - w - 6 if rtl else start + w + 6
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="{}" font-size="12" fill="#222">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="12" rx="2" fill="{}"/>'
                '<text x="{}" y="{}" text-anchor="{}" font-size="12" fill="#222">{}</text>',
                start,
                y + 10,
                "end" if rtl else "start",
                bar.label,
                x,
                y + BAR_LABEL_H,
                w,
                bar.colour,
                end_x,
                y + BAR_LABEL_H + 10,
                "end" if rtl else "start",
                bar.text or bar.value,
            )
        )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title {}-desc"'
        ' direction="ltr" font-family="system-ui, sans-serif" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        WIDTH,
        height,
        uid,
        uid,
        uid,
        title,
        uid,
        desc,
        mark_safe("".join(parts)),  # noqa: S308 - every part was escaped by format_html above
    )
