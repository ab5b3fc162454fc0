"""Background work of the examiner's side, run by `manage.py worker`."""

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


@task()
def send_student_notices(kind, student_ids, stamp):
    """Write the notices of one change (an extension, extra uploads) and send them."""
    return mail.queue_student_notices(kind, student_ids, stamp)


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


@clock.every_minute
def automatic_reminders():
    mail.queue_automatic_reminders()


@clock.every_minute
def deadline_notices():
    mail.queue_deadline_notices()
