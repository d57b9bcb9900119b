"""The filter bar's selects are written in Python; they must say what Django's Select says."""

import datetime as dt
import re

from django import forms

from dashboards.forms import DashboardFilterForm, QuickSelect
from tests.factories import make_user

OPTION = re.compile(r'<option value="([^"]*)"( selected)?>([^<]*)</option>')


def options(html: str) -> list[tuple[str, bool, str]]:
    return [(value, bool(selected), label) for value, selected, label in OPTION.findall(html)]


def test_quick_selects_render_the_options_djangos_select_would(director, manager_a, team1):
    make_user("nameless", team=team1, full_name="")  # labelled by the username
    make_user("o'brien", team=team1, full_name="Ann <O'Brien>")  # escaped
    today = dt.date(2026, 11, 26)
    form = DashboardFilterForm({"manager": manager_a.pk}, user=director, mine=False, today=today)
    assert form.is_valid(), form.errors
    for name in ("manager", "team", "channel"):
        field = form[name]
        assert isinstance(field.field.widget, QuickSelect)
        quick = str(field)
        select = forms.Select(attrs=field.field.widget.attrs)
        select.choices = field.field.choices
        plain = field.as_widget(widget=select)
        assert options(quick) == options(plain)
        assert len(options(quick)) > 1
    chosen = [o for o in options(str(form["manager"])) if o[1]]
    assert chosen == [(str(manager_a.pk), True, manager_a.display_name)]
    assert "Ann &lt;O&#x27;Brien&gt;" in str(form["manager"])
    assert ">nameless</option>" in str(form["manager"])
