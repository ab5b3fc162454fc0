"""Background work of the examiner's side, run by `manage.py worker`."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult, get_date_max

from students import clock, mail, outbox
from students.models import Mail


@task()
def deliver_mail():
    """Send due mail for a while; when more is due later (a retry, the rate limit), leave a
    task for then. Several of these may run at once on several workers."""
    sent, later = outbox.deliver(render=mail.render_mail)
    if later:
        schedule_delivery(later)
    return sent


def wake_worker():
    """A delivery task once the current transaction commits: for mail just queued."""
    transaction.on_commit(deliver_mail.enqueue)


def notify_students(kind, students):
    """Once the change commits, tell each of `students` (with an address) what it gives
    them, by a task: a bulk change to many students costs the request nothing more."""
    ids = list(students.exclude(email="").values_list("pk", flat=True))
    if ids:
        stamp = timezone.now().isoformat()
        transaction.on_commit(lambda: send_student_notices.enqueue(str(kind), ids, stamp))


@task()
def send_student_notices(kind, student_ids, stamp):
    """Write the notices of one change (an extension, extra uploads) and send them."""
    count = mail.queue_student_notices(kind, student_ids, stamp)
    if count:
        wake_worker()
    return count


def schedule_delivery(at):
    """A delivery task at `at`, unless one is already waiting to start by then."""
    waiting = DBTaskResult.objects.filter(task_path=deliver_mail.module_path, status="READY")
    if waiting.filter(Q(run_after__lte=at) | Q(run_after=get_date_max())).exists():
        return
    deliver_mail.using(run_after=at).enqueue()


@clock.every_minute
def resume_delivery():
    """Mail that is due with no task to send it: its worker died, or a wake-up was lost."""
    if Mail.objects.due().exists():
        schedule_delivery(timezone.now())


@clock.every_hour
def prune_task_results():
    """Finished task rows older than two weeks."""
    clock.run_command("prune_db_task_results", min_age_days=14)


@clock.every_minute
def automatic_reminders():
    if mail.queue_automatic_reminders():
        wake_worker()


@clock.every_minute
def deadline_notices():
    if mail.queue_deadline_notices():
        wake_worker()
