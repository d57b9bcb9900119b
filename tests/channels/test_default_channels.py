"""The default channels (docs/data-model.md), pinned: a migration change must be deliberate."""

from django.utils import translation

from channels.models import Channel

STAGE_NAMES = {
    "first_contacts": ("First contacts", "Первичные касания"),
    "meetings_set": ("Meetings and presentations set", "Назначенные встречи и презентации"),
    "negotiations_held": ("Negotiations held", "Проведённые переговоры"),
    "proposals_sent": ("Proposals sent", "Отправленные КП"),
    "contracts_agreed": ("Contracts agreed", "Согласованные договоры"),
    "invoices_issued": ("Invoices issued", "Выставленные счета"),
    "prospects_added": ("Prospects added to the base", "Потенциальные клиенты, занесённые в базу"),
    "contact_attempts": ("Contact attempts", "Попытки связаться с клиентом"),
    "proposals_reviewed": ("Proposals reviewed by clients", "Рассмотренные КП"),
    "leads_received": ("Leads received", "Поступившие лиды"),
    "qualified_leads": ("Qualified leads", "Целевые лиды"),
    "consultations_held": ("Consultations and presentations", "Консультации и презентации"),
    "occasion_contacts": ("Contacts on scheduled occasions", "Контакты по регламентным поводам"),
    "offers_made": ("Offers made", "Сделанные предложения"),
    "orders_agreed": ("Orders agreed", "Согласованные заказы"),
    "partner_contacts": (
        "Contacts with potential partners",
        "Контакты с потенциальными партнёрами",
    ),
    "dm_meetings_set": ("Meetings with decision makers", "Встречи с ЛПР"),
    "dm_attempts": ("Attempts to reach the decision maker", "Попытки связаться с ЛПР"),
}

DEFAULTS = [
    (
        "active",
        "active",
        ("Active sales", "Активные продажи"),
        "prospects_added",
        [
            "first_contacts",
            "meetings_set",
            "negotiations_held",
            "proposals_sent",
            "contracts_agreed",
            "invoices_issued",
        ],
        ["prospects_added", "contact_attempts", "proposals_reviewed"],
    ),
    (
        "inbound",
        "inbound",
        ("Inbound sales", "Входящие продажи"),
        "leads_received",
        [
            "leads_received",
            "qualified_leads",
            "consultations_held",
            "contracts_agreed",
            "invoices_issued",
        ],
        [],
    ),
    (
        "repeat_vip",
        "repeat_vip",
        ("Repeat and VIP clients", "Постоянные и VIP-клиенты"),
        "occasion_contacts",
        ["occasion_contacts", "offers_made", "orders_agreed", "invoices_issued"],
        [],
    ),
    (
        "partner",
        "partner",
        ("Partner sales", "Партнёрские продажи"),
        "partner_contacts",
        [
            "partner_contacts",
            "dm_meetings_set",
            "negotiations_held",
            "proposals_sent",
            "contracts_agreed",
            "invoices_issued",
        ],
        ["dm_attempts", "proposals_reviewed"],
    ),
]


def configuration() -> list[tuple]:
    result = []
    for ch in Channel.objects.order_by("display_order"):
        indicators = ch.indicators.order_by("order")
        result.append(
            (
                ch.code,
                ch.kind,
                (ch.name_en, ch.name_ru),
                ch.main_indicator,
                [i.code for i in indicators if i.kind == "stage"],
                [i.code for i in indicators if i.kind == "activity"],
            )
        )
    return result


def test_migrations_create_exactly_the_four_default_channels(db):
    assert configuration() == DEFAULTS
    assert all(ch.is_active for ch in Channel.objects.all())


def test_every_default_stage_and_activity_has_its_english_and_russian_name(db):
    for ch in Channel.objects.all():
        for indicator in ch.indicators.all():
            assert (indicator.name_en, indicator.name_ru) == STAGE_NAMES[indicator.code]


def test_stage_orders_run_from_one_without_gaps(db):
    for ch in Channel.objects.all():
        for kind in ("stage", "activity"):
            orders = list(ch.indicators.filter(kind=kind).values_list("order", flat=True))
            assert sorted(orders) == list(range(1, len(orders) + 1))


def test_channel_name_follows_the_active_language(db):
    active = Channel.objects.get(code="active")
    with translation.override("ru"):
        assert str(active) == "Активные продажи"
    with translation.override("en"):
        assert str(active) == "Active sales"
