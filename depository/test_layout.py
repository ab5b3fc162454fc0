"""The apps' dependencies point one way: submissions (the public side and its models) depends
on students (exams, rosters, the examiner's side), never the reverse. The examiner's side
reaches submissions' models through the relations they declare on Student
(students.models.submission_model), and the storage both use is depository.storage."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


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
