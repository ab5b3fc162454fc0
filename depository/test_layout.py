"""The apps' dependencies point one way: submissions (the public side and its models) depends
on students (exams, rosters, the examiner's side), never the reverse. The examiner's side
reaches submissions' models through the relations they declare on Student
(students.models.submission_model), and the storage both use is depository.storage."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            # `from students import views` imports the module students.views.
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def imports_of(app, *, of):
    """(file, module) for each import in `app`'s own code (not its tests) of `of`."""
    for path in sorted((ROOT / app).rglob("*.py")):
        if "tests" in path.relative_to(ROOT).parts:
            continue
        for module in imported_modules(path):
            if module == of or module.startswith(f"{of}."):
                yield str(path.relative_to(ROOT)), module


def test_the_examiners_side_imports_nothing_from_submissions():
    assert list(imports_of("students", of="submissions")) == []


def test_the_walk_finds_an_import_where_there_is_one():
    """The walk itself can fail: submissions does import students."""
    assert ("submissions/uploads.py", "students.filetypes") in imports_of(
        "submissions", of="students"
    )


def imports_in(relative, *, of):
    """The modules `relative` (a file) imports that are `of` or inside it."""
    return [
        module
        for module in imported_modules(ROOT / relative)
        if module == of or module.startswith(f"{of}.")
    ]


# Pages and the API are siblings: what both need lives in a rule or service module (models,
# forms, settings, students.access), never in the other's views or URLconf.
@pytest.mark.parametrize(
    ("app", "forbidden"),
    [
        ("api", "students.views"),
        ("api", "submissions.views"),
        ("students", "api"),
        ("submissions", "api"),
    ],
)
def test_pages_and_the_api_import_nothing_of_each_others_views(app, forbidden):
    assert list(imports_of(app, of=forbidden)) == []


def test_the_project_packages_error_pages_import_nothing_from_the_api():
    """The API's own answer is wired in by depository/urls.py."""
    assert imports_in("depository/errorpages.py", of="api") == []


def test_view_modules_share_helpers_through_modules_of_their_own():
    """students.views is for its URLconf alone: other view modules reach the access helpers
    in students.access."""
    importers = [path for path, _module in imports_of("students", of="students.views")]

    assert importers == ["students/urls.py"]


@pytest.mark.parametrize("app", ["students", "submissions"])
def test_tasks_call_mail_and_mail_never_calls_tasks(app):
    """A task writes and sends mail; mail that wants a worker is woken by its caller
    (students.tasks.wake_worker), so neither module imports the other in both directions,
    not even inside a function."""
    assert imports_in(f"{app}/mail.py", of=f"{app}.tasks") == []
    assert imports_in(f"{app}/mail.py", of="students.tasks") == []


def test_the_outbox_tables_have_a_module_of_their_own_and_keep_their_names():
    from students.models import Mail, Mailing

    assert {Mail.__module__, Mailing.__module__} == {"students.outbox_models"}
    assert (Mail._meta.db_table, Mailing._meta.db_table) == ("students_mail", "students_mailing")
    assert "class Mail(" not in (ROOT / "students" / "models.py").read_text()
