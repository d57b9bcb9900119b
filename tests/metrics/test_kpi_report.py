import csv
import datetime as dt
import io
import json
import math
import os
import random
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from plans.models import Plan
from teams.models import User
from tests.factories import channel, write_fact

D = Decimal
MAR = dt.date(2026, 3, 1)


def report(*args: str) -> str:
    out = io.StringIO()
    call_command("kpi_report", *args, stdout=out)
    return out.getvalue()


def report_json(*args: str) -> dict:
    return json.loads(report(*args))


@pytest.fixture
def small(manager_a, manager_b):
    write_fact(
        manager_a, "inbound", dt.date(2026, 3, 2),
        leads_received=10, qualified_leads=4, consultations_held=2, contracts_agreed=1,
        invoices_issued=1, invoiced_amount="300.00", payments_count=1, revenue="250.00",
        variable_costs="100.00",
    )  # fmt: skip
    write_fact(manager_b, "inbound", dt.date(2026, 3, 31), leads_received=5, revenue="50.00")
    write_fact(manager_b, "inbound", dt.date(2026, 4, 1), leads_received=100)
    Plan.objects.create(
        month=MAR, channel=channel("inbound"), manager=manager_a, indicator="revenue", value=1000
    )


def test_json_report_has_the_documented_shape_with_exact_values(small):
    data = report_json(
        "--from", "2026-03-01", "--to", "2026-03-31", "--channel", "inbound",
        "--manager", "manager_a", "--as-of", "2026-03-04",
    )  # fmt: skip
    # Forecast as of the end of 3 March: 250.00 over 2 working days (2-3 March) × 22.
    plans = [
        {
            "indicator": "revenue",
            "plan": "1000.00",
            "fact": "250.00",
            "completion": 0.25,
            "forecast": "2750.00",
            # Pace: the plan expects 2/22 of 1000.00 = 90.91 by the end of 3 March.
            "expected_to_date": "90.91",
            "fact_to_date": "250.00",
            "pace": 2.75,
            "pace_status": "on_track",
        }
    ]
    money = {
        "invoiced_amount": "300.00",
        "payments_count": 1,
        "revenue": "250.00",
        "average_check": "250.00",
        "variable_costs": "100.00",
        "margin": "150.00",
        "profitability": 0.6,
    }
    assert data == {
        "from": "2026-03-01",
        "to": "2026-03-31",
        "channels": [
            {
                "channel": "inbound",
                "stages": [
                    {"code": "leads_received", "count": 10, "conversion": None},
                    {"code": "qualified_leads", "count": 4, "conversion": 0.4},
                    {"code": "consultations_held", "count": 2, "conversion": 0.5},
                    {"code": "contracts_agreed", "count": 1, "conversion": 0.5},
                    {"code": "invoices_issued", "count": 1, "conversion": 1.0},
                ],
                "activities": [],
                "funnel_conversion": 0.1,
                **money,
                "plans": plans,
            }
        ],
        "total": {**money, "plans": plans},
    }


def test_both_dates_are_included(small):
    data = report_json("--from", "2026-03-02", "--to", "2026-03-31", "--channel", "inbound")
    assert data["channels"][0]["stages"][0]["count"] == 15
    data = report_json("--from", "2026-03-03", "--to", "2026-03-30", "--channel", "inbound")
    assert data["channels"][0]["stages"][0]["count"] == 0


def test_filters_by_team_and_manager(small, team2):
    by_team = report_json("--from", "2026-03-01", "--to", "2026-03-31", "--team", "Team 2")
    assert by_team["total"]["revenue"] == "50.00"
    assert [c["channel"] for c in by_team["channels"]] == [
        "active",
        "inbound",
        "repeat_vip",
        "partner",
    ]
    by_manager = report_json("--from", "2026-03-01", "--to", "2026-03-31", "--manager", "manager_a")
    assert by_manager["total"]["revenue"] == "250.00"
    both = report_json(
        "--from", "2026-03-01", "--to", "2026-03-31", "--team", "Team 2", "--manager", "manager_b"
    )
    assert both["total"]["revenue"] == "50.00"


def test_csv_holds_the_same_numbers_as_json(small):
    args = ("--from", "2026-03-01", "--to", "2026-03-31", "--as-of", "2026-03-04")
    data = report_json(*args)
    rows = list(csv.reader(io.StringIO(report(*args, "--format", "csv"))))
    assert rows[0] == ["channel", "section", "code", "value"]
    cells = {(c, s, code): value for c, s, code, value in rows[1:]}
    assert len(cells) == len(rows) - 1
    inbound = data["channels"][1]
    assert cells[("inbound", "stage", "qualified_leads")] == "4"
    # Every manager: 4 qualified of 15 leads.
    assert cells[("inbound", "conversion", "qualified_leads")] == "0.2667"
    assert cells[("inbound", "conversion", "leads_received")] == ""
    assert cells[("inbound", "metric", "revenue")] == inbound["revenue"] == "300.00"
    assert cells[("inbound", "metric", "profitability")] == "0.6667"
    assert cells[("active", "metric", "average_check")] == ""
    assert cells[("active", "activity", "contact_attempts")] == "0"
    # Facts before the 4th only: manager_b's 50.00 of the 31st stays out of the forecast,
    # 250.00 over 2 of 22 working days.
    assert cells[("inbound", "forecast", "revenue")] == "2750.00"
    assert cells[("total", "plan", "revenue")] == "1000.00"
    assert cells[("total", "metric", "payments_count")] == "1"
    for code, value in data["total"].items():
        if code != "plans":
            assert cells[("total", "metric", code)] == ("" if value is None else str(value))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "2026-03-01", "--to", "2026-03-31", "--channel", "nope"), "Unknown channel"),
        (("--from", "2026-03-01", "--to", "2026-03-31", "--team", "Nobody"), "Unknown team"),
        (("--from", "2026-03-01", "--to", "2026-03-31", "--manager", "ghost"), "Unknown manager"),
        (("--from", "2026-03-31", "--to", "2026-03-01"), "after"),
        (("--from", "2026-02-30", "--to", "2026-03-01"), "Not a date"),
        (("--from", "01.03.2026", "--to", "2026-03-31"), "Not a date"),
        (("--from", "0001-01-01", "--to", "2026-03-31"), "between the years 2000 and 2100"),
        (("--from", "2026-03-01", "--to", "9999-12-31"), "between the years 2000 and 2100"),
        (("--from", "2026-03-01", "--to", "2026-03-31", "--as-of", "today"), "Not a date"),
        (("--from", "2026-03-01"), "--to"),
        (("--from", "2026-03-01", "--to", "2026-03-31", "--format", "xml"), "invalid choice"),
    ],
)
def test_bad_options_stop_with_a_clear_message(small, args, message):
    with pytest.raises(CommandError, match=message):
        report(*args)


def test_a_manager_outside_the_team_is_refused(small, team1):
    with pytest.raises(CommandError, match="never been in team"):
        report(
            "--from",
            "2026-03-01",
            "--to",
            "2026-03-31",
            "--team",
            "Team 1",
            "--manager",
            "manager_b",
        )


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--from", "2026-03-01"], "--to"), (["--from", "x", "--to", "2026-03-01"], "Not a date")],
)
def test_from_the_shell_a_bad_call_exits_non_zero_with_the_message_on_stderr(args, message):
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "SECRET_KEY": "x", "READ_DOT_ENV": "false", "DEBUG": "true"}
    result = subprocess.run(
        [sys.executable, "manage.py", "kpi_report", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert message in result.stderr
    assert result.stdout == ""


# --- demo-like month checked by an independent computation --------------------------------

FUNNELS = {
    "active": (
        ["first_contacts", "meetings_set", "negotiations_held", "proposals_sent",
         "contracts_agreed", "invoices_issued"],
        ["prospects_added", "contact_attempts", "proposals_reviewed"],
    ),
    "inbound": (
        ["leads_received", "qualified_leads", "consultations_held", "contracts_agreed",
         "invoices_issued"],
        [],
    ),
    "repeat_vip": (["occasion_contacts", "offers_made", "orders_agreed", "invoices_issued"], []),
    "partner": (
        ["partner_contacts", "dm_meetings_set", "negotiations_held", "proposals_sent",
         "contracts_agreed", "invoices_issued"],
        ["dm_attempts", "proposals_reviewed"],
    ),
}  # fmt: skip
MONEY = ("invoiced_amount", "revenue", "variable_costs")


def half_up(value: Fraction, places: int) -> Fraction:
    scale = 10**places
    sign = -1 if value < 0 else 1
    return sign * Fraction(math.floor(abs(value) * scale + Fraction(1, 2)), scale)


def ratio4(numerator, denominator):
    if not denominator:
        return None
    return float(half_up(Fraction(numerator) / Fraction(denominator), 4))


def kopecks(value: Fraction) -> str:
    return f"{D(half_up(value, 2).numerator) / D(half_up(value, 2).denominator):.2f}"


def money_block(rows) -> dict:
    revenue = sum(Fraction(r["revenue"]) for r in rows)
    costs = sum(Fraction(r["variable_costs"]) for r in rows)
    payments = sum(r["payments_count"] for r in rows)
    return {
        "invoiced_amount": kopecks(sum(Fraction(r["invoiced_amount"]) for r in rows)),
        "payments_count": payments,
        "revenue": kopecks(revenue),
        "average_check": kopecks(revenue / payments) if payments else None,
        "variable_costs": kopecks(costs),
        "margin": kopecks(revenue - costs),
        "profitability": ratio4(revenue - costs, revenue),
    }


def expected_report(rows, date_from, date_to, channels=FUNNELS) -> dict:
    """The report's JSON recomputed from the rows written: plain sums, Fractions, no project
    code."""
    rows = [r for r in rows if date_from <= r["date"] <= date_to]
    result = []
    for code, (stages, activities) in channels.items():
        mine = [r for r in rows if r["channel"] == code]
        counts = {c: sum(r.get(c, 0) for r in mine) for c in stages + activities}
        result.append(
            {
                "channel": code,
                "stages": [
                    {
                        "code": c,
                        "count": counts[c],
                        "conversion": ratio4(counts[c], counts[stages[i - 1]]) if i else None,
                    }
                    for i, c in enumerate(stages)
                ],
                "activities": [{"code": c, "count": counts[c]} for c in activities],
                "funnel_conversion": ratio4(counts[stages[-1]], counts[stages[0]]),
                **money_block(mine),
            }
        )
    in_channels = [r for r in rows if r["channel"] in channels]
    return {
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "channels": result,
        "total": money_block(in_channels),
    }


@pytest.fixture
def demo_rows(manager_a, manager_a2, manager_b):
    """Five weeks of random but realistic facts for three managers in four channels."""
    rng = random.Random(2026)
    rows = []
    day = dt.date(2026, 2, 23)
    while day <= dt.date(2026, 3, 27):
        for person in (manager_a, manager_a2, manager_b):
            for code, (stages, activities) in FUNNELS.items():
                if day.weekday() > 4 or rng.random() < 0.45:
                    continue
                values = {}
                top = rng.randint(0, 30)
                for stage in stages:
                    values[stage] = top
                    top = rng.randint(0, max(top, 1))  # sometimes more than the stage before
                for activity in activities:
                    values[activity] = rng.randint(0, 50)
                values["payments_count"] = rng.randint(0, 3)
                for money in MONEY:
                    values[money] = f"{D(rng.randint(0, 30_000_000)) / 100:.2f}"
                write_fact(person, code, day, **values)
                rows.append({"date": day, "manager": person.username, "channel": code, **values})
        day += dt.timedelta(days=1)
    return rows


def test_the_report_on_a_demo_like_month_matches_an_independent_computation(demo_rows):
    data = report_json("--from", "2026-03-01", "--to", "2026-03-31")
    assert data == expected_report(demo_rows, dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def test_filtered_reports_on_demo_like_data_match_an_independent_computation(
    demo_rows, manager_a, team1
):
    start, end = dt.date(2026, 2, 24), dt.date(2026, 3, 10)
    team_rows = [r for r in demo_rows if r["manager"] in ("manager_a", "manager_a2")]
    data = report_json("--from", str(start), "--to", str(end), "--team", "Team 1")
    assert data == expected_report(team_rows, start, end)

    mine = [r for r in demo_rows if r["manager"] == "manager_a" and r["channel"] == "partner"]
    data = report_json(
        "--from", str(start), "--to", str(end), "--manager", "manager_a", "--channel", "partner"
    )
    assert data == expected_report(mine, start, end, {"partner": FUNNELS["partner"]})


def test_plan_lines_on_demo_like_data_match_an_independent_computation(demo_rows, manager_a):
    Plan.objects.create(
        month=MAR, channel=channel("active"), manager=manager_a, indicator="revenue", value=500_000
    )
    Plan.objects.create(
        month=MAR, channel=channel("active"), manager=manager_a, indicator="meetings_set", value=80
    )
    data = report_json(
        "--from", "2026-03-01", "--to", "2026-03-31", "--manager", "manager_a",
        "--as-of", "2026-03-11",
    )  # fmt: skip
    rows = [r for r in demo_rows if r["manager"] == "manager_a" and r["channel"] == "active"]
    # These rows run to the 27th; the forecast is as of the end of the 10th: the facts
    # dated before the 11th over the 7 working days before it (2-6, 9, 10) of 22.
    rows = [r for r in rows if r["date"] >= MAR]
    revenue = sum(Fraction(r["revenue"]) for r in rows)
    meetings = sum(r["meetings_set"] for r in rows)
    early = [r for r in rows if r["date"] < dt.date(2026, 3, 11)]
    revenue_before = sum(Fraction(r["revenue"]) for r in early)
    meetings_before = sum(r["meetings_set"] for r in early)
    meetings_forecast = float(half_up(Fraction(meetings_before) * 22 / 7, 2))
    # Pace: 7 of 22 working days expect 7/22 of each plan; counts keep the fraction, money
    # is rounded to the kopeck first (500 000 × 7 / 22 = 159 090.909… → 159 090.91).
    meetings_pace = ratio4(meetings_before, Fraction(80 * 7, 22))
    revenue_pace = ratio4(half_up(revenue_before, 2), Fraction("159090.91"))

    def status(pace):
        return "on_track" if pace >= 1 else "behind" if pace >= 0.9 else "far_behind"

    assert data["channels"][0]["plans"] == [
        {
            "indicator": "meetings_set",
            "plan": 80,
            "fact": meetings,
            "completion": ratio4(meetings, 80),
            "forecast": meetings_forecast,
            "expected_to_date": 25.45,
            "fact_to_date": meetings_before,
            "pace": meetings_pace,
            "pace_status": status(Fraction(meetings_before) / Fraction(80 * 7, 22)),
        },
        {
            "indicator": "revenue",
            "plan": "500000.00",
            "fact": kopecks(revenue),
            "completion": ratio4(half_up(revenue, 2), 500_000),
            "forecast": kopecks(revenue_before * 22 / 7),
            "expected_to_date": "159090.91",
            "fact_to_date": kopecks(revenue_before),
            "pace": revenue_pace,
            "pace_status": status(half_up(revenue_before, 2) / Fraction("159090.91")),
        },
    ]
    # The total compares the revenue plan with the revenue of the planned channel only.
    assert data["total"]["plans"] == data["channels"][0]["plans"][1:]


def test_as_of_in_the_middle_of_a_past_month_leaves_later_facts_out_of_the_forecast(small):
    # March as of the 4th, then again after a fact dated the 4th is written: the fact
    # counts in the month's fact, not in the forecast (only facts before --as-of do).
    args = ("--from", "2026-03-01", "--to", "2026-03-31", "--manager", "manager_a")
    before = report_json(*args, "--as-of", "2026-03-04")["total"]["plans"][0]
    write_fact(
        User.objects.get(username="manager_a"), "inbound", dt.date(2026, 3, 4), revenue="9999.99"
    )
    after = report_json(*args, "--as-of", "2026-03-04")["total"]["plans"][0]
    assert after["forecast"] == before["forecast"] == "2750.00"
    assert after["fact"] == "10249.99"


def test_help_cites_no_outside_document(capsys):
    with pytest.raises(SystemExit):
        call_command("kpi_report", "--help")
    text = capsys.readouterr().out
    assert "--as-of" in text
    assert ".md" not in text
