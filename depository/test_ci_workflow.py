"""The workflow builds the image and tries it before anything deploys. (Docker itself runs
only in the workflow; .ci/smoke.py is run against gunicorn in test_logs_journey.py.)"""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
JOBS = WORKFLOW["jobs"]


def image_steps():
    return "\n".join(step.get("run", "") for step in JOBS["image"]["steps"])


def test_the_image_is_built_migrated_started_and_smoke_tested_in_that_order():
    steps = image_steps()
    order = [
        "docker build --tag exam-depository:ci .",
        "python manage.py migrate --noinput",
        "docker run --detach --name app",
        "python3 .ci/smoke.py http://127.0.0.1:8000",
    ]

    assert [steps.find(command) >= 0 for command in order] == [True] * len(order)
    assert [steps.find(command) for command in order] == sorted(
        steps.find(command) for command in order
    )


def test_the_image_job_has_its_own_postgresql_and_local_storage():
    job = JOBS["image"]

    assert job["services"]["postgres"]["image"].startswith("postgres:")
    assert "AWS_STORAGE_BUCKET_NAME" not in image_steps() + str(job["env"])
    assert job["env"]["DATABASE_URL"].startswith("postgres://postgres@127.0.0.1:5432/")


def test_nothing_deploys_unless_the_image_passed_too():
    assert set(JOBS["deploy"]["needs"]) == {"test", "image"}


def test_the_smoke_script_needs_nothing_but_the_standard_library():
    source = (ROOT / ".ci" / "smoke.py").read_text()
    imports = {
        line.split()[1].split(".")[0]
        for line in source.splitlines()
        if line.startswith(("import ", "from "))
    }

    assert imports <= {
        "argparse",
        "hashlib",
        "http",
        "os",
        "re",
        "sys",
        "time",
        "urllib",
        "uuid",
        "html",
    }
