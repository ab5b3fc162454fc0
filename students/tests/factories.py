import factory
from django.contrib.auth import get_user_model

from students.models import Exam, Student


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
