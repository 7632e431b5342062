"""Filters for the platform and 三查 pages: percentages, intervals and the monthly bar chart's geometry."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()

CHART_WIDTH, CHART_HEIGHT, BAR_AREA = 360, 120, 84  # SVG user units; BAR_AREA is the tallest bar


@register.filter
def pct(value: float | None) -> str:
    """0.8 → "80%", 0.0432 → "4.3%"; None → "—"."""
    if value is None:
        return "—"
    p = value * 100
    return f"{p:.0f}%" if p >= 10 or p == 0 else f"{p:.1f}%"


@register.filter
def bars(series: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Bar rectangles for a [{month, count}] series, scaled so the largest month fills the chart."""
    if not series:
        return []
    top = max(max(p["count"] for p in series), 1)
    slot = CHART_WIDTH / len(series)
    out = []
    for i, p in enumerate(series):
        h = round(BAR_AREA * p["count"] / top, 1)
        if p["count"] and h < 2:
            h = 2.0  # a month with complaints stays visible
        y = 18 + BAR_AREA - h
        out.append(
            {
                "x": round(i * slot + slot * 0.15, 1),
                "w": round(slot * 0.7, 1),
                "y": y,
                "h": h,
                "ty": round(y - 4, 1),
                "cx": round(i * slot + slot / 2, 1),
                "count": p["count"],
                "month": p["month"],
                "label": f"{int(p['month'][5:])}月",
            }
        )
    return out


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key, "")
