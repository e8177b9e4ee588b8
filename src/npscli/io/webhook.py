"""Posting JSON to a chat tool's incoming webhook (Slack, Mattermost, Teams, Google Chat, ...).

``post_json(url, payload)`` sends one POST and reports a ``WebhookResult``: any 2xx answer is success;
another status, a redirect (not followed: a redirected POST would lose its body), a refused connection or
a timeout is a failure with a one-line reason. Nothing is raised for a delivery problem.

A webhook URL's path is a secret (whoever has it can post to the channel), so messages and the store name
a webhook only by its host: ``webhook_label(url)`` -> ``"webhook:chat.example.org"``.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from npscli import __version__


@dataclass(frozen=True)
class WebhookResult:
    ok: bool
    status: int | None = None
    error: str | None = None
    # True when the server could not be reached at all (the caller can stop trying more posts this run)
    unreachable: bool = False


def webhook_host(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"{host}:{parts.port}" if parts.port else host


def webhook_label(url: str) -> str:
    """How a webhook is named in the store, the ticket history and messages (never its secret path)."""
    return f"webhook:{webhook_host(url)}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D401 - urllib's signature
        return None


def post_json(url: str, payload: Any, *, timeout: float = 10.0) -> WebhookResult:
    """POST ``payload`` as JSON to ``url``; see the module docstring."""
    host = webhook_host(url)
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": f"npscli/{__version__}"},
    )
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            status = response.status
            response.read(65536)
    except urllib.error.HTTPError as exc:
        exc.close()
        return WebhookResult(False, exc.code, f"webhook {host} answered HTTP {exc.code}")
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError | socket.timeout):
            text = f"webhook {host} did not answer within {timeout:g} s"
        elif isinstance(reason, socket.gaierror):
            text = f"cannot resolve the webhook host {host}"
        elif isinstance(reason, OSError):
            text = f"cannot connect to webhook {host} ({reason.strerror or type(reason).__name__})"
        else:
            text = f"cannot reach webhook {host}"
        return WebhookResult(False, None, text, unreachable=True)
    except TimeoutError:
        return WebhookResult(False, None, f"webhook {host} did not answer within {timeout:g} s", unreachable=True)
    except OSError as exc:
        return WebhookResult(
            False, None, f"webhook {host} failed ({exc.strerror or type(exc).__name__})", unreachable=True
        )
    if 200 <= status < 300:
        return WebhookResult(True, status)
    return WebhookResult(False, status, f"webhook {host} answered HTTP {status}")
