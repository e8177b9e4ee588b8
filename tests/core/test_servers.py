"""Self-checks of the server fixtures (tests/conftest.py, tests/servers.py), with real clients."""

from __future__ import annotations

import json
import os
import smtplib
import socket
import urllib.error
import urllib.request
from email.message import EmailMessage
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from servers import free_port, libpq_url

# --------------------------------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------------------------------


def test_postgres_server_api(postgres_server):
    assert postgres_server.host == "127.0.0.1"
    assert postgres_server.url == f"postgresql+psycopg://postgres@127.0.0.1:{postgres_server.port}/postgres"
    url = postgres_server.create_database("fixture_selfcheck")
    try:
        assert url == f"postgresql+psycopg://postgres@127.0.0.1:{postgres_server.port}/fixture_selfcheck"
        conn = psycopg.connect(libpq_url(url), autocommit=True)
        try:
            assert conn.execute("SELECT current_database()").fetchone() == ("fixture_selfcheck",)
            # a connection left open must not prevent the drop (WITH (FORCE))
            postgres_server.drop_database("fixture_selfcheck")
            with pytest.raises(psycopg.OperationalError):  # it was terminated
                conn.execute("SELECT 1")
        finally:
            conn.close()
    finally:
        postgres_server.drop_database("fixture_selfcheck")  # idempotent
    with psycopg.connect(libpq_url(postgres_server.url)) as conn:
        names = [r[0] for r in conn.execute("SELECT datname FROM pg_database")]
    assert "fixture_selfcheck" not in names


def test_postgres_server_settings(postgres_server):
    with psycopg.connect(libpq_url(postgres_server.url)) as conn:
        settings = dict(
            conn.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN "
                "('fsync', 'server_encoding', 'listen_addresses', 'TimeZone', 'max_connections')"
            ).fetchall()
        )
        data_dir = conn.execute("SHOW data_directory").fetchone()[0]
    assert settings == {
        "fsync": "off",
        "server_encoding": "UTF8",
        "listen_addresses": "127.0.0.1",
        "TimeZone": "UTC",
        "max_connections": "100",
    }
    if os.geteuid() == 0:  # PostgreSQL refuses root: it must run as the unprivileged user
        assert Path(data_dir).stat().st_uid != 0


_PG_URLS_SEEN: list[str] = []  # databases handed out by pg_url in this module


def test_pg_url_psycopg_roundtrip(pg_url):
    _PG_URLS_SEEN.append(pg_url)
    assert pg_url.startswith("postgresql+psycopg://postgres@127.0.0.1:")
    with psycopg.connect(libpq_url(pg_url)) as conn:
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
        assert tables == (0,)  # fresh and empty
        conn.execute("CREATE TABLE clinic (id serial PRIMARY KEY, name text NOT NULL)")
        conn.execute("INSERT INTO clinic (name) VALUES (%s)", ("Clinique Saint-Éloi",))
        conn.commit()
        assert conn.execute("SELECT id, name, upper(name) FROM clinic").fetchall() == [
            (1, "Clinique Saint-Éloi", "CLINIQUE SAINT-ÉLOI")
        ]


def test_pg_url_sqlalchemy_engine(pg_url):
    _PG_URLS_SEEN.append(pg_url)
    engine = sa.create_engine(pg_url)
    try:
        meta = sa.MetaData()
        t = sa.Table("response", meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column("score", sa.Integer))
        meta.create_all(engine)
        with engine.begin() as conn:
            conn.execute(t.insert(), [{"score": 9}, {"score": 3}])
        with engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.sum(t.c.score))).scalar_one() == 12
    finally:
        engine.dispose()


def test_pg_url_is_fresh_and_dropped_after(postgres_server, pg_url):
    # runs after the two tests above: their databases are gone, ours exists, names never repeat
    with psycopg.connect(libpq_url(postgres_server.url)) as conn:
        names = {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
    assert pg_url.rsplit("/", 1)[1] in names
    assert pg_url not in _PG_URLS_SEEN
    assert not names & {url.rsplit("/", 1)[1] for url in _PG_URLS_SEEN}


# --------------------------------------------------------------------------------------------------
# SMTP
# --------------------------------------------------------------------------------------------------


def _message(to: list[str]) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "nps@clinic.test"
    msg["To"] = ", ".join(to)
    msg["Subject"] = "Votre avis compte — Clinique Saint-Éloi"
    msg.set_content("Bonjour,\nMerci pour votre réponse.\n")
    return msg


def test_smtp_records_messages(smtp_server):
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as client:
        refused = client.send_message(_message(["a@patient.test", "b@patient.test"]))
    assert refused == {}
    [received] = smtp_server.messages
    assert received.mail_from == "nps@clinic.test"
    assert received.rcpt_tos == ["a@patient.test", "b@patient.test"]
    assert received.message["Subject"] == "Votre avis compte — Clinique Saint-Éloi"
    assert "Merci pour votre réponse." in received.message.get_content()
    assert b"Subject:" in received.data
    assert received.auth_login is None


def test_smtp_stop_and_start_on_same_port(smtp_server):
    port = smtp_server.port
    smtp_server.stop()
    with pytest.raises(ConnectionRefusedError):
        smtplib.SMTP(smtp_server.host, port, timeout=10)
    smtp_server.start()
    assert smtp_server.port == port
    with smtplib.SMTP(smtp_server.host, port, timeout=10) as client:
        client.sendmail("nps@clinic.test", ["back@patient.test"], _message(["back@patient.test"]).as_bytes())
    assert [m.rcpt_tos for m in smtp_server.messages] == [["back@patient.test"]]


def test_smtp_refused_recipients(smtp_server):
    smtp_server.refuse.add("Gone@Patient.test")  # case-insensitive
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as client:
        # only recipient refused -> smtplib raises, naming that address only
        with pytest.raises(smtplib.SMTPRecipientsRefused) as excinfo:
            client.sendmail("nps@clinic.test", ["gone@patient.test"], b"Subject: x\r\n\r\nx\r\n")
        assert list(excinfo.value.recipients) == ["gone@patient.test"]
        assert excinfo.value.recipients["gone@patient.test"][0] == 550
        client.rset()
        # partial failure -> smtplib does NOT raise: it returns the refused ones
        refused = client.sendmail(
            "nps@clinic.test", ["ok@patient.test", "gone@patient.test"], b"Subject: x\r\n\r\nx\r\n"
        )
    assert list(refused) == ["gone@patient.test"] and refused["gone@patient.test"][0] == 550
    assert [m.rcpt_tos for m in smtp_server.messages] == [["ok@patient.test"]]


def test_smtp_auth(smtp_server):
    port = smtp_server.port
    smtp_server.require_auth("clinic", "s3cret")
    assert smtp_server.port == port
    with smtplib.SMTP(smtp_server.host, port, timeout=10) as client:
        client.ehlo()
        assert client.has_extn("auth")
        with pytest.raises(smtplib.SMTPSenderRefused) as excinfo:  # MAIL before AUTH
            client.sendmail("nps@clinic.test", ["a@patient.test"], b"Subject: x\r\n\r\nx\r\n")
        assert excinfo.value.smtp_code == 530
    with smtplib.SMTP(smtp_server.host, port, timeout=10) as client:
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login("clinic", "wrong")
    assert smtp_server.auth_attempts and not any(a.success for a in smtp_server.auth_attempts)
    assert {a.password for a in smtp_server.auth_attempts} == {"wrong"}
    smtp_server.auth_attempts.clear()
    with smtplib.SMTP(smtp_server.host, port, timeout=10) as client:
        client.login("clinic", "s3cret")
        client.sendmail("nps@clinic.test", ["a@patient.test"], b"Subject: x\r\n\r\nx\r\n")
    assert [(a.login, a.success) for a in smtp_server.auth_attempts] == [("clinic", True)]
    assert [m.auth_login for m in smtp_server.messages] == ["clinic"]


def test_smtp_without_auth_does_not_advertise_it(smtp_server):
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as client:
        client.ehlo()
        assert not client.has_extn("auth")
        with pytest.raises(smtplib.SMTPNotSupportedError):
            client.login("clinic", "s3cret")


# --------------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------------


def _post(url: str, payload: object) -> urllib.request.Request:
    return urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "X-Npscli-Event": "detractor"},
    )


def test_http_records_json_post(http_server):
    with urllib.request.urlopen(_post(http_server.url + "/hooks/nps?x=1", {"score": 2}), timeout=10) as resp:
        assert resp.status == 200
        assert json.load(resp) == {"ok": True}
    [req] = http_server.requests
    assert (req.method, req.path, req.json) == ("POST", "/hooks/nps?x=1", {"score": 2})
    assert req.headers["content-type"] == "application/json"
    assert req.headers["X-NPSCLI-EVENT"] == "detractor"
    assert req.body == b'{"score": 2}'


def test_http_configurable_status(http_server):
    http_server.status = 500
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(_post(http_server.url + "/hook", {"score": 0}), timeout=10)
    with excinfo.value as err:  # an HTTPError holds the open response: close it
        assert err.code == 500
    http_server.status = 200
    http_server.statuses = [503]  # one-shot queue, then .status
    codes = []
    for _ in range(2):
        try:
            with urllib.request.urlopen(_post(http_server.url + "/hook", {}), timeout=10) as resp:
                codes.append(resp.status)
        except urllib.error.HTTPError as err:
            with err:
                codes.append(err.code)
    assert codes == [503, 200]
    assert len(http_server.requests) == 3


# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------


def test_free_port_is_bindable():
    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
