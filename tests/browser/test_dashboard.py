"""The dashboard in Chromium: filters through HTMX, charts drawn, drill-down, exports,
nothing fetched from outside the server and no JavaScript error on the way."""

import csv
import datetime as dt
import io
import os
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from channels.models import Channel
from tests.browser.conftest import log_in, reveal_every_panel
from tests.factories import make_user, write_fact

# Transactional: the live server sees the data (the default channels come back through the
# default_channels fixture after a flush).
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def open_dashboard(
    page: Page, live_server, user, path: str = "/dashboard/", *, every_panel: bool = True
) -> None:
    log_in(page, live_server, user)
    page.goto(f"{live_server.url}{path}")
    expect(page.locator("#chart-funnel-active.js-plotly-plot")).to_be_visible()
    if every_panel:
        load_every_panel(page)


def load_every_panel(page: Page) -> None:
    """Every panel below the fold loaded, and back to the top."""
    reveal_every_panel(page)
    page.evaluate("window.scrollTo(0, 0)")


def test_every_chart_is_drawn_with_a_bar_per_stage(watched, live_server, company):
    open_dashboard(watched, live_server, company["director"])
    # Four funnels, revenue and stage trends, the leaderboard.
    expect(watched.locator(".js-plotly-plot")).to_have_count(7)
    for channel in Channel.objects.all():
        stages = channel.indicators.filter(kind="stage").count()
        points = watched.locator(f"#chart-funnel-{channel.code} .trace .point")
        expect(points).to_have_count(stages)
    expect(watched.locator("#chart-trend-revenue .trace")).to_have_count(4)
    expect(watched.locator("#chart-leaderboard .trace .point")).to_have_count(6)
    # The light plotly.js bundle registers every trace type the page's figures use.
    used, registered = watched.evaluate(
        """() => [
          [...document.querySelectorAll("[data-figure]")].flatMap((element) =>
            JSON.parse(document.getElementById(element.dataset.figure).textContent)
              .data.map((trace) => trace.type)),
          Object.keys(Plotly.PlotSchema.get().traces),
        ]"""
    )
    assert set(used) == {"funnel", "bar"}
    assert set(used) <= set(registered)
    assert "scattergl" not in registered  # not the full bundle


def test_changing_a_filter_swaps_the_panels_and_the_url(watched, live_server, company):
    open_dashboard(watched, live_server, company["director"])
    start_url = watched.url
    inbound = Channel.objects.get(code="inbound")
    watched.select_option("#id_channel", str(inbound.pk))
    expect(watched).to_have_url(re.compile(rf"channel={inbound.pk}"))
    expect(watched.locator(".funnel-chart")).to_have_count(1)
    expect(watched.locator("#chart-funnel-inbound.js-plotly-plot")).to_be_visible()
    team = company["teams"][0]
    watched.select_option("#id_team", str(team.pk))
    expect(watched).to_have_url(re.compile(rf"team={team.pk}"))
    # The panels below the fold come as placeholders again, with the new filters.
    expect(watched.locator("#leaderboard.lazy-panel")).to_have_count(1)
    load_every_panel(watched)
    expect(watched.locator("table.leaderboard tbody tr")).to_have_count(3)
    watched.go_back()
    expect(watched).to_have_url(re.compile(rf"channel={inbound.pk}&team=&"))
    load_every_panel(watched)
    expect(watched.locator("table.leaderboard tbody tr")).to_have_count(6)
    expect(watched.locator("#id_channel")).to_have_value(str(inbound.pk))
    expect(watched.locator("#id_team")).to_have_value("")
    watched.go_back()
    expect(watched).to_have_url(start_url)
    expect(watched.locator(".funnel-chart")).to_have_count(4)
    expect(watched.locator("#chart-funnel-active.js-plotly-plot")).to_be_visible()
    expect(watched.locator("#id_channel")).to_have_value("")


def test_a_custom_range_typed_in_switches_the_period(watched, live_server, company):
    open_dashboard(watched, live_server, company["director"])
    today = timezone.localdate()
    watched.fill("#id_date_from", today.replace(day=1).isoformat())
    watched.locator("#id_date_from").dispatch_event("change")
    expect(watched).to_have_url(re.compile("period=custom"))
    expect(watched.locator("#id_period")).to_have_value("custom")


def test_a_preset_shows_its_dates_after_the_swap(watched, live_server, company):
    open_dashboard(watched, live_server, company["director"])
    watched.select_option("#id_period", "last_month")
    expect(watched).to_have_url(re.compile("period=last_month"))
    first_of_this_month = timezone.localdate().replace(day=1)
    last_month_end = first_of_this_month - dt.timedelta(days=1)
    expect(watched.locator("#id_date_to")).to_have_value(last_month_end.isoformat())
    expect(watched.locator("#id_date_from")).to_have_value(
        last_month_end.replace(day=1).isoformat()
    )


def test_bad_dates_show_an_error_in_place(watched, live_server, company):
    open_dashboard(watched, live_server, company["director"])
    watched.select_option("#id_period", "custom")
    watched.fill("#id_date_from", "2025-03-10")
    watched.fill("#id_date_to", "2025-03-01")
    watched.click("button[type=submit].primary")
    expect(watched.locator("#filter-errors")).to_contain_text(
        "The start date is after the end date."
    )


def test_clicking_a_funnel_bar_opens_the_facts_behind_it(watched, live_server, company):
    open_dashboard(watched, live_server, company["director"])
    watched.locator("#chart-funnel-active").scroll_into_view_if_needed()
    bar = watched.locator("#chart-funnel-active .trace .point").nth(1).bounding_box()
    watched.mouse.click(bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] / 2)
    drill = watched.locator("#drill")
    expect(drill).to_contain_text("Meetings and presentations set")
    expect(drill.locator("tbody tr").first).to_be_visible()
    # The drill's total is the number the funnel shows for that stage.
    total = drill.locator("tfoot .num").inner_text()
    expect(watched.locator("#chart-funnel-active .trace .point").nth(1)).to_be_attached()
    assert watched.locator("#chart-funnel-active text").filter(has_text=total).count() >= 1


def test_clicking_a_number_opens_its_facts_in_place(watched, live_server, company):
    open_dashboard(watched, live_server, company["director"])
    first = watched.locator("table.leaderboard tbody tr").first
    revenue = first.locator("td").nth(4)
    shown = revenue.inner_text()
    revenue.locator("a").click()
    expect(watched.locator("#drill tfoot .num")).to_have_text(shown)
    assert "d_code" not in watched.url  # opened in place, the page URL stays the filters'


def test_show_all_swaps_the_whole_leaderboard_in_place(watched, live_server, company):
    # 6 managers of the sample company and 16 more: more than the 20 the board shows.
    for k in range(16):
        extra = make_user(f"extra{k:02d}", team=company["teams"][1], full_name=f"Extra {k:02d}")
        write_fact(extra, "active", timezone.localdate(), revenue=f"{k + 1}.00")
    open_dashboard(watched, live_server, company["director"])
    rows = watched.locator("table.leaderboard tbody tr")
    expect(rows).to_have_count(20)
    more = watched.locator("#leaderboard .table-more")
    expect(more).to_contain_text("Showing 20 of 22.")
    start_url = watched.url
    watched.evaluate("window.notReloaded = true")
    more.get_by_role("link", name="Show all").click()
    expect(rows).to_have_count(22)
    expect(more).to_have_count(0)
    # Swapped by HTMX: the same page (no load), the same URL, the chart drawn again.
    assert watched.evaluate("window.notReloaded") is True
    assert watched.url == start_url
    expect(watched.locator("#chart-leaderboard.js-plotly-plot")).to_be_visible()


def test_export_downloads_the_numbers_on_screen(watched, live_server, company):
    open_dashboard(watched, live_server, company["director"])
    first = watched.locator("table.leaderboard tbody tr").first
    name = first.locator("td").nth(1).locator(".name").inner_text()
    revenue = first.locator("td").nth(4).inner_text()
    completion = first.locator("td").nth(5).inner_text()
    with watched.expect_download() as info:
        watched.locator("#leaderboard a", has_text="CSV").click()
    rows = list(csv.reader(io.StringIO(Path(info.value.path()).read_text("utf-8-sig"))))
    assert rows[1][1] == name
    assert rows[1][4] == revenue.replace(",", "").replace("\u00a0₽", "")
    assert rows[1][5] + "\u00a0%" == completion


def test_manager_sees_their_own_numbers_and_place(watched, live_server, company):
    manager = company["managers"][0]
    open_dashboard(watched, live_server, manager, "/dashboard/my/")
    expect(watched.locator("#rank")).to_contain_text("of 3 in North")
    expect(watched.locator("#leaderboard")).to_have_count(0)
    expect(watched.locator(".mainnav a", has_text="My numbers")).to_have_attribute(
        "aria-current", "page"
    )


@pytest.mark.skipif(os.environ.get("SCREENSHOTS") != "1", reason="set SCREENSHOTS=1 to refresh")
@pytest.mark.parametrize("language", ["en", "ru"])
# The phone screenshots (375 px) are taken by the phone walk, tests/browser/test_phone_walk.py.
@pytest.mark.parametrize(("suffix", "size"), [("", (1366, 900))], ids=["desktop"])
def test_screenshots_for_the_docs(browser, live_server, company, language, suffix, size):
    director = company["director"]
    director.language = language
    director.save(update_fields=["language"])
    # The browser's own locale formats the date inputs.
    context = browser.new_context(
        locale="ru-RU" if language == "ru" else "en-GB",
        viewport={"width": size[0], "height": size[1]},
        device_scale_factor=1,
    )
    page = context.new_page()
    open_dashboard(page, live_server, director)
    page.wait_for_timeout(500)  # Plotly's resize after layout
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"dashboard{suffix}-{language}.png", full_page=True)
    context.close()


@pytest.mark.parametrize("language", ["en", "ru"])
def test_monday_panels_fit_a_phone_in_both_languages(browser, live_server, company, language):
    director = company["director"]
    director.language = language
    director.save(update_fields=["language"])
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    open_dashboard(page, live_server, director)
    texts = {
        "en": ("Money by channel", "Margin and profitability by manager", "Main indicator"),
        "ru": ("Деньги по каналам", "Маржа и рентабельность по менеджерам", "Главный показатель"),
    }[language]
    expect(page.locator("#money h2")).to_have_text(texts[0])
    expect(page.locator("#margin h2")).to_have_text(texts[1])
    expect(page.locator("#funnel-active .badge")).to_have_text(texts[2])
    # Pace says its band in words on the plan card, and n stands beside conversions.
    expect(page.locator("#cards .pace-line")).to_be_visible()
    expect(page.locator("#conversions .n").first).to_be_visible()
    # The new panels keep to the screen: their wide tables scroll inside their own box.
    for panel in (
        "#cards",
        "#money",
        "#margin",
        "#leaks",
        "#funnel-active",
        "#plans",
        "#leaderboard",
    ):
        box = page.locator(panel).bounding_box()
        assert box["x"] >= 0, panel
        assert box["x"] + box["width"] <= 375, panel
        assert page.locator(panel).evaluate("e => e.scrollWidth <= e.clientWidth"), panel
    assert errors == []
    context.close()


def test_margin_table_sorts_in_place_by_a_header(watched, live_server, company):
    open_dashboard(watched, live_server, company["director"])
    start_url = watched.url
    watched.evaluate("window.notReloaded = true")
    header = watched.locator("#margin th", has_text="Manager")
    header.locator("a").click()
    expect(watched.locator("#margin th[aria-sort=ascending]")).to_contain_text("Manager")
    names = watched.locator("#margin tbody tr td:first-child").all_inner_texts()
    assert names == sorted(names, key=str.casefold)
    assert watched.evaluate("window.notReloaded") is True
    assert watched.url == start_url


def test_panels_below_the_fold_load_when_scrolled_to(browser, live_server, company):
    # A phone's first screen: the filters, the headline cards and the funnels come with the
    # page; the conversions table is asked for only once it scrolls into view.
    context = browser.new_context(viewport={"width": 375, "height": 700})
    page = context.new_page()
    asked = []
    page.on("request", lambda request: asked.append(request.url))
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    open_dashboard(
        page, live_server, company["director"], "/dashboard/?period=this_month", every_panel=False
    )
    page.wait_for_load_state("networkidle")
    assert [url for url in asked if "panel=conversions" in url] == []
    expect(page.locator("#conversions.lazy-panel")).to_have_attribute("aria-busy", "true")
    expect(page.locator("table.conversions")).to_have_count(0)
    page.locator("#conversions").scroll_into_view_if_needed()
    expect(page.locator("table.conversions").first).to_be_visible()
    conversions = [url for url in asked if "panel=conversions" in url]
    assert len(conversions) == 1
    assert "period=this_month" in conversions[0]  # the panel keeps the page's filters
    assert errors == []
    context.close()


def test_without_javascript_the_whole_page_is_served(browser, live_server, company):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    log_in(page, live_server, company["director"])
    page.goto(f"{live_server.url}/dashboard/?period=this_month")
    page.wait_for_url(re.compile(r"full=1"))
    assert "period=this_month" in page.url
    expect(page.locator(".lazy-panel")).to_have_count(0)
    expect(page.locator("table.leaderboard tbody tr")).to_have_count(6)
    expect(page.locator("table.conversions").first).to_be_attached()
    context.close()


def test_the_funnels_show_before_plotly_js_has_run(browser, live_server, company, tmp_path):
    # Each funnel comes with the page as a still SVG of the same bars; plotly.js (which a
    # slow phone spends seconds fetching and running) replaces it with the interactive chart.
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    page.route("**/plotly-finance.min.js", lambda route: route.abort())
    log_in(page, live_server, company["director"])
    page.goto(f"{live_server.url}/dashboard/")
    for channel in Channel.objects.all():
        stages = channel.indicators.filter(kind="stage").count()
        preview = page.locator(f"#chart-funnel-{channel.code} svg.chart-preview")
        expect(preview.locator("rect")).to_have_count(stages)
        assert preview.bounding_box()["height"] > 100
    # The widest bar is the first stage's; the labels are the stage names.
    widths = page.locator("#chart-funnel-active svg.chart-preview rect").evaluate_all(
        "rects => rects.map((r) => r.getBBox().width)"
    )
    assert widths[0] == max(widths) > 0
    first = Channel.objects.get(code="active").indicators.filter(kind="stage").order_by("order")
    expect(page.locator("#chart-funnel-active svg.chart-preview")).to_contain_text(
        first[0].name.split()[0]
    )
    page.locator("#funnel").screenshot(path=tmp_path / "funnel-preview.png")  # --basetemp
    expect(page.locator(".js-plotly-plot")).to_have_count(0)
    page.unroute("**/plotly-finance.min.js")
    page.reload()
    expect(page.locator("#chart-funnel-active.js-plotly-plot")).to_be_visible()
    expect(page.locator("#chart-funnel-active svg.chart-preview")).to_have_count(0)
    context.close()
