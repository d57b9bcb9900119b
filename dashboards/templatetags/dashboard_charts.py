"""Chart helpers for the dashboard's templates."""

from django import template
from django.utils.safestring import mark_safe

from dashboards import charts

register = template.Library()


@register.filter
def funnel_preview(figure):
    """The funnel figure as a still SVG, shown until plotly.js draws it (charts.funnel_preview)."""
    return mark_safe(charts.funnel_preview(figure))  # noqa: S308 — every text in it is escaped
