"""The four default channels (docs/data-model.md), so a department can start on day one.

Codes are stable identifiers; names are in English and Russian. An admin may change
everything later; reversing this migration removes only channels without facts.
"""

from django.db import migrations

ACTIVE, INBOUND, REPEAT_VIP, PARTNER = "active", "inbound", "repeat_vip", "partner"

NAMES = {
    "first_contacts": ("First contacts", "Первичные касания"),
    "meetings_set": ("Meetings and presentations set", "Назначенные встречи и презентации"),
    "negotiations_held": ("Negotiations held", "Проведённые переговоры"),
    "proposals_sent": ("Proposals sent", "Отправленные КП"),
    "contracts_agreed": ("Contracts agreed", "Согласованные договоры"),
    "invoices_issued": ("Invoices issued", "Выставленные счета"),
    "prospects_added": (
        "Prospects added to the base",
        "Потенциальные клиенты, занесённые в базу",
    ),
    "contact_attempts": ("Contact attempts", "Попытки связаться с клиентом"),
    "proposals_reviewed": ("Proposals reviewed by clients", "Рассмотренные КП"),
    "leads_received": ("Leads received", "Поступившие лиды"),
    "qualified_leads": ("Qualified leads", "Целевые лиды"),
    "consultations_held": ("Consultations and presentations", "Консультации и презентации"),
    "occasion_contacts": (
        "Contacts on scheduled occasions",
        "Контакты по регламентным поводам",
    ),
    "offers_made": ("Offers made", "Сделанные предложения"),
    "orders_agreed": ("Orders agreed", "Согласованные заказы"),
    "partner_contacts": (
        "Contacts with potential partners",
        "Контакты с потенциальными партнёрами",
    ),
    "dm_meetings_set": ("Meetings with decision makers", "Встречи с ЛПР"),
    "dm_attempts": ("Attempts to reach the decision maker", "Попытки связаться с ЛПР"),
}

# code, kind, English, Russian, main indicator, colour, stages, activities
CHANNELS = [
    (
        ACTIVE, "active", "Active sales", "Активные продажи", "prospects_added", "#2454d6",
        ["first_contacts", "meetings_set", "negotiations_held", "proposals_sent",
         "contracts_agreed", "invoices_issued"],
        ["prospects_added", "contact_attempts", "proposals_reviewed"],
    ),
    (
        INBOUND, "inbound", "Inbound sales", "Входящие продажи", "leads_received", "#1a9e77",
        ["leads_received", "qualified_leads", "consultations_held", "contracts_agreed",
         "invoices_issued"],
        [],
    ),
    (
        REPEAT_VIP, "repeat_vip", "Repeat and VIP clients", "Постоянные и VIP-клиенты",
        "occasion_contacts", "#d95f02",
        ["occasion_contacts", "offers_made", "orders_agreed", "invoices_issued"],
        [],
    ),
    (
        PARTNER, "partner", "Partner sales", "Партнёрские продажи", "partner_contacts",
        "#7570b3",
        ["partner_contacts", "dm_meetings_set", "negotiations_held", "proposals_sent",
         "contracts_agreed", "invoices_issued"],
        ["dm_attempts", "proposals_reviewed"],
    ),
]


def create_channels(apps, schema_editor):
    Channel = apps.get_model("channels", "Channel")
    Indicator = apps.get_model("funnel", "Indicator")
    for order, (code, kind, en, ru, main, colour, stages, activities) in enumerate(CHANNELS):
        channel, _ = Channel.objects.get_or_create(
            code=code,
            defaults={
                "kind": kind, "name_en": en, "name_ru": ru, "main_indicator": main,
                "colour": colour, "display_order": order + 1, "is_active": True,
            },
        )
        for kind_name, codes in (("stage", stages), ("activity", activities)):
            for position, indicator_code in enumerate(codes, start=1):
                name_en, name_ru = NAMES[indicator_code]
                Indicator.objects.get_or_create(
                    channel=channel,
                    code=indicator_code,
                    defaults={
                        "kind": kind_name, "order": position,
                        "name_en": name_en, "name_ru": name_ru,
                    },
                )


def remove_channels(apps, schema_editor):
    Channel = apps.get_model("channels", "Channel")
    Channel.objects.filter(code__in=[c[0] for c in CHANNELS], facts__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("channels", "0001_initial"),
        ("funnel", "0002_initial"),
    ]

    operations = [migrations.RunPython(create_channels, remove_channels)]
