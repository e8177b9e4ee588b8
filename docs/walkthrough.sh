#!/usr/bin/env bash
# A week of the follow-up workflow on the sample exports; the README shows this script's real output.
# Run from the repository root after `make install`:  bash docs/walkthrough.sh > docs/walkthrough.out
# It works in a scratch folder: npscli.toml from docs/walkthrough.toml (whose `database` puts the store there too,
# not in the user-wide default), the drafts.
# tests/cli/test_walkthrough_doc.py runs it and checks that docs/walkthrough.out and the README still match.
set -euo pipefail
repo="$PWD"
work="${TMPDIR:-/tmp}/npscli-walkthrough"
rm -rf "$work" && mkdir -p "$work" && ln -s "$repo/sample_data" "$work/sample_data"
cp "$repo/docs/walkthrough.toml" "$work/npscli.toml"
cd "$work"
export NPSCLI_TIMEZONE=America/Chicago COLUMNS=120 NO_COLOR=1
unset NPSCLI_CONFIG NPSCLI_DB NPSCLI_NOW NPSCLI_TEMPLATES  # the store is npscli.toml's `database`
npscli="${NPSCLI_BIN:-$repo/.venv/bin/npscli}"
python="${NPSCLI_PYTHON:-$repo/.venv/bin/python}"
run() { printf '\n$ npscli %s\n' "$*"; "$npscli" "$@" 2>&1; }
say() { printf '\n$ %s\n' "$*"; }
# A draft as the mail program shows it: the header lines a person sees, then the text.
show_draft() {
    printf '\n(%s, opened in a mail program)\n' "$1"
    "$python" - "$1" <<'PY'
import email, email.policy, sys
msg = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
for field in ("From", "Reply-To", "To", "Subject"):
    print(f"{field}: {msg[field]}")
print()
print(msg.get_content().replace("\r\n", "\n"), end="")
PY
}

echo "# Monday 16 November, 07:00 — cron imports the weekend's exports"
run import sample_data/qualtrics_export.csv sample_data/qualtrics_week16.csv sample_data/surveymonkey_export.xlsx sample_data/delighted_export.csv --as-of 2026-11-16T07:00
echo
echo "# Monday 08:30 — the patient-experience lead looks at the week"
run score --by location --since last-week --compare previous --as-of 2026-11-16T08:30
run themes --emerging --as-of 2026-11-16T08:30
run detractors --since 2d --location Eastgate --comments-only --as-of 2026-11-16T08:30
echo
echo "# Monday 09:00 — the Eastgate tickets go to the Eastgate manager"
run tickets assign --location Eastgate --since 7d --to "Priya Shah" --by jordan --as-of 2026-11-16T09:00
echo
echo "# Monday 09:30 — Priya drafts her outreach: one e-mail per patient from her own address, in their language"
run draft-outreach --location Eastgate --since 7d --by priya --as-of 2026-11-16T09:30
show_draft outreach/T-000137-ama-fischer.eml
echo
echo "# Monday afternoon — Priya calls the patient charged twice, leaves a voicemail for the next one"
run tickets contacted T-000143 --channel call --note "Apologised for the double charge; billing will refund it" --by priya --as-of 2026-11-16T14:10
run tickets contacted T-000140 --channel voicemail --note "Left a message in Spanish with my direct line" --by priya --as-of 2026-11-16T14:25
echo
echo "# Tuesday — the refund is confirmed; the ticket is closed with its root cause"
run tickets resolve T-000143 --code billing --note "Duplicate charge from the new billing system; refunded" --by priya --as-of 2026-11-17T10:00
run tickets show T-000143 --hide-contact
echo
echo "# Wednesday — an at-risk patient is escalated to the medical director, who takes the ticket over"
run tickets escalate T-000141 --to "Dr. Sam Reyes" --reason "Child still feverish and nobody followed up" --by priya --as-of 2026-11-18T09:15
echo
echo "# Thursday — Priya makes the billing e-mail her own: a copy in her template folder, one sentence added"
run templates copy billing my-templates
edit="s/I'm sorry your bill has caused you trouble\./& We have just changed billing systems, and I want to be sure it made no mistake on yours./"
say "sed -i \"$edit\" my-templates/outreach/billing.txt.j2   # or any editor"
sed -i "$edit" my-templates/outreach/billing.txt.j2
run draft-outreach --ticket T-000470 --again --templates my-templates --by priya --as-of 2026-11-19T10:00
show_draft outreach/T-000470-daniel-sanders-2.eml
echo
echo "# A week later — the nightly sweep closes contacts that never answered, so nobody chases them"
run tickets sweep --as-of 2026-11-24T02:00 --by cron
run draft-outreach --ticket T-000140 --again --as-of 2026-11-24T08:00
run tickets stats --by location --since 2026-11-09 --until 2026-11-15 --as-of 2026-11-24T08:00
run tickets list --location Eastgate --since 2026-11-12 --status all --as-of 2026-11-24T08:00 --format csv
