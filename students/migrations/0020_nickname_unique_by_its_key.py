from django.db import migrations, models


class Migration(migrations.Migration):
    """One nickname per exam by collation.nickname_key (case folded in Python, the same on
    SQLite and PostgreSQL), instead of by the database's lower()."""

    dependencies = [("students", "0019_student_nickname_key")]

    operations = [
        migrations.RemoveConstraint(
            model_name="student", name="unique_nickname_per_exam_any_case"
        ),
        migrations.AddConstraint(
            model_name="student",
            constraint=models.UniqueConstraint(
                fields=["exam", "nickname_key"], name="unique_nickname_key_per_exam"
            ),
        ),
    ]
