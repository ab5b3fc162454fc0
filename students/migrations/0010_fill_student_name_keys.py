from django.db import migrations

from students import collation


def fill_keys(apps, schema_editor):
    """Search and sort keys for the students made before the keys existed, as
    Student.fill_keys() makes them (the historical model has no methods)."""
    Student = apps.get_model("students", "Student")
    batch = []
    for student in Student.objects.only(
        "first_name", "last_name", "nickname", "email"
    ).iterator(chunk_size=2000):
        student.search_key, student.sort_key = collation.student_keys(
            student.first_name, student.last_name, student.nickname, student.email
        )
        batch.append(student)
        if len(batch) == 2000:
            Student.objects.bulk_update(batch, ["search_key", "sort_key"])
            batch = []
    Student.objects.bulk_update(batch, ["search_key", "sort_key"])


class Migration(migrations.Migration):
    dependencies = [("students", "0009_student_extra_uploads_and_name_keys")]

    operations = [migrations.RunPython(fill_keys, migrations.RunPython.noop)]
