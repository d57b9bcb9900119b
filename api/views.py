"""The read side of the API (/api/v1/): what the token's owner may see on the web pages,
as JSON. Every query is narrowed by teams.scope first; the writes are api.writes."""

from __future__ import annotations

from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import pagination
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers as s
from api.common import channel_by_code, month_of, plan_row, query
from api.errors import InvalidInput, problem
from api.writes import facts_upsert, plan_write
from channels.models import Channel
from funnel.models import MONEY_CODES, MONEY_DECIMAL_CODES, DailyCount, DailyFact
from metrics.reports import build_report, report_as_dict
from metrics.selectors import Scope, channel_catalogue
from plans.models import Plan
from teams.membership import members_ever
from teams.models import Team, User
from teams.scope import days_visible_to, people_visible_to, teams_visible_to


def visible_team(user: User, team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    team = teams_visible_to(user).filter(pk=team_id).first()
    if team is None:
        raise Http404
    return team


def visible_manager(user: User, manager_id: int | None) -> User | None:
    if manager_id is None:
        return None
    manager = people_visible_to(user).filter(pk=manager_id).first()
    if manager is None:
        raise Http404
    return manager


def visible_facts(user: User):
    """The facts the user reads on the web: their own (a manager), those of their teams'
    days and of the people now in their teams (a head), all (director, admin)."""
    facts = DailyFact.objects.all()
    if user.sees_everything:
        return facts
    if user.is_head:
        led = user.led_teams.values("pk")
        return facts.filter(Q(manager__team__in=led) | Q(team__in=led))
    return facts.filter(manager=user)


class Me(APIView):
    @extend_schema(responses=s.MeOut, summary="The token's owner")
    def get(self, request):
        user = request.user
        return Response(
            {
                "id": user.pk,
                "username": user.username,
                "full_name": user.full_name,
                "role": user.role,
                "token": request.auth.name,
            }
        )


class Channels(APIView):
    @extend_schema(responses=s.ChannelOut(many=True), summary="Channels, stages, indicators")
    def get(self, request):
        rows = []
        for channel in channel_catalogue(include_inactive=True):
            rows.append(
                {
                    "code": channel.code,
                    "name": channel.name,
                    "kind": channel.kind,
                    "is_active": channel.is_active,
                    "main_indicator": channel.main_indicator,
                    "stages": [_indicator(i) for i in channel.stage_list],
                    "activities": [_indicator(i) for i in channel.activity_list],
                    "money": list(MONEY_CODES),
                }
            )
        return Response(rows)


def _indicator(indicator) -> dict:
    return {
        "code": indicator.code,
        "name": indicator.name,
        "kind": indicator.kind,
        "order": indicator.order,
    }


class Teams(APIView):
    @extend_schema(responses=s.TeamOut(many=True), summary="Teams visible to the caller")
    def get(self, request):
        teams = teams_visible_to(request.user).prefetch_related("heads")
        return Response(
            [
                {"id": t.pk, "name": t.name, "heads": sorted(h.pk for h in t.heads.all())}
                for t in teams
            ]
        )


class People(APIView):
    @extend_schema(responses=s.PersonOut(many=True), summary="Managers visible to the caller")
    def get(self, request):
        people = people_visible_to(request.user).prefetch_related("channels").order_by("pk")
        return Response(
            [
                {
                    "id": p.pk,
                    "username": p.username,
                    "full_name": p.full_name,
                    "team": p.team_id,
                    "channels": sorted(c.code for c in p.channels.all()),
                    "is_active": p.is_active,
                }
                for p in people
            ]
        )


def report_scope(user: User, data: dict) -> Scope:
    """The dashboard's rules (dashboards.filters): a manager reads their own facts; a head
    their teams' (a manager's days in them); the director everything."""
    channel = channel_by_code(data.get("channel"))
    channel_ids = (channel.pk,) if channel else None
    if user.is_manager:
        if data.get("team") is not None:
            raise PermissionDenied
        if data.get("manager") not in (None, user.pk):
            raise Http404
        managers, teams = User.objects.filter(pk=user.pk), None
    else:
        team = visible_team(user, data.get("team"))
        manager = visible_manager(user, data.get("manager"))
        teams = None
        if team is not None:
            teams = Team.objects.filter(pk=team.pk).values("pk")
        elif not user.sees_everything:
            teams = user.led_teams.values("pk")
        managers = None
        if manager is not None:
            managers = User.objects.filter(pk=manager.pk)
            if team is None:
                teams = days_visible_to(user, manager)
            elif not managers.filter(members_ever(teams)).exists():
                raise InvalidInput([problem("manager", "The manager has never been in the team.")])
    return Scope(data["date_from"], data["date_to"], channel_ids, managers, teams)


class Report(APIView):
    @extend_schema(
        parameters=[s.ReportQuery],
        responses={200: s.REPORT_SCHEMA},
        summary="The KPI report of a scope (kpi_report's JSON)",
    )
    def get(self, request):
        data = query(s.ReportQuery, request)
        scope = report_scope(request.user, data)
        as_of = data.get("as_of") or timezone.localdate()
        return Response(report_as_dict(build_report(scope=scope, as_of=as_of)))


class FactsPage(pagination.PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


def fact_row(fact: DailyFact, channel_codes: dict[int, str]) -> dict:
    values: dict[str, int | str] = {}
    for count in fact.counts.all():
        values[count.indicator.code] = count.value
    for code in MONEY_CODES:
        value = getattr(fact, code)
        values[code] = f"{value:.2f}" if code in MONEY_DECIMAL_CODES else value
    return {
        "date": fact.date,
        "manager": fact.manager_id,
        "channel": channel_codes[fact.channel_id],
        "team": fact.team_id,
        "values": values,
        "updated_at": fact.updated_at,
    }


def facts_filtered(user: User, data: dict):
    facts = visible_facts(user)
    if "date_from" in data:
        facts = facts.filter(date__gte=data["date_from"])
    if "date_to" in data:
        facts = facts.filter(date__lte=data["date_to"])
    if data.get("manager") is not None:
        facts = facts.filter(manager=visible_manager(user, data["manager"]))
    if data.get("team") is not None:
        facts = facts.filter(team=visible_team(user, data["team"]))
    channel = channel_by_code(data.get("channel"))
    if channel is not None:
        facts = facts.filter(channel=channel)
    counts = DailyCount.objects.select_related("indicator").order_by("indicator__order", "pk")
    return facts.order_by("date", "manager_id", "channel_id", "pk").prefetch_related(
        Prefetch("counts", queryset=counts)
    )


class Facts(APIView):
    """GET: daily facts page by page; POST: upsert a batch (api.writes)."""

    @extend_schema(
        parameters=[
            s.FactsQuery,
            OpenApiParameter("page", int, description="Page number, from 1."),
            OpenApiParameter("page_size", int, description="Facts per page (100; at most 1000)."),
        ],
        responses=s.FactsPageOut,
        summary="Daily facts, filtered and paged",
    )
    def get(self, request):
        data = query(s.FactsQuery, request)
        facts = facts_filtered(request.user, data)
        paginator = FactsPage()
        page = paginator.paginate_queryset(facts, request, view=self)
        codes = dict(Channel.objects.values_list("pk", "code"))
        return paginator.get_paginated_response([fact_row(f, codes) for f in page])

    @extend_schema(
        request=s.FactsIn, responses=s.FactsOut, summary="Upsert facts: all values or none"
    )
    def post(self, request):
        return Response(facts_upsert(request))


class Plans(APIView):
    """GET: a month's plans the caller may see; POST: set one manager's plan (api.writes)."""

    @extend_schema(parameters=[s.PlansQuery], responses=s.PlanOut(many=True), summary="Plans")
    def get(self, request):
        user = request.user
        data = query(s.PlansQuery, request)
        plans = Plan.objects.filter(month=month_of(data.get("month"))).select_related("channel")
        if user.is_manager:
            plans = plans.filter(manager=user)
        elif not user.sees_everything:
            led = user.led_teams.values("pk")
            plans = plans.filter(Q(manager__team__in=led) | Q(team__in=led))
        if data.get("manager") is not None:
            plans = plans.filter(manager=visible_manager(user, data["manager"]))
        if data.get("team") is not None:
            plans = plans.filter(team=visible_team(user, data["team"]))
        if data.get("channel"):
            plans = plans.filter(channel=channel_by_code(data["channel"]))
        plans = plans.order_by("channel__display_order", "manager_id", "team_id", "indicator")
        return Response([plan_row(p) for p in plans])

    @extend_schema(request=s.PlanIn, responses=s.PlanWriteOut, summary="Set a manager's plan")
    def post(self, request):
        return Response(plan_write(request))
