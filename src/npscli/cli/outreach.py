"""`npscli draft-outreach` (personal follow-up drafts, call scripts, public replies) and `npscli templates ...`.

Drafts are files a person opens, edits and sends from their own mailbox: npscli never sends outreach itself.
The selection, the choice of template and sender, and the public-reply guard are in
``npscli.services.outreach``; the files are written by ``npscli.io.eml``.
"""

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from npscli.cli import context
from npscli.cli.app import make_app
from npscli.cli.options import (
    ActorOpt,
    AsOfOpt,
    DbOpt,
    DepartmentOpt,
    FormatOpt,
    LocationOpt,
    SinceOpt,
    format_choices,
)
from npscli.cli.output import Col, OutputFormat, emit, message
from npscli.core.errors import ConflictError, NotFoundError, UsageError


class DraftFormat(StrEnum):
    eml = "eml"
    txt = "txt"
    md = "md"


TemplatesOpt = Annotated[
    Path | None,
    typer.Option(
        "--templates",
        metavar="DIR",
        help="Your template folder, searched before the packaged one (else NPSCLI_TEMPLATES, else config).",
    ),
]

DRAFT_COLS = [
    Col("ticket_id", "ticket"),
    Col("draft"),
    Col("template"),
    Col("sender"),
    Col("file"),  # a path to open or copy: never folded
    Col("note", wrap=True),
]


def draft_outreach_command(
    since: SinceOpt = None,
    ticket: Annotated[
        list[str] | None, typer.Option("--ticket", metavar="ID", help="Only this ticket, e.g. T-000123 (repeatable).")
    ] = None,
    location: LocationOpt = None,
    department: DepartmentOpt = None,
    template: Annotated[
        str | None,
        typer.Option(
            "--template",
            metavar="NAME",
            help="Use this template for every draft: general, wait_time, scheduling, billing, "
            "staff_communication, call_script, public_reply, or one of yours (default: by root cause).",
        ),
    ] = None,
    sender: Annotated[
        str | None,
        typer.Option(
            "--sender",
            metavar="WHO",
            help="provider, manager or owner (per location), or a [senders] NAME "
            "(default: whom an escalated ticket went to, else the location's `sender`, else its manager).",
        ),
    ] = None,
    out: Annotated[Path, typer.Option("--out", metavar="DIR", help="Where the drafts are written.")] = Path("outreach"),
    fmt: Annotated[
        DraftFormat,
        typer.Option(
            "--format",
            help="eml (opens as a draft in your mail program), txt or md. Call scripts and "
            "public replies are always txt or md.",
            **format_choices(DraftFormat),
        ),
    ] = DraftFormat.eml,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be drafted; write and record nothing.")
    ] = False,
    again: Annotated[
        bool,
        typer.Option(
            "--again",
            help=(
                "Draft also for tickets drafted before or whose patient was already contacted (never for patients"
                " closed as no response)."
            ),
        ),
    ] = False,
    db: DbOpt = None,
    as_of: AsOfOpt = None,
    by: ActorOpt = None,
    templates: TemplatesOpt = None,
) -> None:
    """Draft personal outreach for detractors: an .eml per patient, a call script when there is no e-mail.

    Without options: one draft for every open detractor ticket not drafted before and whose patient nobody has
    contacted yet (a call or e-mail logged since it was last reopened), into ./outreach/.
    The template follows the ticket's root cause (else its suggested cause; general otherwise); the sender is
    a real person from npscli.toml ([locations.NAME] manager/owner, [providers.NAME], [senders.NAME]) and is
    never a no-reply address. Patients without an e-mail address get a call script (.txt) instead. Every
    draft is logged on its ticket ("outreach_drafted"); patients closed as no response are never drafted
    again. `--template public_reply --ticket ID` writes a reply to that online review, refused if it would show
    anything about the patient. Exit 0: done (or nothing to draft); 5: unknown ticket or template; 8: configuration
    or template error.
    """
    from npscli.core import tickets as rules
    from npscli.core.periods import parse_since
    from npscli.services.outreach.run import (
        DraftRequest,
        draft_outreach,
        forced_template,
        summary_lines,
        unconfigured_error,
    )
    from npscli.templating import environment

    s = context.settings(database=db, user=by, templates_dir=str(templates) if templates else None)
    user_dir = str(Path(s.templates_dir).expanduser().resolve()) if s.templates_dir else None
    environment(user_dir)  # a template folder that does not exist is a clear error before anything else
    ticket_ids = tuple(dict.fromkeys(rules.parse_ticket_id(t) for t in ticket or ()))
    forced = forced_template(template, ticket_ids, user_dir)  # a wrong --template is refused before the store opens
    now = context.now(as_of, s)
    store = context.open_db(s)
    try:
        request = DraftRequest(
            out=out,
            fmt=fmt.value,
            template=forced,
            ticket_ids=ticket_ids,
            **_groups(context.group_filters(location, department, store=store)),
            since=parse_since(since, now) if since else None,
            sender=sender.strip() if sender and sender.strip() else None,
            again=again,
            dry_run=dry_run,
            user_dir=user_dir,
        )
        run = draft_outreach(store, s, request, now=now)
    finally:
        store.dispose()
    if run.rows:
        emit(run.rows, OutputFormat.table, DRAFT_COLS, title="would draft" if dry_run else "outreach drafts")
    for line in summary_lines(run, out, dry_run=dry_run, fmt=fmt.value):
        message(line)
    if (error := unconfigured_error(run)) is not None:  # the others were drafted; cron and people must notice
        raise error


def _groups(filters: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    return {"locations": filters["location"], "departments": filters["department"]}


# ---------------------------------------------------------------------------------------------- templates

templates_app = make_app(
    help="Templates: list them, show one, copy one into your folder to customise it.\n\n"
    "Your folder (--templates DIR, NPSCLI_TEMPLATES or `templates_dir` in npscli.toml) is searched before the "
    "packaged templates, file by file: copy only what you change. Outreach variables: ticket_id, patient_name, "
    "patient_first_name, patient_email, patient_phone, score, visit_date, visit_day, location, location_phone, "
    "department, provider, comment, root_cause, sender_name, sender_title, sender_email, sender_phone, "
    "clinic_name, clinic_phone, today, channel, language, comment_language. outreach/es/ holds the e-mails in "
    "Spanish, used for patients who wrote in Spanish."
)


def _outreach_label(name: str) -> str:
    from npscli.services.outreach import kind_of

    if not name.startswith("outreach/"):
        return ""
    short = name[len("outreach/") :]
    if short.rpartition("/")[2].startswith("_"):
        return "included by the e-mails"
    stem = short.split(".", 1)[0]
    if short.endswith(".subject.j2"):
        return f"--template {stem} (subject)"
    return f"--template {stem}" + {"email": " (body)", "call": "", "public": ""}[kind_of(stem)]


@templates_app.command("list")
def templates_list_command(templates: TemplatesOpt = None, fmt: FormatOpt = OutputFormat.table) -> None:
    """List every template (alerts, outreach, reports), and which ones your folder overrides."""
    from npscli.templating import list_templates

    s = context.settings(templates_dir=str(templates) if templates else None)
    rows = [{**row, "use": _outreach_label(row["name"])} for row in list_templates(s.templates_dir)]
    emit(rows, fmt, [Col("name"), Col("origin"), Col("use")], title=f"{len(rows)} template(s)")


def _packaged_files(name: str) -> list[str]:
    """Template files a NAME means: a path (``outreach/billing.txt.j2``), a folder (``outreach``) or an
    outreach template name (``billing`` -> its subject and body)."""
    from npscli.templating import packaged_templates_dir

    return _files_in(packaged_templates_dir(), name)


def _files_in(root: Path, name: str) -> list[str]:
    clean = name.strip().removeprefix("default:").strip("/")
    parts = Path(clean).parts
    if not clean or Path(clean).is_absolute() or ".." in parts:
        raise UsageError(f"{name!r} is not a template name", hint="see `npscli templates list`")
    if not root.is_dir():
        return []
    target = root / clean
    if target.is_file():
        return [clean]
    if target.is_dir():
        return sorted(p.relative_to(root).as_posix() for p in target.rglob("*") if p.is_file())
    folder, _, stem = clean.rpartition("/")
    if not folder or (len(parts) == 2 and len(folder) == 2 and folder.isalpha()):  # billing, es/billing
        outreach = root / "outreach" / folder
        return sorted(
            p.relative_to(root).as_posix()
            for p in outreach.glob(f"{stem}.*")
            if p.is_file() and p.name.split(".", 1)[0] == stem
        )
    return []


def _meant_template(name: str) -> str:
    """ "; did you mean 'billing'?" for a name typed nearly as a packaged template or outreach name is."""
    from npscli.core.names import near_names
    from npscli.templating import list_templates

    paths = [row["name"] for row in list_templates(None)]
    short = {p.removeprefix("outreach/").split(".", 1)[0] for p in paths if p.startswith("outreach/")}
    known = sorted({*paths, *(s for s in short if not s.rpartition("/")[2].startswith("_"))})
    close = near_names(name.strip(), known)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


@templates_app.command("show")
def templates_show_command(
    name: Annotated[
        str,
        typer.Argument(
            metavar="TEMPLATE", help="A template: outreach/billing.txt.j2, or an outreach name such as billing."
        ),
    ],
    templates: TemplatesOpt = None,
) -> None:
    """Print a template's source: yours when your folder overrides it, else the packaged one."""
    from npscli.templating import packaged_templates_dir

    s = context.settings(templates_dir=str(templates) if templates else None)
    sources: dict[str, Path] = {}
    packaged = packaged_templates_dir()
    for rel in _files_in(packaged, name):
        sources[rel] = packaged / rel
    if s.templates_dir and not name.startswith("default:"):
        user_root = Path(s.templates_dir).expanduser()
        for rel in _files_in(user_root, name):
            sources[rel] = user_root / rel
    if not sources:
        raise NotFoundError(f"no template named {name!r}{_meant_template(name)}", hint="see `npscli templates list`")
    many = len(sources) > 1
    for rel, path in sorted(sources.items()):
        if many:
            origin = "packaged" if path.is_relative_to(packaged) else "yours"
            sys.stdout.write(f"==> {rel} ({origin}) <==\n")
        text = path.read_text(encoding="utf-8")
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        if many:
            sys.stdout.write("\n")


@templates_app.command("copy")
def templates_copy_command(
    name: Annotated[
        str,
        typer.Argument(
            metavar="TEMPLATE", help="What to copy: outreach/billing.txt.j2, billing (subject and body), or outreach."
        ),
    ],
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="Your template folder.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite files that exist.")] = False,
) -> None:
    """Copy packaged templates into DIR (same layout) to customise them; refuses to overwrite without --force.

    Then use them with --templates DIR, NPSCLI_TEMPLATES=DIR or templates_dir = "DIR" in npscli.toml.
    """
    from npscli.templating import packaged_templates_dir

    files = _packaged_files(name)
    if not files:
        raise NotFoundError(
            f"no packaged template named {name!r}{_meant_template(name)}", hint="see `npscli templates list`"
        )
    root = directory.expanduser()
    existing = [rel for rel in files if (root / rel).exists()]
    if existing and not force:
        raise ConflictError(
            f"{root / existing[0]} exists" + (f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""),
            hint="nothing was copied; add --force to overwrite",
        )
    packaged = packaged_templates_dir()
    for rel in files:
        target = root / rel
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes((packaged / rel).read_bytes())
        except OSError as exc:
            from npscli.core.errors import InputFileError

            raise InputFileError(f"cannot write {target} ({exc.strerror})") from None
        message(f"copied {rel} -> {target}")
    if all(rel.startswith("outreach/") for rel in files):
        message(f"edit them, then use --templates {root} (or templates_dir in npscli.toml)")
    else:  # `npscli report` and `npscli alert` take no --templates: only the setting reaches them
        message(
            f'edit them, then set templates_dir = "{root}" in npscli.toml (or NPSCLI_TEMPLATES={root}): '
            "report and alert read your folder from there"
        )
