from collections import defaultdict

from django.db import migrations, models

from students.collation import nickname_key


def fill_keys_refusing_clashes(apps, schema_editor):
    """Each student's nickname_key, as Student.save() now writes it. Nicknames that were
    different to the database's lower() may be one nickname now ("straße" and "STRASSE"):
    the unique constraint of the next migration cannot be added while two students of one
    exam share a key, so name them all, for the examiner (or an admin) to rename one of
    each and migrate again."""
    Student = apps.get_model("students", "Student")
    students = Student.objects.order_by("pk").only("pk", "exam_id", "nickname")
    shared = defaultdict(list)
    batch = []
    for student in students.iterator(chunk_size=2000):
        student.nickname_key = nickname_key(student.nickname)
        shared[student.exam_id, student.nickname_key].append(student.nickname)
        batch.append(student)
        if len(batch) == 1000:
            Student.objects.bulk_update(batch, ["nickname_key"])
            batch = []
    Student.objects.bulk_update(batch, ["nickname_key"])
    clashes = {key: nicknames for key, nicknames in shared.items() if len(nicknames) > 1}
    if clashes:
        Exam = apps.get_model("students", "Exam")
        titles = dict(Exam.objects.filter(pk__in={exam for exam, _ in clashes}).values_list("pk", "title"))
        lines = [
            f"  exam {exam} “{titles[exam]}”: " + ", ".join(sorted(nicknames))
            for (exam, _key), nicknames in sorted(clashes.items())
        ]
        raise RuntimeError(
            "Nicknames are now the same when they are the same letters in any case (“straße” "
            "is “STRASSE”), and these students share one. Rename one of each, then migrate "
            "again:\n" + "\n".join(lines)
        )


class Migration(migrations.Migration):
    dependencies = [("students", "0018_import_remembers_its_encoding")]

    operations = [
        migrations.AddField(
            model_name="student",
            name="nickname_key",
            field=models.CharField(default="", editable=False, max_length=600),
        ),
        migrations.RunPython(fill_keys_refusing_clashes, migrations.RunPython.noop),
    ]
