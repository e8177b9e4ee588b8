"""Settings precedence and config-file errors."""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from npscli.config import load_settings
from npscli.core.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_env(tmp_path, monkeypatch):
    for var in ("NPSCLI_CONFIG", "NPSCLI_DB", "NPSCLI_TIMEZONE", "NPSCLI_USER", "NPSCLI_TEMPLATES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(tmp_path):
    s = load_settings()
    assert s.config_path is None
    assert s.tickets.sla_hours == 48 and s.tickets.threshold == 6
    assert s.origins["min_n"] == "default"
    assert s.database_url().endswith("npscli.db")


def test_file_then_env_then_flag(tmp_path, monkeypatch):
    write(tmp_path / "npscli.toml", 'timezone = "Europe/Madrid"\ndatabase = "file.db"\nuser = "ana"\n')
    s = load_settings()
    assert (s.timezone, s.database, s.user) == ("Europe/Madrid", str(tmp_path.resolve() / "file.db"), "ana")
    assert s.origins["timezone"] == str(tmp_path / "npscli.toml")
    monkeypatch.setenv("NPSCLI_TIMEZONE", "America/Chicago")
    monkeypatch.setenv("NPSCLI_DB", "env.db")
    s = load_settings()
    assert (s.timezone, s.database) == ("America/Chicago", "env.db")
    assert s.origins["database"] == "NPSCLI_DB"
    s = load_settings(database="flag.db", timezone=None)
    assert s.database == "flag.db" and s.origins["database"] == "--db"  # the option as typed
    assert s.timezone == "America/Chicago"


def test_paths_in_the_file_are_relative_to_its_folder_not_to_where_the_command_runs(tmp_path, monkeypatch):
    """A cron job with NPSCLI_CONFIG=/etc/... must find the same store whatever folder it runs in."""
    etc = tmp_path / "etc" / "npscli"
    etc.mkdir(parents=True)
    write(
        etc / "npscli.toml",
        'database = "store/npscli.db"\ntemplates_dir = "templates"\n'
        '[reports]\nout_dir = "reports"\n[themes]\ntaxonomy = "themes.toml"\n',
    )
    monkeypatch.setenv("NPSCLI_CONFIG", str(etc / "npscli.toml"))
    elsewhere = tmp_path / "cron-home"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    s = load_settings()
    assert s.database == str(etc / "store" / "npscli.db") and s.templates_dir == str(etc / "templates")
    from npscli.config import relative_to_config

    assert relative_to_config(etc / "npscli.toml", "reports") == str(etc / "reports")
    assert relative_to_config(etc / "npscli.toml", "/srv/npscli.db") == "/srv/npscli.db"
    assert relative_to_config(etc / "npscli.toml", "postgresql://npscli@db/npscli") == "postgresql://npscli@db/npscli"
    assert relative_to_config(etc / "npscli.toml", "~/npscli.db") == str(Path.home() / "npscli.db")
    monkeypatch.setenv("NPSCLI_DB", "here.db")  # the environment and flags are as typed, from the working folder
    assert load_settings().database == "here.db"


def test_user_config_dir_is_used_when_no_local_file(tmp_path):
    user = tmp_path / "xdg" / "npscli"
    user.mkdir(parents=True)
    write(user / "npscli.toml", "min_n = 50\n")
    assert load_settings().min_n == 50


def test_tickets_and_sources_sections(tmp_path):
    write(
        tmp_path / "npscli.toml",
        """
[tickets]
threshold = 8
sla_hours = 24
[tickets.sla_hours_by_location]
Downtown = 12
[sources.weekly]
match = "qualtrics_*.csv"
map = { score = "Q1" }
""",
    )
    s = load_settings()
    assert s.tickets.threshold == 8
    assert s.tickets.sla_for("Downtown") == 12 and s.tickets.sla_for("Eastgate") == 24
    assert s.source_for(None, "/x/qualtrics_2025.csv").map == {"score": "Q1"}
    assert s.source_for(None, "other.csv") is None
    assert s.source_for("weekly", "anything.csv").name == "weekly"


@pytest.mark.parametrize(
    "text,needle",
    [
        ("timezone = \n", ":1: not valid TOML"),
        ("min_n = 'many'\n", ":1: min_n: must be a whole number, not a quoted string"),
        ("colour = 'blue'\n", ":1: colour: unknown setting"),
        ("# mine\n[tickets]\nsla = 3\n", ":3: [tickets] sla: unknown setting"),
        ("[tickets]\nthreshold = 11\n", ":2: [tickets] threshold: must be a whole number between 0 and 10, not 11"),
        ("timezone = 'Mars/Olympus'\n", ":1: timezone: unknown time zone 'Mars/Olympus'"),
        ("[sources.x]\nmatch = '*.csv'\nmap = 3\n", ":3: [sources.x] map: must be a table of quoted strings"),
        ("[smtp]\nhost = 'mail'\n\npassword = 'hunter2'\n", ":4: [smtp] password: is not allowed in a file"),
        (
            "[alerts]\nmax_score = 6\n[[routing.rules]]\nto = ['a@example.org']\n[[routing.rules]]\n"
            "lcation = 'Downtown'\nto = ['a@example.org']\n",
            ":6: [[routing.rules]] (rule 2) lcation: unknown setting",
        ),
        ('[locations."St. Mary"]\nchannel = "fax"\n', ':2: [locations."St. Mary"] channel: must be one of email, call'),
        ("[reports]\ntrend_periods = 1\n", ":2: [reports] trend_periods: must be a whole number between 2 and 104"),
        ('[senders."Jordan Lee"]\nemail = "jordan@"\n', ':2: [senders."Jordan Lee"] email: is not an e-mail address'),
        (
            "[locations.Downtown]\nmanager = { name = 'M', mail = 'm@example.org' }\n",
            ":2: [locations.Downtown] manager.mail: unknown setting",
        ),
        (
            "[emerging]\nfalse_alarms_per_site_year = 0\n",
            ":2: [emerging] false_alarms_per_site_year: must be a number above 0",
        ),
        (
            '[senders."Jordan Lee"]\nemail = "jordan.lee@example.org"\n'
            '[locations.Downtown]\nphone = "1"\nowner = "jordan lee"\nmanager = "Sam Reyes"\n',
            ":6: [locations.Downtown] manager: names 'Sam Reyes', who is not in [senders]",
        ),
        (
            "[locations.Downtown]\nsender = 'Pat'\n",
            ":2: [locations.Downtown] sender: names 'Pat', who is neither a role",
        ),
        ("[themes]\nmodel = 'yes'\n", ":2: [themes] model: must be true or false, not a quoted string"),
        ("[alerts]\nstart = 'last tuesday'\n", ":2: [alerts] start: must be a date or date-time"),
        (
            "[tickets.sla_hours_by_location]\nDowntown = -1\n",
            ":2: [tickets.sla_hours_by_location] Downtown: must be a number above 0",
        ),
    ],
)
def test_broken_config_names_file_line_table_and_key(tmp_path, text, needle):
    """The message is "FILE:LINE: [table] key: problem"; tomllib gives no lines, they come from the text."""
    path = write(tmp_path / "npscli.toml", text)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert str(err.value).startswith(str(path) + needle), str(err.value)
    assert "hunter2" not in str(err.value) + (err.value.hint or "")


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("Eastern", "America/New_York"),
        ("US Eastern Time", "America/New_York"),
        ("est", "America/New_York"),
        ("Central", "America/Chicago"),
        ("Pacific Time", "America/Los_Angeles"),
        ("america/new_york", "America/New_York"),
        ("New York", "America/New_York"),
        ("madrid", "Europe/Madrid"),
    ],
)
def test_a_time_zone_as_a_clinic_types_it_is_refused_with_the_iana_name_it_means(tmp_path, typed, meant):
    path = write(tmp_path / "npscli.toml", f'clinic_name = "Riverside"\ntimezone = "{typed}"\n')
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert str(err.value) == f"{path}:2: timezone: unknown time zone {typed!r}"
    assert err.value.hint == f'use "{meant}" (an IANA name, Region/City)'


@pytest.mark.parametrize(("fixed", "meant"), [("EST", "America/New_York"), ("MST", "America/Phoenix")])
def test_a_zone_without_daylight_saving_where_the_clinic_has_it_is_refused(tmp_path, monkeypatch, fixed, meant):
    # "EST" is in the zone database, as UTC-05:00 all year: every summer response would be an hour off
    write(tmp_path / "npscli.toml", f'timezone = "{fixed}"\n')
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert "all year, without daylight saving" in str(err.value) and meant in err.value.hint
    (tmp_path / "npscli.toml").unlink()
    monkeypatch.setenv("NPSCLI_TIMEZONE", fixed)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert "(from NPSCLI_TIMEZONE)" in str(err.value) and meant in err.value.hint


@pytest.mark.parametrize("zone", ["America/New_York", "US/Eastern", "EST5EDT", "Pacific/Honolulu", "HST", "UTC"])
def test_every_zone_that_keeps_the_clinic_clock_is_accepted(tmp_path, zone):
    write(tmp_path / "npscli.toml", f'timezone = "{zone}"\n')
    assert load_settings().timezone == zone


def test_a_top_level_setting_added_at_the_end_of_the_file_says_it_landed_in_the_table_above(tmp_path):
    # `npscli init` ends with [sources.qualtrics]: a clinic_name appended below it is in that table for TOML
    path = write(tmp_path / "npscli.toml", 'min_n = 30\n[sources.qualtrics]\nmatch = "q_*.csv"\nclinic_name = "R"\n')
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert str(err.value) == f"{path}:4: [sources.qualtrics] clinic_name: unknown setting"
    assert err.value.hint.startswith("clinic_name is a top-level setting")
    assert "move it above the first [table] line" in err.value.hint
    write(tmp_path / "npscli.toml", "[tickets]\nsla_hour = 3\n")  # a typo is still a typo
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert err.value.hint.startswith("known: threshold, sla_hours")


@pytest.mark.parametrize(
    ("line", "hint"),
    [
        ("timezone = America/Chicago", 'text goes in double quotes: timezone = "America/Chicago"'),
        ("clinic_name = Riverside Health   # ours", 'text goes in double quotes: clinic_name = "Riverside Health"'),
    ],
)
def test_text_written_without_quotes_is_told_how_to_write_it(tmp_path, line, hint):
    path = write(tmp_path / "npscli.toml", f"min_n = 30\n{line}\n")
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert str(err.value).startswith(f"{path}:2: not valid TOML") and err.value.hint == hint


def test_a_password_in_the_file_is_refused_at_load_pointing_to_the_environment_variable(tmp_path):
    write(tmp_path / "npscli.toml", '[smtp]\nhost = "smtp.example.org"\npassword = "s3cret"\n')
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert "NPSCLI_SMTP_PASSWORD" in err.value.hint and "s3cret" not in str(err.value)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://npscli:hunter2@db.example.org/nps",
        "postgresql://npscli:hun@ter2@db.example.org:5432/nps",  # a raw @ in the password
        "postgresql://npscli@db.example.org/nps?sslmode=require&password=hunter2",
    ],
)
def test_a_database_url_with_a_password_is_refused_in_the_file_but_not_from_the_environment(tmp_path, monkeypatch, url):
    write(tmp_path / "npscli.toml", f'database = "{url}"\n')
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert str(err.value).startswith(f"{tmp_path / 'npscli.toml'}:1: database: has a password in its URL")
    assert "PGPASSWORD" in err.value.hint and "ter2" not in str(err.value) + err.value.hint
    write(tmp_path / "npscli.toml", 'database = "postgresql://npscli@db.example.org/nps"\n')
    assert load_settings().database == "postgresql://npscli@db.example.org/nps"
    monkeypatch.setenv("NPSCLI_DB", url)
    assert load_settings().database == url


def test_every_problem_is_listed_with_its_line(tmp_path):
    from npscli.config import file_problems

    path = write(
        tmp_path / "npscli.toml",
        'min_n = "x"\n'
        "[tickets]\nthreshold = 12\n"
        "[alerts]\nfrom = 'nobody'\ndefault_recipients = ['a@example.org', 'b@']\n"
        "[smtp]\nsecurity = 'tls'\nport = 0\n",
    )
    found = [(p.line, p.problem.where()) for p in file_problems(path)]
    assert found == [
        (1, "min_n"),
        (3, "[tickets] threshold"),
        (5, "[alerts] from"),
        (6, "[alerts] default_recipients[1]"),
        (8, "[smtp] security"),
        (9, "[smtp] port"),
    ]


def test_line_index_follows_tables_arrays_quoted_and_dotted_keys():
    from npscli.config import line_index

    text = 'a = 1\ns = """\nb = 2\n"""\n[x."y.z"]\nk.l = 3\n[[r.s]]\nt = 1\n[[r.s]]  # the second\nt = 2\n'
    index = line_index(text)
    assert index[("a",)] == 1 and ("b",) not in index  # inside a multi-line string
    assert index[("x", "y.z")] == 5 and index[("x", "y.z", "k", "l")] == 6
    assert index[("r", "s", 0, "t")] == 8 and index[("r", "s", 1, "t")] == 10


def test_missing_explicit_config_file(tmp_path, monkeypatch):
    monkeypatch.setenv("NPSCLI_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert "nope.toml" in str(err.value)


@pytest.mark.parametrize(
    "raw",
    [
        'clinic_name = "Cl\xednica Norte"\n'.encode("cp1252"),  # saved by an editor in Windows-1252
        'clinic_name = "Riverside"\n'.encode("utf-16"),  # Notepad's "Unicode"
        b"\xff\xfe\x00garbage",
    ],
)
def test_a_config_file_that_is_not_utf8_is_a_config_error_naming_the_line(tmp_path, raw):
    path = tmp_path / "npscli.toml"
    path.write_bytes(raw)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert str(path) in str(err.value) and "UTF-8" in str(err.value)
    assert "line 1" in str(err.value)
    assert err.value.hint and "UTF-8" in err.value.hint


def test_a_config_file_saved_as_utf8_with_a_bom_is_read(tmp_path):
    (tmp_path / "npscli.toml").write_bytes('clinic_name = "Clínica Norte"\n'.encode("utf-8-sig"))
    assert load_settings().clinic_name == "Clínica Norte"


def test_the_schema_defaults_are_the_ones_the_features_use():
    """`config show` prints the schema's defaults: they must be what each feature does when a key is left out."""
    from npscli.config import Settings, TicketSettings
    from npscli.core import config_schema as schema
    from npscli.core.emerging import detector_settings
    from npscli.core.routing import parse_alert_settings
    from npscli.io.mailer import SmtpSettings

    alerts = parse_alert_settings({}, {})
    for key in schema.section("alerts").keys:
        attr = {"from": "sender"}.get(key.name, key.name)
        assert getattr(alerts, attr) == (key.default if key.default is not None else None), key.name
    smtp = SmtpSettings.from_section({"host": "smtp.example.org"}, environ={})
    assert (smtp.security, smtp.timeout, smtp.port) == (
        schema.default("smtp", "security"),
        schema.default("smtp", "timeout"),
        schema.SMTP_DEFAULT_PORTS[schema.default("smtp", "security")],
    )
    tickets = TicketSettings()
    for key in schema.section("tickets").keys:
        assert getattr(tickets, key.name) == key.default, key.name
    top = Settings()
    for key in schema.ROOT.keys:
        if key.default is not None:
            assert getattr(top, key.name) == key.default, key.name
    assert detector_settings({}).false_alarms_per_site_year == schema.default("emerging", "false_alarms_per_site_year")
    rule = parse_alert_settings({}, {"rules": [{"to": ["a@example.org"]}]}).rules[0]
    rules = schema.section("routing").table("rules")
    assert (rule.min_score, rule.max_score, rule.cont) == tuple(
        rules.key(k).default for k in ("min_score", "max_score", "continue")
    )


_bare = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
_quoted = st.text(alphabet="abc .-é", min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(
    tables=st.lists(
        st.tuples(st.one_of(_bare, _quoted), st.booleans(), st.lists(_bare, min_size=1, max_size=4, unique=True)),
        min_size=1,
        max_size=5,
    ),
    blank=st.integers(min_value=0, max_value=2),
)
def test_line_index_finds_every_table_and_key_tomllib_reads(tables, blank):
    """Whatever the tables (quoted names, [[arrays]]), each key's line is the line that defines it."""
    import tomllib

    from npscli.config import line_index
    from npscli.core.config_schema import quote

    lines: list[str] = ["# written by a test"]
    expected: dict[tuple, int] = {}
    arrays: dict[str, int] = {}
    seen_tables: set[str] = set()
    for name, is_array, keys in tables:
        if not is_array and name in seen_tables or (is_array and name in seen_tables and name not in arrays):
            continue
        if not is_array and name in arrays:
            continue
        lines.extend([""] * blank)
        if is_array:
            arrays[name] = arrays.get(name, -1) + 1
            lines.append(f"[[s.{quote(name)}]]")
            path: tuple = ("s", name, arrays[name])
        else:
            lines.append(f"[s.{quote(name)}]")
            path = ("s", name)
        seen_tables.add(name)
        for key in keys:
            lines.append(f"{key} = 1")
            expected[(*path, key)] = len(lines)
    text = "\n".join(lines) + "\n"
    tomllib.loads(text)  # the generated file is TOML
    index = line_index(text)
    for path, line in expected.items():
        assert index[path] == line, (path, text)


def test_docs_config_md_is_generated_from_the_schema():
    """docs/config.md is the schema; after changing a key: python scripts/config_reference.py."""
    import importlib.util

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("config_reference", root / "scripts" / "config_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = (root / "docs" / "config.md").read_text(encoding="utf-8")
    assert written == module.reference(), "docs/config.md is out of date: run python scripts/config_reference.py"
    for table in ("[tickets]", "[sources.NAME]", "[[routing.rules]]", "[smtp]", "[emerging]"):
        assert f"## `{table}`" in written


def _declared_keys():
    from npscli.core import config_schema as schema

    for key in schema.ROOT.keys:
        yield "", "", key
    for table in schema.ROOT.tables:
        for key in table.keys:
            yield table.name, table.entries, key
        for sub in table.tables:
            for key in sub.keys:
                yield f"{table.name}.{sub.name}", sub.entries, key


def _wrong_value(kind: str) -> str:
    return {"bool": "3", "int": '"x"', "number": '"x"', "strings": '"x"', "map": "3"}.get(kind, "true")


@pytest.mark.parametrize(("table", "entries", "key"), list(_declared_keys()), ids=lambda v: getattr(v, "name", v))
def test_every_declared_key_of_a_wrong_kind_is_one_problem_on_its_line(tmp_path, table, entries, key):
    """Declared once, checked everywhere: each key of the schema, given a value of the wrong kind, is found."""
    from npscli.config import file_problems

    header = {"named": f"[{table}.x]\n", "array": f"[[{table}]]\n"}.get(entries, f"[{table}]\n") if table else ""
    extra = 'to = ["a@example.org"]\n' if entries == "array" and key.name != "to" else ""
    value = '"s3cret"' if key.secret else _wrong_value(key.kind)
    text = f"# generated\n{header}{extra}{key.name} = {value}\n"
    path = write(tmp_path / "npscli.toml", text)
    [problem] = file_problems(path)
    assert problem.line == text.count("\n"), text
    where = problem.problem.where()
    if table:
        opening = f"[[{table}]]" if entries == "array" else f"[{table}"
        assert where.endswith(f" {key.name}") and where.startswith(opening)
    else:
        assert where == key.name
    assert "s3cret" not in problem.message()
