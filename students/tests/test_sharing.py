"""Sharing an exam: the owner adds co-examiners by username or email and removes them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from students.tests.factories import ExamFactory, StudentFactory, UserFactory

pytestmark = pytest.mark.django_db


def share(client, exam, who):
    return client.post(reverse("students:exam_sharing", args=[exam.pk]), {"who": who})


@pytest.mark.parametrize("by", ["username", "email"])
def test_the_owner_adds_a_co_examiner(examiner_client, exam, by):
    colleague = UserFactory(username="grace", email="Grace@Example.edu")
    typed = {"username": "GRACE", "email": "grace@example.edu"}[by]

    response = share(examiner_client, exam, typed)

    assert response.status_code == 302
    assert list(exam.co_examiners.all()) == [colleague]


@pytest.mark.parametrize(
    "who, message",
    [
        ("nobody", "No single examiner has the username or email “nobody”."),
        ("owner", "owner owns this exam."),
        ("grace", "grace already shares this exam."),
    ],
)
def test_it_refuses_what_cannot_be_shared(examiner_client, examiner, exam, who, message):
    examiner.username = "owner"
    examiner.save()
    exam.co_examiners.add(UserFactory(username="grace"))

    response = share(examiner_client, exam, who)

    assert response.status_code == 422
    assert message in response.content.decode()
    assert exam.co_examiners.count() == 1


def test_an_inactive_login_cannot_be_added(examiner_client, exam):
    UserFactory(username="gone", is_active=False)

    assert share(examiner_client, exam, "gone").status_code == 422
    assert not exam.co_examiners.exists()


def test_the_co_examiner_sees_and_works_on_the_shared_exam(client, exam):
    colleague = UserFactory()
    exam.co_examiners.add(colleague)
    ExamFactory(owner=exam.owner, title="Not shared")
    student = StudentFactory(exam=exam)
    client.force_login(colleague)

    listing = client.get(reverse("students:exam_list")).content.decode()
    edited = client.post(
        reverse("students:student_edit", args=[exam.pk, student.pk]),
        {"nickname": student.nickname, "first_name": "Grace", "last_name": "Hopper"},
    )

    assert exam.title in listing
    assert f"shared by {exam.owner.username}" in listing
    assert "Not shared" not in listing
    assert edited.status_code == 302
    student.refresh_from_db()
    assert student.full_name == "Grace Hopper"


def test_the_co_examiners_exam_page_offers_neither_sharing_nor_deleting(client, exam):
    colleague = UserFactory()
    exam.co_examiners.add(colleague)
    client.force_login(colleague)

    page = client.get(exam.get_absolute_url()).content.decode()

    assert reverse("students:exam_sharing", args=[exam.pk]) not in page
    assert reverse("students:exam_delete", args=[exam.pk]) not in page
    assert reverse("students:exam_archive", args=[exam.pk]) in page


def test_the_owner_removes_a_co_examiner_and_only_them(examiner_client, client, exam):
    colleague, other = UserFactory(), UserFactory()
    exam.co_examiners.add(colleague, other)
    elsewhere = ExamFactory(owner=exam.owner)
    elsewhere.co_examiners.add(colleague)

    response = examiner_client.post(reverse("students:exam_unshare", args=[exam.pk, colleague.pk]))

    assert response.status_code == 302
    assert list(exam.co_examiners.all()) == [other]
    assert list(elsewhere.co_examiners.all()) == [colleague]
    client.force_login(colleague)
    assert client.get(exam.get_absolute_url()).status_code == 404


def test_the_exam_list_costs_the_same_queries_for_one_shared_exam_or_ten(client):
    colleague = UserFactory()
    client.force_login(colleague)

    def queries_for_list():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("students:exam_list")).status_code == 200
        return len(captured)

    ExamFactory().co_examiners.add(colleague)
    one = queries_for_list()
    for exam in ExamFactory.create_batch(9):
        exam.co_examiners.add(colleague)

    assert queries_for_list() == one


def test_an_archived_exams_sharing_is_read_only(examiner_client, exam):
    kept = UserFactory(username="kept")
    exam.co_examiners.add(kept)
    UserFactory(username="grace")
    exam.archive()

    added = share(examiner_client, exam, "grace")
    removed = examiner_client.post(reverse("students:exam_unshare", args=[exam.pk, kept.pk]))
    page = examiner_client.get(reverse("students:exam_sharing", args=[exam.pk]))

    for refused in (added, removed):
        assert refused.status_code == 403
        assert "is archived, so it is read-only. Restore it to change it." in (
            refused.content.decode()
        )
    assert list(exam.co_examiners.all()) == [kept]
    html = page.content.decode()
    assert page.status_code == 200 and "kept" in html
    assert 'data-testid="archived"' in html
    assert reverse("students:exam_unshare", args=[exam.pk, kept.pk]) not in html
    assert 'name="who"' not in html


def test_a_restored_exams_sharing_changes_again(examiner_client, exam):
    UserFactory(username="grace")
    exam.archive()
    exam.restore()

    assert share(examiner_client, exam, "grace").status_code == 302
