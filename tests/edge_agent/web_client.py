"""A plain HTTP client for the agent's web server, as a browser or an attacker would speak to it."""

from __future__ import annotations

import http.client


def fetch(web, path: str, method: str = "GET", headers: dict | None = None) -> tuple[int, dict, bytes]:
    """The exact path on the wire: http.client does not tidy `..` away as a browser would."""
    connection = http.client.HTTPConnection("127.0.0.1", web.port, timeout=5)
    connection.request(method, path, headers=headers or {})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body
