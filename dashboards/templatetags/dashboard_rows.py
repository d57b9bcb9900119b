"""The dashboard's long tables' rows, written in Python (dashboards.rows)."""

from django import template

from dashboards import funnel_html, rows
from dashboards.forms import label_html

register = template.Library()


@register.simple_tag
def conversion_rows(block, shown_rows, query):
    return rows.conversion_rows(block, shown_rows, query)


@register.simple_tag
def leaderboard_rows(board_rows, query, commitments_on):
    return rows.leaderboard_rows(board_rows, query, commitments_on=commitments_on)


@register.simple_tag
def trend_head(buckets):
    return rows.trend_head(buckets)


@register.simple_tag
def trend_body(series, in_money):
    return rows.trend_body(series, in_money=in_money)


@register.simple_tag
def margin_rows(shown_rows, query, mine):
    return rows.margin_rows(shown_rows, query, mine=mine)


@register.simple_tag(takes_context=True)
def funnel_card(context, funnel, figure, figure_id):
    return funnel_html.funnel_card(funnel, figure, figure_id, context["query"], context["dash"])


@register.simple_tag
def field_label(field):
    return label_html(field)
