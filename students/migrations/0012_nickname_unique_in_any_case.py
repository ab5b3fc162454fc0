from django.db import migrations, models
from django.db.models import Count
from django.db.models.functions import Lower


def refuse_existing_clashes(apps, schema_editor):
    """The constraint below cannot be added while two students of one exam have nicknames
    that differ only in case: name them all, so the examiner (or an admin) can rename one of
    each pair and run the migration again."""
    Student = apps.get_model("students", "Student")
    clashes = (
        Student.objects.values("exam_id", "exam__title", folded=Lower("nickname"))
        .annotate(students=Count("pk"))
        .filter(students__gt=1)
        .order_by("exam_id", "folded")
    )
    lines = []
    for clash in clashes:
        nicknames = Student.objects.filter(
            exam_id=clash["exam_id"], nickname__iexact=clash["folded"]
        ).values_list("nickname", flat=True)
        lines.append(
            f"  exam {clash['exam_id']} “{clash['exam__title']}”: "
            + ", ".join(sorted(nicknames))
        )
    if lines:
        raise RuntimeError(
            "Nicknames must now be unique per exam whatever their case, and these differ "
            "only in case. Rename one of each, then migrate again:\n" + "\n".join(lines)
        )


class Migration(migrations.Migration):
    dependencies = [("students", "0011_exam_sharing_and_archive")]

    operations = [
        migrations.RunPython(refuse_existing_clashes, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="student", name="unique_nickname_per_exam"),
        migrations.AddConstraint(
            model_name="student",
            constraint=models.UniqueConstraint(
                Lower("nickname"), models.F("exam"), name="unique_nickname_per_exam_any_case"
            ),
        ),
    ]
