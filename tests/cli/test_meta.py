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
        "heavy = [m for m in ('pandas', 'sqlalchemy', 'openpyxl', 'numpy', 'jinja2') if m in sys.modules]\n"
        "print(json.dumps(heavy), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "Usage" in done.stdout
    assert json.loads(done.stderr.strip().splitlines()[-1]) == []


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


def test_unknown_option_is_a_usage_error(cli):
    result = cli("score", "--bogus")
    assert result.exit_code == 2
    assert "Traceback" not in result.output
