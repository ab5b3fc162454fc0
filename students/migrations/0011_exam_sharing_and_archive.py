from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("students", "0010_fill_student_name_keys"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="exam",
            name="archived_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="exam",
            name="co_examiners",
            field=models.ManyToManyField(
                blank=True, related_name="shared_exams", to=settings.AUTH_USER_MODEL
            ),
        ),
    ]
