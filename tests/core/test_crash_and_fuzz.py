"""The store never loses or corrupts data: a killed import, hostile input, template sandboxing."""

from __future__ import annotations

import csv
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from tests.factories import PLAIN_HEADER, response, write_plain

from npscli.core.errors import NpsError, TemplateError
from npscli.io.exports import read_export
from npscli.store.engine import open_store
from npscli.store.maintenance import check, table_counts

ROOT = Path(__file__).resolve().parents[2]


def big_export(path: Path, rows: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=PLAIN_HEADER)
        writer.writeheader()
        for i in range(rows):
            writer.writerow(
                response(f"big{i}", f"2025-10-{1 + i % 28:02d}T10:{i % 60:02d}:00-05:00", i % 11, "slow front desk")
            )
    return path


def _writing(url: str) -> bool:
    """True once the import is inside its write transaction, sending rows to the store."""
    if "://" not in url:
        wal = Path(url + "-wal")
        return wal.exists() and wal.stat().st_size > 256 * 1024
    import psycopg

    from servers import libpq_url

    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' "
            "AND (query ILIKE 'COPY responses_incoming%' OR query ILIKE 'INSERT INTO responses%')"
        ).fetchone()
    return row[0] > 0


def test_an_import_killed_midway_leaves_the_store_exactly_as_before(url, tmp_path):
    small = write_plain(
        tmp_path / "small.csv", [response(str(i), "2025-11-03T09:00:00-06:00", i % 11) for i in range(50)]
    )
    env = {**os.environ, "NPSCLI_DB": url, "NPSCLI_TIMEZONE": "America/Chicago"}
    cmd = [sys.executable, "-m", "npscli", "-q", "import"]
    subprocess.run([*cmd, str(small)], env=env, check=True, capture_output=True)
    store = open_store(url)
    before = table_counts(store)
    store.dispose()
    big = big_export(tmp_path / "big.csv", 120_000)
    proc = subprocess.Popen([*cmd, str(big)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not _writing(url):
        assert proc.poll() is None, "the import finished before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    store = open_store(url)
    assert table_counts(store) == before
    assert all(f["status"] != "problem" for f in check(store))
    # and the same file imports completely afterwards
    subprocess.run([*cmd, str(big)], env=env, check=True, capture_output=True)
    assert table_counts(store)["responses"] == before["responses"] + 120_000
    store.dispose()


# ---------------------------------------------------------------- hostile input

OUTCOMES = ("skipped", "excluded", "rejected")

cell = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["10", "0", "9.0", "7.5", "11", "-1", "ten", "", " ", "=1+1", "\x00", '"', "a,b", "\n\n"]),
    st.text(min_size=1000, max_size=5000),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(cell, min_size=0, max_size=14), max_size=30), header=st.booleans())
def test_fuzz_csv_shapes_never_crash_and_always_add_up(tmp_path_factory, rows, header):
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.csv"
    with path.open("w", newline="", encoding="utf-8", errors="surrogatepass") as fh:
        writer = csv.writer(fh)
        if header:
            writer.writerow(["Response ID", "Created at", "Score", "Comment", "Location"])
        for row in rows:
            writer.writerow(row)
    _read_checked(path)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=4000), suffix=st.sampled_from([".csv", ".xlsx", ".tsv"]))
def test_fuzz_random_bytes_never_crash(tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("fuzzbytes") / f"random{suffix}"
    path.write_bytes(data)
    _read_checked(path)


def _read_checked(path: Path) -> None:
    try:
        parsed = read_export(path)
    except NpsError as exc:  # a clear, user-facing error is fine; anything else is a bug
        assert str(exc) and "\n" not in str(exc)
        return
    outcomes = sum(1 for i in parsed.issues if i.outcome in OUTCOMES)
    assert parsed.rows_read == len(parsed.records) + outcomes


def test_fuzzed_file_through_the_cli_never_shows_a_traceback(tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes(b"Score,Created at\n\x00\x00,\xff\xfe\n9,2025-01-01\n" + b"x" * 200_000 + b",\n")
    env = {**os.environ, "NPSCLI_DB": str(tmp_path / "f.db")}
    done = subprocess.run(
        [sys.executable, "-m", "npscli", "import", str(path)], env=env, capture_output=True, text=True
    )
    assert "Traceback" not in done.stderr
    assert done.returncode in (0, 3)


# ---------------------------------------------------------------- the sandbox


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__.os.system('id') }}",
        "{{ self._TemplateReference__context }}",
        "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
        "{{ x.__globals__ }}",
    ],
)
def test_templates_cannot_reach_python_internals(tmp_path, source):
    from npscli.templating import environment, render

    environment.cache_clear()
    (tmp_path / "evil.txt.j2").write_text(source)
    with pytest.raises(TemplateError):
        render("evil.txt.j2", {"x": render}, user_dir=str(tmp_path))


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("{% include 'nowhere.txt.j2' %}", "includes or extends 'nowhere.txt.j2', which does not exist"),
        ("{% extends 'nothere.txt.j2' %}", "includes or extends 'nothere.txt.j2', which does not exist"),
        ("line one\n{{ 1/0 }}", "division by zero"),
        ("\n\n{{ score + 'a' }}", "TypeError"),
        ("{% for i in range(10**9) %}{{ i }}{% endfor %}", "range"),
        ("{{ 'a' * 100000000 }}", "too large"),
        ("{{ [1, 2] * 100000000 }}", "too large"),
        ("{{ 100000000 * 'a' }}", "too large"),
        ("{{ 2 ** 100000 }}", "too large"),
        ("{{ (10 ** 100) ** 100 ** 100 }}", "too large"),
        ("{% for i in range(20000) %}{{ 'x' * 1000 }}{% endfor %}", "too large"),
        ("{% set ns = namespace(s='a') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}", "large"),
        ("{% set ns = namespace(s='a') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}", "large"),
        ("{% set ns = namespace(s=[1]) %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}", "large"),
        (
            "{% set ns = namespace(s='a') %}{% for i in range(40) %}{% set ns.s = ns.s|replace('a', 'aa') %}"
            "{% endfor %}",
            "large",
        ),
        (
            "{% macro f(s, n) %}{% if n %}{{ f(s ~ s, n - 1) }}{% else %}{{ s|length }}{% endif %}{% endmacro %}"
            "{{ f('a', 40) }}",
            "large",
        ),
        ("{{ '%0100000000d' % 1 }}", "large"),
        ("{{ 'x'|center(100000000) }}", "large"),
        ("{{ 'x'.rjust(100000000) }}", "large"),
        ("{{ '{:>100000000}'.format(1) }}", "large"),
        ("{{ lipsum(1000000) }}", "lipsum"),
        ("{{ score | int(base=0) | string | int('x') }}{{ 'Sandra' | int(default=x) }}", "line 1"),
    ],
)
def test_a_broken_clinic_template_is_an_error_naming_template_line_and_problem(tmp_path, source, problem):
    from npscli.templating import environment, render

    environment.cache_clear()
    (tmp_path / "mine.txt.j2").write_text(source)
    started = time.monotonic()
    with pytest.raises(TemplateError) as raised:
        render("mine.txt.j2", {"score": 3, "name": "Sandra Patel"}, user_dir=str(tmp_path))
    assert time.monotonic() - started < 5
    message = str(raised.value)
    assert message.startswith("template mine.txt.j2"), message
    assert problem in message, message
    assert "\n" not in message and "Sandra" not in message
    line = source.count("\n") + 1
    if "include" not in source and "extends" not in source and "range(20000)" not in source:
        assert f"line {line}" in message, message


def test_the_caps_leave_ordinary_templates_alone(tmp_path):
    from npscli.templating import environment, render

    environment.cache_clear()
    source = (
        "{{ '-' * 72 }}\n{% for i in range(500) %}{{ i * 2 }} {% endfor %}{{ 2 ** 10 }}"
        "|{{ '{:,}'.format(n) }}|{{ n|round|int }}|{{ '%d' % n }}|{{ 'x'|center(5) }}|{{ ('a' ~ n)|length }}"
    )
    (tmp_path / "ok.txt.j2").write_text(source)
    out = render("ok.txt.j2", {"n": 1_500_000}, user_dir=str(tmp_path))
    assert out.startswith("-" * 72 + "\n0 2 4")
    assert out.endswith("998 1024|1,500,000|1500000|1500000|  x  |8")


# ---------------------------------------------------------------- mutated exports through the CLI

SECRET_COMMENTS = ["the quokka nurse forgot my zanzibar results", "parking beside the marmalade clinic was awful"]
SECRET_PEOPLE = [
    ("Sandra Patel", "sandrapatel78@example.org", "+13125550147"),
    ("Ana Pérez", "ana@example.org", "555-0142"),
]
FAR_DATES = ["9999-12-31T23:59:59", "0001-01-01", "1900-01-01", "99999999999999", "3000-01-01", "1969-12-31"]
_EMAIL_IN = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def _export_rows(n: int) -> list[list[str]]:
    rows = []
    for i in range(n):
        name, email, phone = SECRET_PEOPLE[i % 2]
        rows.append(
            [f"R{i}", f"2025-10-{1 + i % 28:02d}T10:{i % 60:02d}:00", str(i % 11), SECRET_COMMENTS[i % 2],
             "Downtown", name, email, phone]
        )  # fmt: skip
    return rows


_FUZZ_HEADER = ["Response ID", "Created at", "Score", "Comment", "Location", "Patient Name", "Email", "Phone"]

mutation = st.one_of(
    st.tuples(st.just("truncate"), st.floats(0.0, 1.0)),
    st.tuples(st.just("nul"), st.lists(st.floats(0.0, 1.0), min_size=1, max_size=20)),
    st.tuples(st.just("huge"), st.sampled_from(["header", "comment", "date", "score"]), st.integers(1, 3)),
    st.tuples(st.just("far_date"), st.integers(0, 19), st.sampled_from(FAR_DATES)),
    st.tuples(st.just("delimiter"), st.sampled_from([";", "\t", "|", "^", "~", "#", ":", " "])),
    st.tuples(st.just("encoding"), st.sampled_from(["utf-16", "latin-1", "cp1252", "utf-8-sig", "utf-32"])),
    st.tuples(st.just("bytes"), st.floats(0.0, 1.0), st.binary(min_size=1, max_size=64)),
    st.tuples(st.just("drop_header"), st.booleans()),
)


def _mutated_export(mutations) -> bytes:
    rows = [_FUZZ_HEADER, *_export_rows(20)]
    delimiter, encoding = ",", "utf-8"
    late: list = []
    for m in mutations:
        kind = m[0]
        if kind == "huge":
            column = {"header": 3, "comment": 3, "date": 1, "score": 2}[m[1]]
            row = 0 if m[1] == "header" else 1
            rows[row][column] = ("very long text " * 70_000 * m[2])[: m[2] * 1_000_000]
        elif kind == "far_date":
            rows[1 + m[1]][1] = m[2]
        elif kind == "delimiter":
            delimiter = m[1]
        elif kind == "encoding":
            encoding = m[1]
        elif kind == "drop_header":
            rows = rows[1:]
        else:
            late.append(m)
    import io

    text = io.StringIO()
    csv.writer(text, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    data = text.getvalue().encode(encoding, errors="replace")
    for m in late:
        at = int(m[1] * len(data)) if m[0] != "nul" else 0
        if m[0] == "truncate":
            data = data[:at]
        elif m[0] == "bytes":
            data = data[:at] + m[2] + data[at:]
        elif m[0] == "nul":
            for where in m[1]:
                i = int(where * len(data))
                data = data[:i] + b"\x00" + data[i:]
    return data


def _leaks(text: str) -> list[str]:
    found = [m.group(0) for m in _EMAIL_IN.finditer(text)]
    digits = re.sub(r"\D", "", text)
    found += [phone for _, _, phone in SECRET_PEOPLE if re.sub(r"\D", "", phone) in digits]
    found += [w for c in SECRET_COMMENTS for w in c.split() if len(w) > 6 and w in text]
    found += [p for person in SECRET_PEOPLE for p in person[0].split() if p in text]
    return found


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=st.lists(mutation, min_size=1, max_size=3), command=st.sampled_from(["import", "score"]))
@example(mutations=[("huge", "header", 3)], command="import")
@example(mutations=[("huge", "comment", 3), ("far_date", 4, "9999-12-31T23:59:59")], command="score")
@example(mutations=[("far_date", 0, "0001-01-01"), ("far_date", 7, "99999999999999")], command="import")
@example(mutations=[("delimiter", "|")], command="import")
@example(mutations=[("delimiter", "#"), ("drop_header", True)], command="import")
@example(mutations=[("delimiter", ":"), ("drop_header", True)], command="score")
@example(mutations=[("encoding", "utf-16"), ("truncate", 0.5)], command="import")
@example(mutations=[("nul", [0.3, 0.6]), ("bytes", 0.5, b"\xff\xfe\x00")], command="score")
def test_a_mutated_export_ends_in_one_clear_line_or_a_clean_result_never_a_crash_or_a_leak(
    tmp_path_factory, mutations, command
):
    """Truncations, NULs, huge cells, out-of-range dates, odd delimiters and encodings, through `import` and
    `score FILE`: exit 0 or a documented error (never 1, the crash code), under 10 s, and no message shows an
    e-mail address, a phone number, a name or comment text."""
    from typer.testing import CliRunner

    from npscli.cli.main import app

    folder = tmp_path_factory.mktemp("mutated")
    path = folder / "export.csv"
    data = _mutated_export(mutations)
    assume(len(data) < 20_000_000)  # the bound is for files under 20 MB (three 3 MB cells in UTF-32 are not)
    path.write_bytes(data)
    (folder / "npscli.toml").write_text('clinic_name = "Fuzz Clinic"\n', encoding="utf-8")
    env = {
        "NPSCLI_DB": str(folder / "store.db"),
        "NPSCLI_TIMEZONE": "UTC",
        "NPSCLI_CONFIG": str(folder / "npscli.toml"),
        "XDG_CONFIG_HOME": str(folder / "xdg"),
        "NPSCLI_DEBUG": "",
    }
    args = ["import", str(path), "--as-of", "2025-11-01"] if command == "import" else ["score", str(path)]
    started = time.monotonic()
    result = CliRunner().invoke(app, [*args, "--format", "json"], env=env)
    elapsed = time.monotonic() - started
    assert elapsed < 10, (elapsed, mutations)
    assert result.exit_code in (0, 3), (result.output, mutations)  # a result, or an input error; never 1
    assert "Traceback" not in result.stderr
    if result.exit_code != 0:
        errors = [line for line in result.stderr.splitlines() if line.startswith("npscli: error")]
        assert len(errors) == 1, result.stderr
    assert _leaks(result.stderr) == [], (result.stderr, mutations)
