"""Oversized posts (20 and 200 MiB, with and without Content-Length): how fast they are
refused, and how much of them the server took."""

import os
import select
import socket
import time

from bench.client import SOCKET_TIMEOUT, Browser, hidden_inputs, tcp_bytes_acked
from bench.figures import ms
from bench.stack import HOST, MiB

KiB = 1024
# nginx (depository/serve.py) reads at most this much of any body; exams' limits are lower.
HARD_LIMIT = int(os.environ.get("FILE_UPLOAD_HARD_LIMIT", 20 * MiB))


def oversize_request(bench, body_size, chunked):
    """The head of a post with a file far over the limit, and its first multipart bytes."""
    browser = Browser(bench.port)
    code = bench.take_codes(1)[0]
    path = f"/u/{code}/"
    _, body = browser.get(path)
    fields = hidden_inputs(body)
    browser.close()
    boundary = "----rushoversize"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
        f"{fields.get('csrfmiddlewaretoken', '')}\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="form_token"\r\n\r\n'
        f"{fields.get('form_token', '')}\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
    length = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(head) + body_size}"
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}:{bench.port}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n{length}\r\n"
        f"Cookie: {cookie}\r\nOrigin: http://{HOST}:{bench.port}\r\n\r\n"
    ).encode()
    return request, head


def send_until_answered(sock, head, body_size, chunked):
    """Send the body until the server answers (readable) or all of it is out; returns
    (bytes sent, a note on why sending stopped early)."""
    block = os.urandom(64 * KiB)
    sent, pending = 0, memoryview(b"")
    deadline = time.monotonic() + 60
    sock.setblocking(False)
    try:
        while time.monotonic() < deadline:
            readable, writable, _ = select.select([sock], [sock], [], 1)
            if readable:
                break
            if not writable:
                continue
            if not pending:
                if sent >= len(head) + body_size:
                    if chunked:
                        sock.sendall(b"0\r\n\r\n")
                    break
                piece = head if sent == 0 else block
                pending = memoryview(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            n = sock.send(pending)
            sent += n
            pending = pending[n:]
    except OSError as error:
        return sent, f"send stopped: {type(error).__name__}"
    return sent, ""


def read_status(sock):
    """The status of the server's answer and when it began to arrive."""
    reply, answered_at, note = b"", None, ""
    sock.setblocking(True)
    sock.settimeout(10)
    try:
        while b"\r\n" not in reply:
            data = sock.recv(65536)
            if not data:
                break
            if answered_at is None:
                answered_at = time.perf_counter()
            reply += data
    except OSError as error:
        note = f"read failed: {type(error).__name__}"
    status = reply.split(b" ", 2)[1].decode() if reply.startswith(b"HTTP/") else "none"
    return status, answered_at, note


def oversize(bench, body_size, chunked):
    """Post a body far over the limit; how fast is it refused, and how much was sent?"""
    request, head = oversize_request(bench, body_size, chunked)
    sock = socket.create_connection((HOST, bench.port), timeout=SOCKET_TIMEOUT)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * KiB)
    t0 = time.perf_counter()
    sock.sendall(request)
    sent, send_note = send_until_answered(sock, head, body_size, chunked)
    acked = tcp_bytes_acked(sock)
    status, answered_at, read_note = read_status(sock)
    sock.close()
    return {
        "body": body_size,
        "chunked": chunked,
        "status": status,
        "seconds": (answered_at or time.perf_counter()) - t0,
        "sent": sent,
        "acked": max(0, (acked or 0) - len(request)),
        "note": send_note or read_note,
    }


def run(bench, report):
    report.add()
    report.add("## Oversized posts (limit 3 MiB)")
    report.add()
    one = bench.uploads(5, 1)[0]
    bench.empty_bucket()
    report.add(f"- For comparison, a {bench.size / MiB:g} MiB upload at C=1: p50 {ms(one['p50'])}")
    report.add()
    report.add("| body | framing | status | answered after | client sent | server kernel took |")
    report.add("| ---: | --- | ---: | ---: | ---: | ---: |")
    refusals = []
    for body_size in (20 * MiB, 200 * MiB):
        for chunked in (False, True):
            r = oversize(bench, body_size, chunked)
            refusals.append(r)
            report.add(
                f"| {body_size // MiB} MiB | {'chunked' if chunked else 'Content-Length'} | "
                f"{r['status']} | {ms(r['seconds'])} | {r['sent'] / KiB:.0f} KiB | "
                f"{r['acked'] / KiB:.0f} KiB |{' ' + r['note'] if r['note'] else ''}"
            )
    report.add()
    report.add(
        '"Server kernel took" is what the server\'s side of the connection acknowledged '
        "(TCP_INFO bytes_acked): an upper bound on what it read, since it includes the "
        "socket's receive buffer. nginx refuses a declared length past the hard limit "
        f"({HARD_LIMIT / MiB:g} MiB + 64 KiB) before reading the body, and a chunked body as "
        "soon as it passes it; a body within it is read whole, and the app then refuses it "
        "by the exam's limit without reading it."
    )
    report.add()
    check_refusals(bench, report, refusals, one)


def check_refusals(bench, report, refusals, one):
    limit = bench.seed["max_upload_bytes"]
    for r in refusals:
        if r["body"] != 200 * MiB:
            continue
        if r["chunked"]:
            # Past the hard limit, nginx reads no further: what its kernel took beyond that
            # is the socket's receive buffer.
            ok = r["status"] == "413" and r["acked"] <= HARD_LIMIT + MiB
            name = "200 MiB (chunked) refused, the server taking at most the hard limit + 1 MiB"
        else:
            ok = r["status"] == "413" and r["seconds"] <= one["p50"]
            ok = ok and r["acked"] <= limit + 64 * KiB
            name = (
                f"200 MiB (Content-Length) refused no slower than a {bench.size / MiB:g} MiB "
                "upload, reading at most limit + 64 KiB"
            )
        detail = f"{r['status']} after {ms(r['seconds'])}, server took {r['acked'] / KiB:.0f} KiB"
        report.check(name, ok, detail)
