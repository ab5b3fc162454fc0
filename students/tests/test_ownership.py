"""
Every examiner URL, found in the URLconf (so URLs added later are walked too), answers 404
when it names another examiner's exam, student, submission or import, by GET and by POST.
A co-examiner gets what the owner gets, except on the owner's own URLs, which 404 for them.
"""

import itertools
import re

import pytest
from django.urls import URLResolver, get_resolver, reverse

from api.models import ApiToken
from students.models import Mailing, StudentImport
from students.tests.factories import ExamFactory, StudentFactory, UserFactory
from submissions.models import Submission
from submissions.tests.helpers import post_upload

# The path segment before a URL parameter says what the parameter names.
NAMED_BY_SEGMENT = {
    "exams": "exam",
    "students": "student",
    "submissions": "submission",
    "import": "student_import",
    "api-tokens": "api_token",
    "mailings": "mailing",
    "sharing": "co_examiner",
}
# Examiner URLs that name no object: each examiner sees only their own list or form there.
NAMES_NO_OBJECT = {
    "students:exam_list",
    "students:exam_list_archived",
    "students:exam_create",
    "students:time_zone",
    "students:examiner_invite",
    "students:import_template",
    "api_tokens:list",
}
# Deleting an exam and choosing who shares it: the owner's alone, 404 for a co-examiner.
OWNER_ONLY = {"students:exam_delete", "students:exam_sharing", "students:exam_unshare"}
# The examiner's side: the dashboard, and the API token pages beside it.
EXAMINER_NAMESPACES = {"students", "api_tokens"}

PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


def examiner_urls():
    """(namespace:name, route) of every URL on the examiner's side."""

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(
                    pattern.url_patterns,
                    prefix + str(pattern.pattern),
                    pattern.namespace or namespace,
                )
            elif namespace in EXAMINER_NAMESPACES:
                yield f"{namespace}:{pattern.name}", prefix + str(pattern.pattern)

    return list(walk(get_resolver().url_patterns, "", None))


def parameters(route):
    """[(parameter, kind of object)] in the order they appear in the route."""
    found = []
    segments = route.split("/")
    for i, segment in enumerate(segments):
        match = PARAMETER.fullmatch(segment)
        if match:
            before = segments[i - 1] if i else ""
            assert before in NAMED_BY_SEGMENT, (
                f"{route}: this test does not know what <{match.group(1)}> after "
                f"'{before}/' names. Add it to NAMED_BY_SEGMENT."
            )
            found.append((match.group(1), NAMED_BY_SEGMENT[before]))
    return found


def objects_of(examiner, client, co_examiner=None):
    """An exam of `examiner`'s with one of everything; shared with `co_examiner` (who then
    holds the API token, tokens being nobody's to share), else with a fresh examiner."""
    exam = ExamFactory(owner=examiner)
    sharer = UserFactory()
    exam.co_examiners.add(sharer, *([co_examiner] if co_examiner else []))
    student = StudentFactory(exam=exam)
    post_upload(client, student)
    return {
        "exam": exam,
        "student": student,
        "submission": student.submissions.get(),
        "student_import": StudentImport.objects.create(
            exam=exam, file_name="roster.csv", text="nickname,first_name,last_name\nz1,Zoe,Zed\n"
        ),
        "api_token": ApiToken.objects.issue(co_examiner or examiner, name="sync", scope="read")[0],
        "mailing": Mailing.objects.create(exam=exam, kind="link", subject="s", message="m"),
        "co_examiner": co_examiner or sharer,
    }


def statuses(client, url):
    return client.get(url).status_code, client.post(url).status_code


@pytest.mark.django_db
def test_every_examiner_url_is_walked():
    urls = examiner_urls()
    assert len(urls) >= 10
    for name, route in urls:
        assert parameters(route) or name in NAMES_NO_OBJECT, (
            f"{name} ({route}) names no object: add it to NAMES_NO_OBJECT if each examiner "
            "only ever sees their own things there."
        )


@pytest.mark.django_db
def test_every_examiner_url_404s_for_another_examiners_objects(client):
    me, them = UserFactory(), UserFactory()
    theirs = objects_of(them, client)
    mine = objects_of(me, client)
    client.force_login(me)

    walked = []
    for name, route in examiner_urls():
        params = parameters(route)
        if not params:
            continue
        # Every mix of their objects and mine, except all mine: e.g. my exam, their student.
        for owners in itertools.product([theirs, mine], repeat=len(params)):
            if all(owner is mine for owner in owners):
                continue
            kwargs = {
                param: owner[kind].pk for (param, kind), owner in zip(params, owners, strict=True)
            }
            url = reverse(name, kwargs=kwargs)
            got = statuses(client, url)
            assert set(got) <= {404, 405} and 404 in got, f"{name} {url}: GET, POST -> {got}"
        walked.append(name)

    assert set(walked) == {name for name, route in examiner_urls() if parameters(route)}


@pytest.mark.django_db
def test_every_examiner_url_works_for_the_owner(client):
    """The same URLs with the examiner's own objects do not 404, so the test above is not
    passing for a wrong reason (fresh objects for each URL: some POSTs delete)."""
    me = UserFactory()
    for name, route in examiner_urls():
        params = parameters(route)
        if not params:
            continue
        mine = objects_of(me, client)
        client.force_login(me)
        url = reverse(name, kwargs={p: mine[kind].pk for p, kind in params})
        got = statuses(client, url)
        assert got != (404, 404) and 404 not in got, f"{name} {url}: GET, POST -> {got}"


@pytest.mark.django_db
def test_every_examiner_url_works_for_a_co_examiner_but_the_owners_own(client):
    """A co-examiner gets what the owner gets (fresh objects for each URL: some POSTs
    delete), except on the owner's own URLs, which do not exist for them."""
    owner, co_examiner = UserFactory(), UserFactory()
    for name, route in examiner_urls():
        params = parameters(route)
        if not params:
            continue
        shared = objects_of(owner, client, co_examiner=co_examiner)
        client.force_login(co_examiner)
        url = reverse(name, kwargs={p: shared[kind].pk for p, kind in params})
        got = statuses(client, url)
        if name in OWNER_ONLY:
            assert set(got) <= {404, 405} and 404 in got, f"{name} {url}: GET, POST -> {got}"
        else:
            assert 404 not in got, f"{name} {url}: GET, POST -> {got}"


@pytest.mark.django_db
def test_a_former_co_examiner_gets_404_everywhere(client):
    owner, former = UserFactory(), UserFactory()
    for name, route in examiner_urls():
        params = parameters(route)
        if not params or "api_token" in {kind for _, kind in params}:
            continue
        shared = objects_of(owner, client, co_examiner=former)
        shared["exam"].co_examiners.remove(former)
        client.force_login(former)
        url = reverse(name, kwargs={p: shared[kind].pk for p, kind in params})
        got = statuses(client, url)
        assert set(got) <= {404, 405} and 404 in got, f"{name} {url}: GET, POST -> {got}"


@pytest.mark.django_db
def test_every_examiner_url_needs_a_login(client):
    objects = objects_of(UserFactory(), client)
    for name, route in examiner_urls():
        url = reverse(name, kwargs={p: objects[kind].pk for p, kind in parameters(route)})
        response = client.get(url)
        assert response.status_code in {302, 405}, f"{name} {url}: {response.status_code}"
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("login")), name


def own_account(pattern):
    """allauth's pages of the signed-in examiner's own sign-in (second factors, passkeys,
    the password asked again): they name no exam, student or file, so no walk of others'
    objects applies."""
    return getattr(pattern.callback, "__module__", "").startswith("allauth.")


def other_urls():
    """(name, its parameters) of every URL outside the examiner's side and the admin."""

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.app_name == "admin":
                    continue
                yield from walk(
                    pattern.url_patterns,
                    prefix + str(pattern.pattern),
                    pattern.namespace or namespace,
                )
            elif namespace not in EXAMINER_NAMESPACES and not own_account(pattern):
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                yield name, pattern.pattern.converters

    return list(walk(get_resolver().url_patterns, "", None))


# Examiner pages that live on the public side, with their ownership tests there: the
# read-only preview of a student's page is the public page (submissions/tests/test_preview.py).
EXAMINER_PAGES_ELSEWHERE = {"submissions:preview"}


@pytest.mark.django_db
def test_no_examiner_url_hides_outside_the_walk(client):
    """A URL that needs a login but lives outside the examiner's namespaces would escape the
    ownership walk above: move it there, or teach the walk about it."""
    for name, converters in other_urls():
        if name in {"login", "logout"} | EXAMINER_PAGES_ELSEWHERE:
            continue
        kwargs = {param: "1" for param in converters}
        response = client.get(reverse(name, kwargs=kwargs))
        location = response.get("Location", "")
        assert not location.startswith(reverse("login")), f"{name} needs a login"


def test_other_examiners_objects_are_404(client, student):
    post_upload(client, student)
    submission = Submission.objects.get()
    exam = student.exam
    client.force_login(UserFactory())

    urls = [
        f"/exams/{exam.pk}/",
        f"/exams/{exam.pk}/edit/",
        f"/exams/{exam.pk}/students/new/",
        f"/exams/{exam.pk}/students/{student.pk}/",
        f"/exams/{exam.pk}/students/{student.pk}/submissions/{submission.pk}/download/",
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/exams/{exam.pk}/edit/", {"title": "Hijacked"}).status_code == 404
    assert exam.title != "Hijacked"
    assert "Algebra" not in client.get("/exams/").content.decode()
