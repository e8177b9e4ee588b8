"""Meta-tests: startup stays light, every command documents itself, errors never show tracebacks."""

import json
import subprocess
import sys

from npscli.cli.main import app


def _walk(typer_app, prefix=()):
    for info in typer_app.registered_commands:
        yield (*prefix, info.name or info.callback.__name__), info.callback
    for group in typer_app.registered_groups:
        yield from _walk(group.typer_instance, (*prefix, group.name))


def test_help_does_not_import_heavy_modules():
    code = (
        "import sys\n"
        "sys.argv = ['npscli', '--help']\n"
        "from npscli.cli.main import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "import json\n"
        "heavy = ('pandas', 'sqlalchemy', 'openpyxl', 'numpy', 'jinja2', 'pydantic', 'npscli.core.config_schema')\n"
        "heavy = [m for m in heavy if m in sys.modules]\n"
        "print(json.dumps(heavy), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "Usage" in done.stdout
    assert json.loads(done.stderr.strip().splitlines()[-1]) == []


def _probe(argv: list[str], after: str, *, env: dict | None = None) -> tuple[str, list]:
    """Run ``npscli ARGV`` in a fresh interpreter, then evaluate the expression ``after`` there (``sys``, ``os``
    and ``json`` imported). Returns the command's stdout and ``[exit code, value of after]``."""
    code = (
        "import json, os, sys\n"
        f"sys.argv = ['npscli', *{argv!r}]\n"
        "from npscli.cli.main import main\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\nelse:\n    code = 0\n"
        f"print(json.dumps([code, {after}]), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return done.stdout, json.loads(done.stderr.strip().splitlines()[-1])


def test_a_command_with_options_does_not_import_pydantic():
    """Typer 0.29 coerces every option through a pydantic TypeAdapter (about a tenth of `score FILE` on a
    small export); the Typer pinned in pyproject.toml does not."""
    from pathlib import Path

    export = Path(__file__).resolve().parents[2] / "sample_data" / "delighted_export.csv"
    out, (code, modules) = _probe(
        ["score", str(export), "--by", "location", "--format", "json"],
        "['pandas' in sys.modules, 'pydantic' in sys.modules]",
    )
    assert json.loads(out)  # the scores were printed
    assert (code, modules) == (0, [True, False])


def test_a_command_on_a_sqlite_store_does_not_import_the_postgresql_dialects(tmp_path):
    """SQLAlchemy imports all of its PostgreSQL dialects (about 25 ms) as soon as a table declares a
    ``postgresql_*`` option: the partial indexes get theirs only when a PostgreSQL store is opened."""
    from datetime import UTC, datetime

    from tests.storefill import fill

    from npscli.store.engine import open_store

    store = open_store(str(tmp_path / "n.db"))
    fill(store, [{"response_id": "a", "submitted_at": datetime(2026, 1, 5, tzinfo=UTC), "score": 9, "location": "X"}])
    store.dispose()
    out, probed = _probe(
        ["score", "--db", str(tmp_path / "n.db"), "--by", "location", "--format", "json"],
        "['sqlalchemy' in sys.modules, 'sqlalchemy.dialects.postgresql' in sys.modules]",
    )
    assert probed == [0, [True, False]]
    assert json.loads(out)[0]["location"] == "X"


_ONE_OR_ALL = (
    "import json, sys\n"
    "import typer.main\n"
    "from npscli.cli import main as m\n"
    "args, whole = json.loads(sys.argv[1]), sys.argv[2] == 'whole'\n"
    "sys.argv = ['npscli', *args]\n"
    "try:\n"
    "    if whole:\n"
    "        m.build_app()(prog_name='npscli')\n"
    "    else:\n"
    "        m.main()\n"
    "except SystemExit as exc:\n"
    "    code = exc.code\n"
    "loaded = sorted(n for n in sys.modules if n.startswith('npscli.cli.') and n.count('.') == 2)\n"
    "print(json.dumps([code, loaded]), file=sys.stderr)\n"
)


def test_one_command_builds_alone_and_answers_as_the_whole_tree(tmp_path):
    """`npscli score FILE` imports and builds only the score command; what it prints, and what help, a usage
    error, a mistyped command or a group print, is what the whole tree prints."""
    from pathlib import Path

    export = str(Path(__file__).resolve().parents[2] / "sample_data" / "delighted_export.csv")
    env = {
        "PATH": "/usr/bin:/bin",
        "NPSCLI_TIMEZONE": "America/Chicago",
        "NPSCLI_NOW": "2026-11-16",
        "NO_COLOR": "1",
        "NPSCLI_DB": str(tmp_path / "none.db"),
        "HOME": str(tmp_path),
        "COLUMNS": "100",
    }
    cases = [
        ["score", export, "--by", "location", "--format", "json"],
        ["-q", "--debug", "score", export],
        ["score", "--help"],
        ["score", "--no-such-option"],
        ["tickets"],
        ["report", "weekly", "--help"],
        ["scroe", export],
        ["--help"],
        ["-V", "score"],
    ]
    seen = {}
    for args in cases:
        runs = {}
        for how in ("one", "whole"):
            done = subprocess.run(
                [sys.executable, "-c", _ONE_OR_ALL, json.dumps(args), how], capture_output=True, text=True, env=env
            )
            *printed, last = done.stderr.splitlines()
            code, loaded = json.loads(last)
            runs[how] = (code, done.stdout, printed, set(loaded))
        assert runs["one"][:3] == runs["whole"][:3], args
        seen[tuple(args)] = runs["one"]
    alone = {
        "npscli.cli.app",
        "npscli.cli.errors",
        "npscli.cli.main",
        "npscli.cli.output",
        "npscli.cli.context",
        "npscli.cli.options",
        "npscli.cli.scoring",
    }
    first = seen[tuple(cases[0])]
    assert first[0] == 0 and json.loads(first[1]) and first[3] <= alone, first
    assert seen[tuple(cases[1])][3] <= alone
    assert "npscli.cli.tickets" in seen[("tickets",)][3] and "npscli.cli.scoring" not in seen[("tickets",)][3]
    whole = seen[("--help",)]
    assert whole[0] == 0 and "Usage" in whole[1] and "npscli.cli.tickets" in whole[3]  # the whole tree


def test_a_command_starts_no_blas_threads_unless_asked(tmp_path):
    """numpy's OpenBLAS pool (a thread per core, spinning while it waits) is not started by a command, since
    npscli computes no matrix products; a user's own OPENBLAS_NUM_THREADS is left as it is."""
    import os
    from pathlib import Path

    if not Path("/proc/self/task").is_dir():
        import pytest

        pytest.skip("threads are counted in /proc")
    export = Path(__file__).resolve().parents[2] / "sample_data" / "delighted_export.csv"
    argv = ["score", str(export), "--format", "json"]
    threads = "[__import__('numpy') and len(os.listdir('/proc/self/task')), os.environ.get('OPENBLAS_NUM_THREADS')]"
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    out, probed = _probe(argv, threads, env=env)
    assert json.loads(out)  # the scores were printed
    assert probed == [0, [1, "1"]]
    _out, chosen = _probe(argv, threads, env={**env, "OPENBLAS_NUM_THREADS": "2"})
    assert chosen[1][1] == "2"


def test_every_command_has_help_text(cli):
    commands = list(_walk(app))
    assert len(commands) >= 10
    for path, callback in commands:
        assert callback.__doc__, f"{' '.join(path)} has no docstring"
        result = cli(*path, "--help", db=False)
        assert result.exit_code == 0, result.output
        assert "Usage" in result.stdout


def test_version(cli):
    result = cli("--version", db=False)
    assert result.exit_code == 0
    assert result.stdout.startswith("npscli ")


def test_short_version_flag(cli):
    short, long = cli("-V", db=False), cli("--version", db=False)
    assert short.exit_code == 0, short.output
    assert short.stdout == long.stdout and short.stdout.startswith("npscli ")


def test_shell_completion_is_offered_and_completes_commands(tmp_path):
    import os

    shown = subprocess.run(
        [sys.executable, "-m", "npscli", "--show-completion", "bash"], capture_output=True, text=True, check=False
    )
    assert shown.returncode == 0, shown.stderr
    assert "complete " in shown.stdout and "_NPSCLI_COMPLETE" in shown.stdout
    env = {**os.environ, "_NPSCLI_COMPLETE": "complete_bash", "COMP_WORDS": "npscli sc", "COMP_CWORD": "1"}
    words = subprocess.run([sys.executable, "-m", "npscli"], env=env, capture_output=True, text=True, check=False)
    assert words.stdout.split() == ["score"], words.stderr
    env.update({"COMP_WORDS": "npscli db b", "COMP_CWORD": "2"})
    words = subprocess.run([sys.executable, "-m", "npscli"], env=env, capture_output=True, text=True, check=False)
    assert words.stdout.split() == ["backup"], words.stderr
    listed = subprocess.run([sys.executable, "-m", "npscli", "--help"], capture_output=True, text=True, check=True)
    assert "--install-completion" in listed.stdout and "-V, --version" in listed.stdout


def test_unknown_option_is_a_usage_error(cli):
    result = cli("score", "--bogus")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def _on_a_terminal(args: list[str], env: dict[str, str]) -> bytes:
    """Run npscli with stdout and stderr on a real pseudo-terminal; return everything it wrote."""
    import os
    import pty

    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "npscli", *args], stdout=follower, stderr=follower, env=env, close_fds=True
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.wait(timeout=60) == 0, b"".join(chunks)
    return b"".join(chunks)


def test_no_color_gives_plain_text_even_on_a_terminal(tmp_path, sqlite_db):
    import os

    from tests.factories import response, write_plain

    path = write_plain(tmp_path / "e.csv", [response("1", "2025-11-03T09:00:00-06:00", 9)])
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(NPSCLI_DB=sqlite_db, NPSCLI_TIMEZONE="America/Chicago", COLUMNS="200", TERM="xterm-256color")
    styled = _on_a_terminal(["import", str(path)], env)
    assert b"\x1b[" in styled  # the check can see styling when it is there
    plain = _on_a_terminal(["score", "--by", "location"], {**env, "NO_COLOR": "1"})
    assert b"Downtown" in plain and b"\x1b[" not in plain


def test_the_command_reference_is_current():
    """docs/cli.md is every command's --help; after changing an option: python scripts/cli_reference.py."""
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "scripts" / "cli_reference.py"
    spec = importlib.util.spec_from_file_location("cli_reference", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    paths = list(module.command_paths())
    assert ("tickets", "resolve") in paths and ("report", "weekly") in paths and ("score",) in paths
    written = module.REFERENCE.read_text(encoding="utf-8")
    assert written == module.reference(), "docs/cli.md is out of date: run python scripts/cli_reference.py"
    assert written.count("\n## npscli ") == len(paths) and "\n## npscli\n" in written


def _commands():
    """Every command (not group) of the tree, as its words: ("score",), ("tickets", "resolve"), ..."""
    from npscli.cli.main import app

    def walk(typer_app, prefix):
        for info in typer_app.registered_commands:
            yield (*prefix, info.name or info.callback.__name__)
        for group in typer_app.registered_groups:
            yield from walk(group.typer_instance, (*prefix, group.name))

    return list(walk(app, ()))


def test_every_command_takes_the_global_flags_after_it_too(cli):
    """`npscli import x.csv -q`, `npscli report weekly --debug`: what a crontab line or a person re-running a
    failed command naturally types, on every command (once each in its --help), as before the command."""
    commands = _commands()
    assert ("import",) in commands and ("tickets", "sweep") in commands and ("report", "weekly") in commands
    for path in commands:
        result = cli(*path, "--help", db=False)
        assert result.exit_code == 0, (path, result.output)
        assert result.stdout.count("-q, --quiet") == 1 and result.stdout.count("--debug ") == 1, path


def test_quiet_and_debug_after_the_command_act_as_before_it(cli, isolated, sqlite_db):
    """-q after the command drops what --quiet drops; --debug after it prints the traceback of an error, which
    without it is one line."""
    from tests.factories import response, write_plain

    path = write_plain(isolated / "e.csv", [response("1", "2025-11-03T09:00:00-06:00", 3)])
    loud = cli("import", path)
    assert loud.exit_code == 0 and "e.csv" in loud.stdout, loud.output
    again = cli("import", path, "-q")
    assert again.exit_code == 0 and again.stdout == "", again.output  # the summary table is gone, as with -q first
    for args in (("tickets", "show", "T-000999"), ("tickets", "show", "T-000999", "--debug")):
        result = cli(*args)
        assert result.exit_code == 5, result.output
        assert ("Traceback" in result.stderr) == ("--debug" in args), result.stderr
        assert "no ticket T-000999" in result.stderr
    plain = cli("tickets", "show", "T-000999")  # the switch does not outlive the command that was given it
    assert "Traceback" not in plain.stderr


def test_csv_to_a_terminal_neutralises_escape_sequences_and_a_pipe_keeps_them(tmp_path, sqlite_db):
    """A comment carrying an OSC (retitle the window) and a CSI (clear the screen): on a terminal the CSV shows
    them as U+FFFD marks, as the table does; through a pipe (a file, another program) the data is kept."""
    import os

    from tests.factories import response, write_plain

    comment = "\x1b]0;pwned\x07Waited \x1b[2J\x9b31m2 hours"
    path = write_plain(tmp_path / "e.csv", [response("1", "2025-11-03T09:00:00-06:00", 2, comment)])
    env = {**os.environ, "NPSCLI_DB": sqlite_db, "NPSCLI_TIMEZONE": "America/Chicago", "NO_COLOR": "1"}
    subprocess.run([sys.executable, "-m", "npscli", "-q", "import", str(path)], env=env, check=True)
    for fmt in ("csv", "json"):
        shown = _on_a_terminal(["detractors", "--format", fmt, "--as-of", "2025-11-04"], env)
        assert b"Waited" in shown and b"2 hours" in shown
        assert b"\x1b" not in shown and "\x9b".encode() not in shown, shown
    piped = subprocess.run(
        [sys.executable, "-m", "npscli", "detractors", "--format", "csv", "--as-of", "2025-11-04"],
        env=env,
        capture_output=True,
        check=True,
    )
    assert comment.encode() in piped.stdout


def test_the_since_help_names_every_window_the_parser_takes(cli):
    from npscli.core.periods import _NAMED

    shown = " ".join(cli("detractors", "--help", db=False).stdout.split())
    assert all(name in shown for name in _NAMED), shown
