"""Signal handlers: writes that do not go through funnel.services.facts_write (direct ORM
saves and deletes of facts and counts, team moves, indicator renames and reorders, a
team's deletion) keep the summaries exact in the transaction of the change."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.utils import timezone

from funnel.models import DailyCount, DailyFact, Indicator
from funnel.summaries.fresh import fact_values
from funnel.summaries.rebuild import rebuild_channels_if_reordered, stages_signatures
from funnel.summaries.units import NO_TEAM
from funnel.summaries.write import (
    apply_difference,
    facts_reattribute,
    managers_lock,
    merge_rows,
    pivot_merge_team,
)
from teams.membership import membership_move, team_calendar
from teams.models import Membership, Team, User


def _user_pre_save(sender, instance, raw=False, update_fields=None, using=None, **kwargs):
    if raw or instance.pk is None:
        return
    if update_fields is not None and not {"team", "team_id"} & set(update_fields):
        return
    rows = sender._default_manager.using(using).filter(pk=instance.pk)
    if transaction.get_connection(using).in_atomic_block:
        rows = rows.select_for_update(no_key=True)
    found = rows.values_list("team_id").first()
    if found is not None:
        instance._totals_old_team = found[0]


def _user_post_save(sender, instance, created=False, using=None, **kwargs):
    if "_totals_old_team" not in instance.__dict__:
        return
    old = instance.__dict__.pop("_totals_old_team")
    if created or old == instance.team_id:
        return
    since = getattr(instance, "team_since", None) or timezone.localdate()
    with transaction.atomic(using=using):
        managers_lock([instance.pk])
        membership_move(person=instance, team_id=instance.team_id, since=since, previous=old)


def _membership_pre_save(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    instance._totals_old_since = (
        sender._default_manager.filter(pk=instance.pk).values_list("since", flat=True).first()
    )


def _membership_changed(sender, instance, raw=False, **kwargs):
    """A membership saved or deleted: the person's facts from the earliest day it touches
    take the team of their day, and `User.team` mirrors the latest membership."""
    if raw:
        return
    old_since = instance.__dict__.pop("_totals_old_since", None)
    days = [d for d in (instance.since, old_since) if d is not None]
    with transaction.atomic():
        managers_lock([instance.user_id])
        memberships = list(
            Membership.objects.filter(user_id=instance.user_id).values_list("since", "team_id")
        )
        # The earliest membership also covers the days before it: when it changes, all do.
        earliest = min((since for since, _team in memberships), default=None)
        since = None if earliest is None or min(days) <= earliest else min(days)
        latest = max(memberships, default=None)
        if latest is not None:
            User.objects.filter(pk=instance.user_id).exclude(team_id=latest[1]).update(
                team_id=latest[1]
            )
        facts_reattribute(manager_id=instance.user_id, since=since)


def _team_pre_delete(sender, instance, using=None, **kwargs):
    with transaction.atomic(using=using):
        members = DailyFact.objects.filter(team_id=instance.pk).values("manager_id")
        managers_lock(User.objects.filter(pk__in=members).values_list("pk", flat=True))
        # The facts' team becomes NULL (SET_NULL), a bulk update that sends no signals.
        merge_rows(where="team_key = %s", params=[instance.pk], team=str(NO_TEAM))
        pivot_merge_team(instance.pk, NO_TEAM)


def _indicator_pre_save(sender, instance, raw=False, using=None, **kwargs):
    if raw:
        return
    old = None
    if instance.pk is not None:
        old = (
            sender._default_manager.filter(pk=instance.pk).values_list("code", "channel_id").first()
        )
    # The pivot's columns follow the stage order: compare it after the save.
    instance._pivot_stages = stages_signatures([instance.channel_id, old and old[1]])
    if old is None:
        return
    # Totals carry the channel of the fact, not of the indicator: only the code matters.
    if old and old[0] != instance.code:
        instance._totals_old_code = old


def _indicator_post_save(sender, instance, using=None, **kwargs):
    before = instance.__dict__.pop("_pivot_stages", None)
    if before is not None:
        rebuild_channels_if_reordered(before)
    old = instance.__dict__.pop("_totals_old_code", None)
    if old is None:
        return
    old_code, old_channel = old
    with transaction.atomic(using=using):
        merge_rows(
            where="code = %s AND channel_id = %s",
            params=[old_code, old_channel],
            code="%s",
            code_params=[instance.code],
        )


def _indicator_pre_delete(sender, instance, **kwargs):
    instance._pivot_stages = stages_signatures([instance.channel_id])


def _indicator_post_delete(sender, instance, **kwargs):
    before = instance.__dict__.pop("_pivot_stages", None)
    if before is not None:
        rebuild_channels_if_reordered(before)


def _fact_pre_save(sender, instance, raw=False, **kwargs):
    if raw:
        return
    # The team of the fact's day, whatever the caller set.
    manager = User.objects.filter(pk=instance.manager_id).values_list("team_id").first()
    if manager is not None:
        calendar = team_calendar({instance.manager_id: manager[0]})
        instance.team_id = calendar.team_on(instance.manager_id, instance.date)
    if instance.pk is not None:
        instance._totals_before = fact_values(fact_ids=[instance.pk])


def _fact_post_save(sender, instance, raw=False, using=None, **kwargs):
    if raw:
        return
    before = instance.__dict__.pop("_totals_before", [])
    with transaction.atomic(using=using):
        apply_difference(before, fact_values(fact_ids=[instance.pk]))


def _fact_pre_delete(sender, instance, using=None, **kwargs):
    with transaction.atomic(using=using):
        apply_difference(fact_values(fact_ids=[instance.pk]), [])


def _count_pre_save(sender, instance, raw=False, **kwargs):
    if not raw and instance.pk is not None:
        instance._totals_before = fact_values(count_id=instance.pk)


def _count_post_save(sender, instance, raw=False, using=None, **kwargs):
    if raw:
        return
    before = instance.__dict__.pop("_totals_before", [])
    with transaction.atomic(using=using):
        apply_difference(before, fact_values(count_id=instance.pk))


def _count_pre_delete(sender, instance, origin=None, using=None, **kwargs):
    deleting_facts = isinstance(origin, DailyFact) or (
        isinstance(origin, QuerySet) and origin.model is DailyFact
    )
    if deleting_facts:
        return  # the fact's own pre_delete took its counts off
    with transaction.atomic(using=using):
        apply_difference(fact_values(count_id=instance.pk), [])


def connect_signals() -> None:
    pre_save.connect(_user_pre_save, sender=User, dispatch_uid="totals_user_pre")
    post_save.connect(_user_post_save, sender=User, dispatch_uid="totals_user_post")
    pre_delete.connect(_team_pre_delete, sender=Team, dispatch_uid="totals_team_delete")
    pre_save.connect(_membership_pre_save, sender=Membership, dispatch_uid="totals_member_pre")
    post_save.connect(_membership_changed, sender=Membership, dispatch_uid="totals_member_post")
    post_delete.connect(_membership_changed, sender=Membership, dispatch_uid="totals_member_del")
    pre_save.connect(_indicator_pre_save, sender=Indicator, dispatch_uid="totals_ind_pre")
    post_save.connect(_indicator_post_save, sender=Indicator, dispatch_uid="totals_ind_post")
    pre_delete.connect(_indicator_pre_delete, sender=Indicator, dispatch_uid="totals_ind_pre_del")
    post_delete.connect(_indicator_post_delete, sender=Indicator, dispatch_uid="totals_ind_del")
    pre_save.connect(_fact_pre_save, sender=DailyFact, dispatch_uid="totals_fact_pre")
    post_save.connect(_fact_post_save, sender=DailyFact, dispatch_uid="totals_fact_post")
    pre_delete.connect(_fact_pre_delete, sender=DailyFact, dispatch_uid="totals_fact_delete")
    pre_save.connect(_count_pre_save, sender=DailyCount, dispatch_uid="totals_count_pre")
    post_save.connect(_count_post_save, sender=DailyCount, dispatch_uid="totals_count_post")
    pre_delete.connect(_count_pre_delete, sender=DailyCount, dispatch_uid="totals_count_delete")
