"""Open wallets for users created before billing existed, and schedule the expiry jobs.

The schedules live in a data migration (not a manual command) so every deployment that
migrates has them; update_or_create keeps reruns and later edits harmless.
"""

from django.conf import settings
from django.db import migrations


def open_wallets(apps, schema_editor):
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    Account = apps.get_model("billing", "Account")
    Account.objects.bulk_create(
        [
            Account(user_id=user_id, balance=0, held=0)
            for user_id in User.objects.filter(wallet__isnull=True).values_list("id", flat=True)
        ]
    )


def create_schedules(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for name, func in [
        ("billing: expire holds", "billing.tasks.expire_holds"),
        ("billing: expire top-ups", "billing.tasks.expire_topups"),
    ]:
        Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": "I", "minutes": 5, "repeats": -1},
        )


def delete_schedules(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name__startswith="billing: ").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_ledger"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(open_wallets, migrations.RunPython.noop),
        migrations.RunPython(create_schedules, delete_schedules),
    ]
