"""Which client a request comes from, for counting wrong codes and failed logins."""

import hashlib
import ipaddress

from django.conf import settings


def client_ip(request):
    """
    The client's address: Fly-Client-IP when the app sits behind Fly's proxy (which sets
    it on every request), else X-Real-IP when it sits behind our own buffering proxy
    (depository/serve.py, which sets it), else the socket's peer address. A header is never
    trusted otherwise: any client could send one. None when there is no address to be had.
    """
    address = ""
    if settings.BEHIND_FLY_PROXY:
        address = request.META.get("HTTP_FLY_CLIENT_IP", "").strip()
    elif settings.BEHIND_BUFFERING_PROXY:
        address = request.META.get("HTTP_X_REAL_IP", "").strip()
    try:
        ip = ipaddress.ip_address(address or request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return None
    # A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d; they are IPv4 clients.
    return str(getattr(ip, "ipv4_mapped", None) or ip)


def client_network(request):
    """The unit a guesser is counted by: the IPv4 address, or the IPv6 /64 (one household
    or phone gets a whole /64 and can pick any address in it)."""
    address = client_ip(request) or "unknown"
    if ":" in address:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return address


# django-axes keeps the username of a failed login in a column 255 characters wide.
AXES_USERNAME_WIDTH = 255
DIGEST_WIDTH = 64


def login_username(request, credentials=None):
    """
    The username django-axes counts failed logins by: the one typed, or for one longer than
    its column (nobody's: ours hold 150 characters) the start of it and its SHA-256, which
    fit the column and keep it apart from every other username, so it is locked out too.
    """
    username = (credentials or request.POST).get("username")
    if username is None or len(username) <= AXES_USERNAME_WIDTH:
        return username
    digest = hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{username[: AXES_USERNAME_WIDTH - DIGEST_WIDTH - 1]}~{digest}"
