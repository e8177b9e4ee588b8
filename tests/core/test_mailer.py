"""The SMTP sender, the outbox and the webhook poster, against real servers on 127.0.0.1."""

import email
import email.policy
import stat
import time

import pytest
from hypothesis import given
from hypothesis import settings as settings_
from hypothesis import strategies as st

from npscli.core.errors import ConfigError
from npscli.io.mailer import PASSWORD_ENV, OutboxMailer, SmtpMailer, SmtpSettings, compose
from npscli.io.webhook import post_json, webhook_label

SENDER = "Patient Experience <px@riverside.example.org>"
MARIA = "maria.lopez@riverside.example.org"
QUALITY = "quality@riverside.example.org"
SECRET = "Zq7-unusual-Pa55word-91x"


def settings(server, password=None, **extra) -> SmtpSettings:
    section = {"host": server.host, "port": server.port, "security": "none", "timeout": 5, **extra}
    return SmtpSettings.from_section(section, environ={PASSWORD_ENV: password} if password else {})


def message(to=(MARIA,), subject="Detractor 2/10 at Downtown", **kw):
    return compose(sender=SENDER, to=list(to), subject=subject, text="Score 2/10\nComment: waited 2 hours\n", **kw)


# ---------------------------------------------------------------------------------------------- building


def test_compose_builds_a_plain_message_with_html_alternative_and_attachments():
    out = message(to=[f"Maria Lopez <{MARIA}>"], subject="two\nlines", html="<p>Score <b>2</b></p>", name="x")
    out.attach(b"%PDF-1.4 synthetic", "weekly.pdf", "application/pdf")
    out.attach(b"location,nps\nDowntown,12\n", "nps.csv", "text/csv")
    assert out.recipients == [MARIA] and out.sender == "px@riverside.example.org"
    parsed = email.message_from_bytes(out.message.as_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == "two lines"  # folded onto one line: no header injection
    assert parsed["To"] == f"Maria Lopez <{MARIA}>"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Message-ID"].endswith("@riverside.example.org>")
    assert parsed.get_body(("plain",)).get_content().startswith("Score 2/10")
    assert "<b>2</b>" in parsed.get_body(("html",)).get_content()
    files = {p.get_filename(): p for p in parsed.iter_attachments()}
    assert files["weekly.pdf"].get_content() == b"%PDF-1.4 synthetic"
    assert files["weekly.pdf"].get_content_type() == "application/pdf"
    assert "Downtown,12" in files["nps.csv"].get_content()


# ---------------------------------------------------------------------------------------------- SMTP


@settings_(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "[Riverside Health]",
                "Overdue:",
                "T-000038",
                "Eastgate,",
                "Primary",
                "Care:",
                "score",
                "2/10",
                "—",
                "“Long",
                "wait”",
                "Núñez",
                "café",
                "x" * 40,
                "past",
                "due",
            ]
        ),
        min_size=1,
        max_size=30,
    )
)
def test_a_subject_reads_back_exactly_as_written(words):
    """The standard library can fold a long subject onto a continuation line of its own, which reads back with
    a leading space, or split encoded words so that a space is lost: the alert subjects are folded by
    eml.subject_header, as the outreach drafts' are."""
    subject = " ".join(words)
    raw = message(subject=subject).message.as_bytes()
    assert email.message_from_bytes(raw, policy=email.policy.default)["Subject"] == subject
    assert all(len(line) <= 998 for line in raw.splitlines())  # (as_bytes ends lines with LF; smtplib sends CRLF)


def test_a_long_alert_subject_goes_through_smtp_unchanged(smtp_server):
    subject = "[Riverside Health] Detractor alert: T-000038 at Eastgate — score 2, “Long wait” and three more"
    results = SmtpMailer(settings(smtp_server)).send([message(subject=subject)])
    assert results[0].ok
    assert smtp_server.messages[0].message["Subject"] == subject


def test_sends_each_message_and_reports_each_recipient(smtp_server):
    results = SmtpMailer(settings(smtp_server)).send([message(), message(to=[QUALITY], subject="second")])
    assert [(r.recipient, r.ok, r.error) for r in results] == [(MARIA, True, None), (QUALITY, True, None)]
    assert [m.rcpt_tos for m in smtp_server.messages] == [[MARIA], [QUALITY]]
    assert smtp_server.messages[1].message["Subject"] == "second"
    assert smtp_server.messages[0].mail_from == "px@riverside.example.org"


def test_a_refused_recipient_fails_alone(smtp_server):
    smtp_server.refuse = {QUALITY}
    results = SmtpMailer(settings(smtp_server)).send([message(to=[MARIA, QUALITY]), message(to=[QUALITY])])
    assert [(r.recipient, r.ok) for r in results] == [(MARIA, True), (QUALITY, False), (QUALITY, False)]
    assert "550" in results[1].error and QUALITY in results[1].error
    assert [m.rcpt_tos for m in smtp_server.messages] == [[MARIA]]


def test_server_down_fails_every_message_quickly(smtp_server):
    smtp_server.stop()
    started = time.monotonic()
    results = SmtpMailer(settings(smtp_server)).send([message(), message(to=[QUALITY])])
    assert time.monotonic() - started < 5
    assert [r.ok for r in results] == [False, False]
    assert results[0].error.startswith(f"cannot connect to 127.0.0.1:{smtp_server.port}")
    smtp_server.start()
    assert all(r.ok for r in SmtpMailer(settings(smtp_server)).send([message()]))


def test_results_come_one_by_one_so_each_success_can_be_recorded_at_once(smtp_server):
    seen = []
    for _result in SmtpMailer(settings(smtp_server)).iter_send([message(), message(to=[QUALITY])]):
        seen.append(len(smtp_server.messages))  # the server already has this message when we hear of it
    assert seen == [1, 2]


def test_login_with_the_password_from_the_environment(smtp_server):
    smtp_server.require_auth("px@riverside.example.org", SECRET)
    s = settings(smtp_server, user="px@riverside.example.org", password=SECRET)
    assert SECRET not in repr(s)
    results = SmtpMailer(s).send([message()])
    assert results[0].ok, results[0].error
    assert smtp_server.auth_attempts[-1].success
    assert smtp_server.messages[0].auth_login == "px@riverside.example.org"


def test_a_wrong_password_fails_without_showing_it(smtp_server):
    smtp_server.require_auth("px@riverside.example.org", "the-right-one")
    s = settings(smtp_server, user="px@riverside.example.org", password=SECRET)
    results = SmtpMailer(s).send([message(), message(to=[QUALITY])])
    assert [r.ok for r in results] == [False, False]
    assert "SMTP login as px@riverside.example.org" in results[0].error and "refused" in results[0].error
    assert all(SECRET not in (r.error or "") for r in results)
    assert smtp_server.messages == []


def test_starttls_required_but_not_offered_sends_nothing_in_clear_text(smtp_server):
    s = SmtpSettings.from_section(
        {"host": smtp_server.host, "port": smtp_server.port, "security": "starttls"}, environ={}
    )
    results = SmtpMailer(s).send([message()])
    assert not results[0].ok and "does not offer STARTTLS" in results[0].error
    assert smtp_server.messages == []


def test_ssl_against_a_plain_server_fails_cleanly(smtp_server):
    s = SmtpSettings.from_section(
        {"host": smtp_server.host, "port": smtp_server.port, "security": "ssl", "timeout": 5}, environ={}
    )
    results = SmtpMailer(s).send([message()])
    assert not results[0].ok
    assert results[0].error.startswith(("TLS with", "127.0.0.1", "cannot connect"))
    assert smtp_server.messages == []


# ---------------------------------------------------------------------------------------------- settings


def test_a_server_that_is_not_a_mail_server_is_named_as_such():
    """smtp.port pointing at a web server: smtplib reports code -1; say what that means."""
    import socket
    import threading
    from types import SimpleNamespace

    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        for _ in range(2):
            conn, _addr = listener.accept()
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        server = SimpleNamespace(host="127.0.0.1", port=listener.getsockname()[1])
        [result] = SmtpMailer(settings(server)).send([message()])
    finally:
        listener.close()
    assert not result.ok
    assert "-1" not in result.error and "not answer like a mail server" in result.error


def test_settings_defaults_follow_the_security_mode():
    assert SmtpSettings.from_section({"host": "smtp.example.org"}, environ={}).port == 587
    assert SmtpSettings.from_section({"host": "smtp.example.org", "security": "ssl"}, environ={}).port == 465
    assert SmtpSettings.from_section({"host": "smtp.example.org", "security": "none"}, environ={}).port == 25


@pytest.mark.parametrize(
    ("section", "env", "named"),
    [
        ({"host": "smtp.example.org", "password": SECRET}, {}, "[smtp] password"),
        ({"host": "smtp.example.org", "pasword": "x"}, {}, "[smtp] pasword"),
        ({}, {}, "[smtp] host"),
        ({"host": "smtp.example.org", "security": "tls"}, {}, "[smtp] security"),
        ({"host": "smtp.example.org", "port": "587"}, {}, "[smtp] port"),
        ({"host": "smtp.example.org", "port": 70000}, {}, "[smtp] port"),
        ({"host": "smtp.example.org", "timeout": 0}, {}, "[smtp] timeout"),
        ({"host": "smtp.example.org", "user": "px@riverside.example.org"}, {}, PASSWORD_ENV),
        ({"host": "smtp.example.org", "security": "none", "user": "px"}, {PASSWORD_ENV: SECRET}, "clear text"),
    ],
)
def test_settings_errors_name_the_key(section, env, named):
    with pytest.raises(ConfigError) as err:
        SmtpSettings.from_section(section, where="npscli.toml", environ=env)
    text = str(err.value) + (err.value.hint or "")
    assert named in text
    assert SECRET not in text


def test_a_password_in_the_file_points_to_the_environment_variable():
    with pytest.raises(ConfigError) as err:
        SmtpSettings.from_section({"host": "smtp.example.org", "password": SECRET}, environ={})
    assert PASSWORD_ENV in err.value.hint


# ---------------------------------------------------------------------------------------------- outbox


def test_outbox_writes_private_eml_files(tmp_path):
    box = tmp_path / "outbox"
    results = OutboxMailer(box).send([message(name="T-000001-detractor"), message(to=[QUALITY], name="T-000001")])
    assert all(r.ok for r in results)
    files = sorted(box.glob("*.eml"))
    assert len(files) == 2 and not list(box.glob("*.part"))
    assert {str(f) for f in files} == {r.where for r in results}
    assert "T-000001-detractor" in files[0].name
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    parsed = email.message_from_bytes(files[1].read_bytes(), policy=email.policy.default)
    assert parsed["To"] == QUALITY


# ---------------------------------------------------------------------------------------------- webhook


def test_webhook_posts_json(http_server):
    url = f"{http_server.url}/hooks/T000-secret-token"
    answer = post_json(url, {"text": "New detractor: score 2/10 at Downtown"}, timeout=5)
    assert answer.ok and answer.status == 200
    request = http_server.requests[0]
    assert request.method == "POST" and request.path == "/hooks/T000-secret-token"
    assert request.headers["content-type"].startswith("application/json")
    assert request.json == {"text": "New detractor: score 2/10 at Downtown"}


def test_webhook_failure_names_the_host_not_the_secret_path(http_server):
    http_server.status = 500
    url = f"{http_server.url}/hooks/T000-secret-token"
    answer = post_json(url, {"text": "x"}, timeout=5)
    assert not answer.ok and answer.status == 500 and not answer.unreachable
    assert answer.error == f"webhook 127.0.0.1:{http_server.port} answered HTTP 500"
    assert webhook_label(url) == f"webhook:127.0.0.1:{http_server.port}"
    assert "secret" not in answer.error + webhook_label(url)


def test_webhook_redirect_is_not_followed(http_server):
    http_server.status = 302
    answer = post_json(f"{http_server.url}/hooks/x", {"text": "x"}, timeout=5)
    assert not answer.ok and answer.status == 302
    assert len(http_server.requests) == 1


def test_webhook_unreachable_and_timeout(http_server):
    http_server.delay = 2
    slow = post_json(f"{http_server.url}/hooks/x", {"text": "x"}, timeout=0.5)
    assert not slow.ok and "did not answer" in slow.error
    http_server.stop()
    down = post_json(f"{http_server.url}/hooks/x", {"text": "x"}, timeout=2)
    assert not down.ok and down.unreachable and "cannot connect" in down.error


def test_a_message_whose_answer_times_out_is_uncertain_and_not_sent_twice(smtp_server):
    """smtplib turns a timeout waiting for the end-of-DATA answer into "disconnected", which the mailer used to
    treat as an idle drop: it reconnected and sent the same message again (the server had it twice)."""
    held: dict[str, float] = {}

    def slow_first(received) -> bool:
        if received is not smtp_server.messages[0]:
            return False
        return time.monotonic() - held.setdefault("since", time.monotonic()) < 2.5

    smtp_server.hold_replies = slow_first
    results = SmtpMailer(settings(smtp_server, timeout=1)).send([message(subject=f"m{n}") for n in range(3)])
    assert [(r.ok, r.uncertain) for r in results] == [(False, True), (True, False), (True, False)]
    server = f"{smtp_server.host}:{smtp_server.port}"
    assert (
        results[0].error
        == f"{server} did not answer within 1 s after the message was sent (it may have been delivered)"
    )
    assert [m.message["Subject"] for m in smtp_server.messages] == ["m0", "m1", "m2"]
