"""A real SMTP server on a loopback port (aiosmtpd), for tests and bench/mail_rate.py.
It keeps what it accepted and can refuse recipients, or whole mails, as servers do."""

import asyncio
import socket
import threading
import time
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """aiosmtpd's handler: every accepted mail, parsed, with its envelope."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []
        self.refused = []  # mails given one of `data_replies` instead of a 250
        self.refuse_rcpt = {}  # address -> reply, e.g. "550 5.1.1 No such user"
        self.data_replies = []  # replies for the next DATA commands, in order, then 250
        # Once this many mails arrived, the next DATA waits for `release`, then is refused
        # (so it never counts as delivered): the moment to kill a worker mid-mail.
        self.hold_after = None
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.hold_after is not None and len(self.messages) >= self.hold_after:
            self.hold_after = None
            self.holding.set()
            while not self.release.is_set():  # the client may die meanwhile: no 250 yet
                await asyncio.sleep(0.02)
            return "451 4.3.0 Interrupted"
        with self.lock:
            message = message_from_bytes(envelope.original_content, policy=policy.default)
            if self.data_replies:
                self.refused.append(message)
                return self.data_replies.pop(0)
            self.messages.append(
                {"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "message": message}
            )
        return "250 2.0.0 Accepted"

    def wait_for(self, count, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return self.messages
            time.sleep(0.02)
        raise AssertionError(f"{len(self.messages)} mails arrived, not {count}")

    def to(self, address):
        return [m["message"] for m in self.messages if address in m["to"]]


class SMTPServer:
    def __init__(self):
        self.inbox = Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()


def body(message, kind="plain"):
    """The text (or HTML) part of a parsed mail."""
    return message.get_body(preferencelist=(kind,)).get_content()


def run_worker():
    """The real worker (`manage.py worker`), until no task is left to run."""
    from django.core.management import call_command

    call_command(
        "worker", "--batch", "--no-reload", "--no-startup-delay", "--interval=0", verbosity=0
    )
