"""Small inline SVG charts for the HTML report: no script, no network, print-friendly."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from seskeys.checks import Severity

PALETTE = {"ok": "#2e7d32", "due-soon": "#f9a825", "overdue": "#c62828", "inactive": "#78909c",
           "revoked": "#b0bec5", "active": "#2e7d32",
           "created": "#1565c0", "rotated": "#6a1b9a", "revoked-ev": "#c62828"}
SEVERITY_COLOURS = {Severity.CRITICAL: "#8e0000", Severity.HIGH: "#c62828",
                    Severity.MEDIUM: "#ef6c00", Severity.LOW: "#f9a825", Severity.INFO: "#78909c"}


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="100%" style="max-width:{width}px" role="img" '
            f'aria-label="{escape(title)}" class="chart">'
            f"<title>{escape(title)}</title>{''.join(body)}</svg>")


def _text(x: float, y: float, text: str, anchor: str = "start", size: int = 11,
          cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"{klass}>'
            f"{escape(text)}</text>")


def key_ages(rows: Sequence[tuple[str, int, str]], limit: int, soon: int,
             title: str = "Key ages against the rotation limit") -> str:
    """One bar per live key (name, age in days, state), with the limit drawn as a line."""
    label_w, bar_w, row_h, top = 190, 420, 18, 28
    scale_max = max([limit * 1.25, *[age for _, age, _ in rows]]) or 1
    height = top + row_h * len(rows) + 30
    body = [_text(label_w, 16, "age in days", size=10, cls="muted")]
    for i, (name, age, state) in enumerate(rows):
        y = top + i * row_h
        w = max(1.0, bar_w * age / scale_max)
        body.append(_text(label_w - 6, y + 12, name[:30], anchor="end"))
        body.append(f'<rect x="{label_w}" y="{y + 2}" width="{w:.1f}" height="{row_h - 5}" '
                    f'fill="{PALETTE.get(state, "#607d8b")}"><title>{escape(name)}: {age} days '
                    f"({escape(state)})</title></rect>")
        body.append(_text(label_w + w + 4, y + 12, str(age), size=10))
    for x_days, label, dash, anchor in ((limit, f"limit {limit} d", "", "start"),
                                        (limit - soon, f"due soon {limit - soon} d", "4 3",
                                         "end")):
        x = label_w + bar_w * x_days / scale_max
        body.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" '
                    f'y2="{top + row_h * len(rows)}" stroke="#37474f" stroke-width="1.5" '
                    f'stroke-dasharray="{dash}"/>')
        body.append(_text(x + (3 if anchor == "start" else -3), height - 8, label,
                          anchor=anchor, size=10))
    return _svg(label_w + bar_w + 60, height, title, body)


def bars(items: Sequence[tuple[str, int, str]], title: str, label_w: int = 190) -> str:
    """Horizontal bars: (label, value, colour)."""
    bar_w, row_h, top = 380, 20, 8
    peak = max([v for _, v, _ in items] or [1]) or 1
    body = []
    for i, (label, value, colour) in enumerate(items):
        y = top + i * row_h
        w = bar_w * value / peak if value else 0
        body.append(_text(label_w - 6, y + 13, label[:32], anchor="end"))
        body.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" '
                    f'fill="{colour}"/>')
        body.append(_text(label_w + w + 4, y + 13, str(value), size=10))
    return _svg(label_w + bar_w + 50, top + row_h * len(items) + 8, title, body)


def stacked(items: Sequence[tuple[str, Sequence[tuple[str, int, str]]]], title: str) -> str:
    """Horizontal stacked bars: (label, [(part, value, colour)...]) with a legend."""
    label_w, bar_w, row_h, top = 170, 400, 22, 26
    peak = max([sum(v for _, v, _ in parts) for _, parts in items] or [1]) or 1
    body = []
    legend = {}
    for i, (label, parts) in enumerate(items):
        y = top + i * row_h
        x = float(label_w)
        body.append(_text(label_w - 6, y + 14, label[:28], anchor="end"))
        for part, value, colour in parts:
            legend[part] = colour
            w = bar_w * value / peak
            if value:
                body.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" '
                            f'height="{row_h - 6}" fill="{colour}"><title>{escape(label)}: '
                            f"{value} {escape(part)}</title></rect>")
                if w > 14:
                    body.append(f'<text x="{x + w / 2:.1f}" y="{y + 15}" font-size="10" '
                                f'text-anchor="middle" fill="#fff">{value}</text>')
            x += w
    lx = float(label_w)
    for part, colour in legend.items():
        body.append(f'<rect x="{lx:.1f}" y="6" width="10" height="10" fill="{colour}"/>')
        body.append(_text(lx + 14, 15, part, size=10))
        lx += 24 + 7 * len(part)
    return _svg(label_w + bar_w + 40, top + row_h * len(items) + 8, title, body)


def columns(points: Sequence[tuple[str, Sequence[tuple[str, int, str]]]], title: str) -> str:
    """Grouped columns over time: (period, [(series, value, colour)...])."""
    left, top, plot_h, group_w = 30, 24, 150, 46
    peak = max([v for _, series in points for _, v, _ in series] or [1]) or 1
    body = []
    legend = {}
    for i, (period, series) in enumerate(points):
        gx = left + i * group_w
        bw = (group_w - 10) / max(1, len(series))
        for j, (name, value, colour) in enumerate(series):
            legend[name] = colour
            h = plot_h * value / peak
            body.append(f'<rect x="{gx + j * bw:.1f}" y="{top + plot_h - h:.1f}" '
                        f'width="{bw - 1:.1f}" height="{h:.1f}" fill="{colour}"><title>'
                        f"{escape(period)}: {value} {escape(name)}</title></rect>")
        body.append(_text(gx + (group_w - 10) / 2, top + plot_h + 14, period[2:], "middle", 9))
    body.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + group_w * len(points)}" '
                f'y2="{top + plot_h}" stroke="#90a4ae"/>')
    lx = float(left)
    for name, colour in legend.items():
        body.append(f'<rect x="{lx:.1f}" y="4" width="10" height="10" fill="{colour}"/>')
        body.append(_text(lx + 14, 13, name, size=10))
        lx += 24 + 7 * len(name)
    body.append(_text(4, top + 8, str(peak), size=9, cls="muted"))
    return _svg(left + group_w * len(points) + 10, top + plot_h + 22, title, body)
