"""S3 servers for the tests that need storage to answer as S3 and R2 do across origins.

moto's server in the tests' own thread (conftest's `moto_server`) adds a blanket CORS layer of
its own, for its dashboard, that allows every preflight whatever the bucket's rules.
`MotoProcess` runs moto's server without it (MOTO_DISABLE_GLOBAL_CORS), so a preflight is
answered from the bucket's CORS rules. `FakeR2` serves it at R2's own addresses, over TLS,
for a `manage.py` process given its `environment`."""

import base64
import datetime
import hashlib
import ipaddress
import os
import re
import select
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import boto3
from botocore.config import Config

START_SECONDS = 20
R2_DOMAIN = ".r2.cloudflarestorage.com"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def presigned_put(client, bucket, key, body, content_type="application/pdf"):
    """A presigned PUT URL signed as the two-step upload signs one (its Content-Length,
    Content-Type, Content-Disposition and SHA-256 checksum), and the headers a browser sends
    with it (all but Content-Length, which the browser sets itself)."""
    headers = {
        "Content-Type": content_type,
        "Content-Disposition": 'attachment; filename="answers.pdf"',
        "x-amz-checksum-sha256": base64.b64encode(hashlib.sha256(body).digest()).decode(),
    }
    url = client.generate_presigned_url(
        "put_object",
        Params={
            "Bucket": bucket,
            "Key": key,
            "ContentLength": len(body),
            "ContentType": headers["Content-Type"],
            "ContentDisposition": headers["Content-Disposition"],
            "ChecksumSHA256": headers["x-amz-checksum-sha256"],
        },
    )
    return url, headers


class MotoProcess:
    """moto's S3 server in a process of its own on a free loopback port; `endpoint` is its URL.
    With `cert` and `key` it speaks TLS."""

    def __init__(self, *, cert=None, key=None, environment=None):
        command = [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1"]
        command += ["-p", "0"] + (["-c", str(cert), "-k", str(key)] if cert else [])
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(  # noqa: S603 (moto's own server script)
            command,
            env={**os.environ, "MOTO_DISABLE_GLOBAL_CORS": "true", **(environment or {})},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.endpoint = self._wait_until_it_listens()

    def _wait_until_it_listens(self):
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            self.log.seek(0)
            text = self.log.read().decode(errors="replace")
            if listening := re.search(r"Running on (https?://127\.0\.0\.1:\d+)", text):
                return listening.group(1)
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"moto's server did not start:\n{text}")

    @property
    def port(self):
        return int(self.endpoint.rpartition(":")[2])

    def client(self, **options):
        return boto3.client(
            "s3", endpoint_url=self.endpoint, region_name="us-east-1", **CREDENTIALS, **options
        )

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.log.close()


class FakeR2:
    """Any https://….r2.cloudflarestorage.com endpoint, as a process with `environment` set
    reaches it: through an HTTPS proxy on loopback that takes those hosts (and no other) to
    moto's server, which answers with a certificate for them that `environment` trusts."""

    def __init__(self, directory):
        cert, key, self.ca = _certificate(Path(directory))
        # Buckets by path (https://<account>.r2.cloudflarestorage.com/<bucket>/…), as the
        # app addresses R2, not by the host name's first label.
        self.moto = MotoProcess(
            cert=cert, key=key, environment={"S3_IGNORE_SUBDOMAIN_BUCKETNAME": "true"}
        )
        self.proxy = _ConnectProxy(self.moto.port)
        proxy = f"http://127.0.0.1:{self.proxy.port}"
        self.environment = {
            "HTTPS_PROXY": proxy,
            "https_proxy": proxy,
            "HTTP_PROXY": proxy,
            "http_proxy": proxy,
            "NO_PROXY": "",
            "no_proxy": "",
            "SSL_CERT_FILE": str(self.ca),
            "AWS_CA_BUNDLE": str(self.ca),
        }

    def client(self):
        """A client of the same moto, for setting buckets up (by its loopback address)."""
        return self.moto.client(verify=str(self.ca), config=Config(signature_version="s3v4"))

    def stop(self):
        self.proxy.stop()
        self.moto.stop()


class _ConnectProxy(socketserver.ThreadingTCPServer):
    """Tunnels CONNECT <host>.r2.cloudflarestorage.com:443 to moto's port; closes any other
    request, so every other host is one that cannot be reached."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, target_port):
        self.target_port = target_port
        super().__init__(("127.0.0.1", 0), _Tunnel)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def stop(self):
        self.shutdown()
        self.server_close()


class _Tunnel(socketserver.BaseRequestHandler):
    def handle(self):
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            head += chunk
        method, target = head.split(b"\r\n", 1)[0].decode().split(" ")[:2]
        host, _, port = target.rpartition(":")
        if method != "CONNECT" or not host.endswith(R2_DOMAIN) or port != "443":
            return
        with socket.create_connection(("127.0.0.1", self.server.target_port)) as upstream:
            self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            _relay(self.request, upstream)


def _relay(one, other):
    ends = {one: other, other: one}
    while True:
        readable, _, _ = select.select(list(ends), [], [], 30)
        if not readable:
            return
        for end in readable:
            data = end.recv(65536)
            if not data:
                return
            ends[end].sendall(data)


def _certificate(directory):
    """A certificate authority, and a certificate it signed for R2's host names and
    127.0.0.1: (certificate, key, authority) as PEM files in `directory`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)

    def issue(subject, issuer, public_key, signing_key, extensions):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
        )
        for extension, critical in extensions:
            builder = builder.add_extension(extension, critical=critical)
        return builder.sign(signing_key, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = issue(
        "Test R2 authority",
        "Test R2 authority",
        ca_key.public_key(),
        ca_key,
        [(x509.BasicConstraints(ca=True, path_length=None), True)],
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = x509.SubjectAlternativeName(
        [
            x509.DNSName(f"*{R2_DOMAIN}"),
            x509.DNSName(f"*.eu{R2_DOMAIN}"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        ]
    )
    cert = issue(
        f"*{R2_DOMAIN}",
        "Test R2 authority",
        key.public_key(),
        ca_key,
        [(x509.BasicConstraints(ca=False, path_length=None), True), (names, False)],
    )
    paths = directory / "r2.pem", directory / "r2.key", directory / "ca.pem"
    paths[0].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    paths[2].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return paths
