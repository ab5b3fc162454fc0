import hashlib

import factory
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from students.models import Exam, Student
from submissions.models import Submission, submission_key


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"examiner{n}")
    password = factory.django.Password("correct horse battery staple")


class ExamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Exam

    owner = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Algebra midterm {n}")


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Student

    exam = factory.SubFactory(ExamFactory)
    nickname = factory.Sequence(lambda n: f"s{n:05d}")
    first_name = "Ada"
    last_name = factory.Sequence(lambda n: f"Lovelace{n}")
    email = factory.LazyAttribute(lambda s: f"{s.nickname}@example.edu")


class SubmissionFactory(factory.django.DjangoModelFactory):
    """A recorded submission, as Submission.objects.record leaves one, without the upload.
    `stored=True` puts `content` into the storage under its key as well; otherwise the key
    names no object. It does not count the upload on the student."""

    class Meta:
        model = Submission

    class Params:
        content = b"%PDF-1.7 my answers"
        stored = False

    student = factory.SubFactory(StudentFactory)
    file = factory.LazyAttribute(
        lambda o: (
            default_storage.save(submission_key(), ContentFile(o.content))
            if o.stored
            else submission_key()
        )
    )
    original_name = "answer.pdf"
    size = factory.LazyAttribute(lambda o: len(o.content))
    sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.content).hexdigest())
    content_type = "application/pdf"
