"""Generate a large synthetic NPS export for benchmarks.

    python bench/generate.py --rows 1000000 --out bench/data/responses_1m.csv
    python bench/generate.py --format xlsx --rows 100000 --out bench/data/responses_100k.xlsx

The layout is the plain, single-header-row "Delighted-like" export of sample_data/delighted_export.csv
(UTF-8 with BOM, CRLF): Response ID, Score, Comment, Created at (ISO 8601 with the America/Chicago offset),
Location, Department, Provider, Patient Name, Email, Phone, Patient ID.

50 locations, 12 departments, 300 providers (each bound to one location + department), two years of responses
ending Sunday 2026-11-15 (fewer at weekends, volume growing over time), ~25% detractors, ~40% with a comment
drawn from a theme vocabulary (wait time, scheduling, billing, staff, ...; some with newlines, double
quotes, accents and a leading "=" or "-"). Everything is synthetic: example.org/example.com addresses,
555-01xx phones.

Rows are generated with numpy in chunks and written as they are made, so memory stays flat; the same --seed
and --rows give byte-identical output.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import re
import sys
import time
import unicodedata
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

HEADER = ("Response ID", "Score", "Comment", "Created at", "Location", "Department", "Provider",
          "Patient Name", "Email", "Phone", "Patient ID")
END_DATE = date(2026, 11, 15)  # a Sunday; the last day of data
N_DAYS = 730
START_DATE = END_DATE - timedelta(days=N_DAYS - 1)
CHUNK_ROWS = 100_000
PATIENTS_PER_LOCATION = 8_000
FIXED_ZIP_TIME = (2026, 11, 16, 7, 30, 0)

LOCATIONS = (
    "Alder Creek", "Ashford", "Bayview", "Bellmont", "Birchwood", "Brookside", "Cedar Hills", "Clearwater",
    "Cobblestone", "Crestview", "Deer Park", "Downtown", "Driftwood", "Eastgate", "Elm Grove", "Fairhaven",
    "Foxborough", "Glenwood", "Granite Falls", "Harbor Point", "Hawthorne", "Highland Park", "Hillcrest",
    "Ironwood", "Juniper Ridge", "Kingsbridge", "Lakeshore", "Laurel Heights", "Lincoln Square",
    "Maple Grove", "Meadowbrook", "Millbrook", "Northside", "Oak Ridge", "Old Town", "Pine Valley",
    "Prairie View", "Quarry Hill", "Redwood", "Riverbend", "Rosedale", "Santa Lucía", "Silver Lake",
    "Southport", "Stonebridge", "Summit", "Timberline", "Union Square", "Westview", "Willow Creek",
)
DEPARTMENTS = (
    "Primary Care", "Pediatrics", "Dermatology", "Physical Therapy", "Urgent Care", "Cardiology",
    "Orthopedics", "Women's Health", "Behavioral Health", "Endocrinology", "Ophthalmology",
    "Ear, Nose & Throat",
)
FIRST_NAMES = (
    "Avery", "Jordan", "Maya", "Liam", "Sofia", "Mateo", "Olivia", "Noah", "Priya", "Arjun", "Mei", "Fatima",
    "Omar", "Grace", "Samuel", "Isabella", "Diego", "Hannah", "Ethan", "Chloe", "Lucas", "Zoë", "Aaliyah",
    "Malik", "Nora", "Elena", "Luis", "Carmen", "Jorge", "Ana", "María", "José", "Lucía", "Sebastián",
    "Renée", "Björn", "Anika", "Tomás", "Dana", "Kofi", "Ama", "Yusuf", "Leila", "Hiro", "Yuki", "Min-jun",
    "Ravi", "Sunita", "Patrick", "Siobhan", "Connor", "Erin", "Marcus", "Tasha", "Derek", "Brianna", "Kevin",
    "Laura", "Michael", "Jennifer", "David", "Susan", "Robert", "Linda", "James", "Patricia", "Thomas",
    "Karen", "Daniel", "Nancy", "Paul", "Betty", "Mark", "Sandra", "Steven", "Ashley", "Andrew", "Kimberly",
    "Joshua", "Emily",
)
LAST_NAMES = (
    "Anderson", "Baker", "Castillo", "Delgado", "Evans", "Fischer", "García", "Hernández", "Ibrahim",
    "Jackson", "Kim", "Lopez", "Müller", "Nguyen", "O'Brien", "Patel", "Quinn", "Rossi", "Schmidt",
    "Thompson", "Underwood", "Vasquez", "Walker", "Xu", "Yamamoto", "Zhang", "Okonkwo", "Novak", "Kowalski",
    "Johansson", "Dubois", "Moreau", "Silva", "Santos", "Pereira", "Haddad", "Nasser", "Cohen", "Levi",
    "Murphy", "Kelly", "Brennan", "Reyes", "Cruz", "Flores", "Rivera", "Gómez", "Peña", "Chavez", "Ortiz",
    "Brooks", "Coleman", "Hughes", "Price", "Foster", "Sanders", "Ross", "Bennett", "Wood", "Barnes",
    "Henderson", "Perry", "Powell", "Long", "Patterson", "Jenkins", "Sullivan", "Russell", "Van der Berg",
    "St. James",
)
AREA_CODES = ("312", "773", "630", "708", "847")

# theme -> (negative phrases, positive phrases); "{doc}" is replaced by a provider-ish reference
THEMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "wait_time": (
        ("Waited over an hour past my appointment time.", "The wait was 50 minutes and nobody told us why.",
         "Long wait in the lobby, again.", 'They said "just a few more minutes" four times.',
         "Sat in the exam room for 45 minutes.", "Esperé más de una hora."),
        ("No wait at all, I was seen right on time.", "Didn't have to wait long.",
         "In and out in 20 minutes.", "Hardly any wait."),
    ),
    "scheduling": (
        ("Couldn't get an appointment for three weeks.", "The online booking cancelled my slot.",
         "Had to reschedule twice.", "No same-day appointments available."),
        ("Easy to book online.", "Got a same-day appointment.", "Scheduling through the portal was simple."),
    ),
    "billing": (
        ("I was charged twice for the same visit.", "Got a surprise bill months later.",
         "Insurance denied the claim because of a coding error.", "The bill made no sense.",
         "Me cobraron dos veces."),
        ("Billing was clear.", "They verified my insurance ahead of time.", "No surprises on the bill."),
    ),
    "staff": (
        ("The front desk staff were rude.", "Receptionist ignored us.", "Staff seemed annoyed by questions."),
        ("Front desk staff were friendly.", "The nurses were kind and patient.", "Everyone was welcoming."),
    ),
    "provider_communication": (
        ("{doc} barely looked up from the computer.", "Nobody explained my results.",
         "{doc} rushed me out.", 'Was told "it\'s probably nothing" without an exam.'),
        ("{doc} listened and explained everything.", "{doc} took time to answer all my questions.",
         "{doc} es excelente, muy humano."),
    ),
    "clinical_outcome": (
        ("Still in pain after the visit.", "No better after six sessions.",
         "Ended up in the ER two days later."),
        ("Feeling much better.", "Finally pain-free.", "The treatment worked quickly."),
    ),
    "cleanliness": (
        ("The restroom was dirty.", "Exam room was not clean."),
        ("Very clean facility.", "Spotless waiting room."),
    ),
    "parking": (
        ("Parking is impossible.", "The garage was full and I was late."),
        ("Plenty of parking.", "Easy to park."),
    ),
    "phone_callbacks": (
        ("Nobody called me back.", "Left three messages, never got a callback.", "On hold for 40 minutes."),
        ("They called back the same day.", "Got my results by phone the next morning."),
    ),
    "cost": (
        ("Way too expensive.", "Out-of-pocket costs are too high.", "The price was more than quoted."),
        ("Reasonable prices.", "Affordable compared to other clinics."),
    ),
}
DOCS = ("The doctor", "Dr. Okafor", "Dr. Müller", "The PA", "The physical therapist", "Dr. Castillo",
        "The NP")
GENERIC_NEG = ("Not impressed.", "Will look for another clinic.", "Disappointing.")
GENERIC_POS = ("Great experience overall.", "Would recommend.", "Thank you!")
ODD_PREFIXES = ("=) ", "- ", "-- ", "+1 ", "@clinic ")
POOL_SIZE = 3_000


def ascii_fold(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z]", "", folded.lower())


def build_comment_pools(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pools of composed comments for detractors, passives and promoters."""
    rnd = random.Random(seed)
    names = list(THEMES)
    share_negative = (0.9, 0.5, 0.07)
    pools = []
    for neg_share in share_negative:
        pool = []
        for _ in range(POOL_SIZE):
            k = rnd.choices((1, 2, 3), weights=(55, 33, 12))[0]
            parts = []
            for theme in rnd.sample(names, k):
                neg, pos = THEMES[theme]
                phrase = rnd.choice(neg if rnd.random() < neg_share else pos)
                parts.append(phrase.format(doc=rnd.choice(DOCS)))
            if rnd.random() < 0.15:
                parts.append(rnd.choice(GENERIC_NEG if neg_share > 0.5 else GENERIC_POS))
            text = rnd.choice((" ", " ", " ", " ", "\n", "\n\n")).join(parts)
            r = rnd.random()
            if r < 0.04:
                text = text.lower()
            elif r < 0.06:
                text = rnd.choice(ODD_PREFIXES) + text
            pool.append(text)
        pools.append(np.array(pool, dtype=object))
    return pools[0], pools[1], pools[2]


def _nth_sunday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))


def day_offsets() -> np.ndarray:
    """UTC offset suffix per day for America/Chicago (times are 06:00-23:59, so one per day suffices)."""
    out = []
    for i in range(N_DAYS):
        d = START_DATE + timedelta(days=i)
        dst = _nth_sunday(d.year, 3, 2) <= d < _nth_sunday(d.year, 11, 1)
        out.append("-05:00" if dst else "-06:00")
    return np.array(out)


class Model:
    """The fixed world (locations, providers, score mix) a seed describes."""

    def __init__(self, seed: int) -> None:
        rng = np.random.default_rng([seed, 1])
        n_loc = len(LOCATIONS)
        self.provider_location = np.repeat(np.arange(n_loc), 6)  # 6 providers per location = 300
        self.provider_department = np.empty(300, dtype=np.int64)
        seen: set[str] = set()
        names = []
        for loc in range(n_loc):
            others = rng.choice(np.arange(1, len(DEPARTMENTS)), size=4, replace=False)
            depts = [0, *others.tolist(), 0]  # Primary Care gets two providers
            self.provider_department[loc * 6:(loc + 1) * 6] = depts
        for _ in range(300):
            while True:
                first = FIRST_NAMES[rng.integers(len(FIRST_NAMES))]
                name = f"Dr. {first} {LAST_NAMES[rng.integers(len(LAST_NAMES))]}"
                if name not in seen:
                    seen.add(name)
                    names.append(name)
                    break
        self.provider_names = np.array(names, dtype=object)
        volume = rng.lognormal(0.0, 0.5, 300) * np.where(self.provider_department == 0, 1.6, 1.0)
        self.provider_weights = volume / volume.sum()
        # Score distribution per provider: location quality + department + provider noise; ~25% detractors.
        loc_det = rng.uniform(0.10, 0.33, n_loc)
        dept_shift = rng.normal(0.0, 0.03, len(DEPARTMENTS))
        dept_shift[4] = 0.06  # urgent care
        det = np.clip(loc_det[self.provider_location] + dept_shift[self.provider_department]
                      + rng.normal(0, 0.03, 300), 0.04, 0.7)
        pas = np.full(300, 0.25)
        pro = 1.0 - det - pas
        det_shape = np.array([0.07, 0.03, 0.05, 0.07, 0.09, 0.26, 0.43])
        probs = np.concatenate([det[:, None] * det_shape, pas[:, None] * np.array([0.45, 0.55]),
                                pro[:, None] * np.array([0.42, 0.58])], axis=1)
        self.score_cdf = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
        self.score_cdf[:, -1] = 1.0
        # Response volume per day: fewer at weekends, growing ~30% over two years.
        weekday = np.array([(START_DATE + timedelta(days=i)).weekday() for i in range(N_DAYS)])
        weekday_weight = np.array([1.25, 1.2, 1.15, 1.1, 1.0, 0.55, 0.4])
        day_weight = weekday_weight[weekday] * np.linspace(0.85, 1.15, N_DAYS)
        self.day_cum = np.cumsum(day_weight)
        self.day_weight = day_weight
        self.day_offset = day_offsets()
        self.pools = build_comment_pools(seed)
        self.first_ascii = np.array([ascii_fold(n) for n in FIRST_NAMES], dtype=object)
        self.last_ascii = np.array([ascii_fold(n) for n in LAST_NAMES], dtype=object)
        self.first = np.array(FIRST_NAMES, dtype=object)
        self.last = np.array(LAST_NAMES, dtype=object)


def make_chunk(model: Model, rng: np.random.Generator, start: int, n: int, total: int) -> list[tuple]:
    idx = np.arange(start, start + n, dtype=np.int64)
    # Times: stratified positions along the weighted calendar -> sorted, weekday/growth-shaped.
    pos = (idx + rng.random(n)) / total * model.day_cum[-1]
    day = np.minimum(np.searchsorted(model.day_cum, pos, side="right"), N_DAYS - 1)
    prev = np.where(day > 0, model.day_cum[day - 1], 0.0)
    frac = np.clip((pos - prev) / model.day_weight[day], 0.0, 0.999999)
    seconds = 6 * 3600 + (frac * 18 * 3600).astype(np.int64)
    local = (np.datetime64(START_DATE.isoformat(), "s") + day.astype("timedelta64[D]")
             + seconds.astype("timedelta64[s]"))
    created = np.char.add(np.datetime_as_string(local, unit="s"), model.day_offset[day]).tolist()

    provider = rng.choice(300, size=n, p=model.provider_weights)
    loc = model.provider_location[provider]
    dept = model.provider_department[provider]
    u = rng.random(n)
    score = (u[:, None] > model.score_cdf[provider]).sum(axis=1)

    group = np.where(score <= 6, 0, np.where(score <= 8, 1, 2))
    has_comment = rng.random(n) < np.array([0.6, 0.35, 0.33])[group]
    pick = rng.integers(0, POOL_SIZE, n)
    comments = np.full(n, "", dtype=object)
    for g in range(3):
        m = has_comment & (group == g)
        comments[m] = model.pools[g][pick[m]]

    patient = loc * PATIENTS_PER_LOCATION + rng.integers(0, PATIENTS_PER_LOCATION, n)
    h = (patient.astype(np.uint64) * np.uint64(2654435761)) & np.uint64(0xFFFFFFFF)
    fi = (h % np.uint64(len(FIRST_NAMES))).astype(np.int64)
    li = ((h // np.uint64(len(FIRST_NAMES))) % np.uint64(len(LAST_NAMES))).astype(np.int64)
    area = ((h >> np.uint64(20)) % np.uint64(len(AREA_CODES))).astype(np.int64)
    no_phone = ((h >> np.uint64(8)) % np.uint64(10)) == 0
    names = (model.first[fi] + " " + model.last[li]).tolist()
    local_parts = (model.first_ascii[fi] + "." + model.last_ascii[li]).tolist()
    domains = np.where(patient % 3 == 0, "example.com", "example.org").tolist()
    pl = patient.tolist()
    emails = [f"{lp}{p}@{d}" for lp, p, d in zip(local_parts, pl, domains, strict=True)]
    areas = np.array(AREA_CODES, dtype=object)[area].tolist()
    phones = ["" if nop else f"+1{a}55501{p % 100:02d}" for a, p, nop in zip(areas, pl, no_phone.tolist(),
                                                                            strict=True)]
    pids = [f"P{1_000_000 + p}" for p in pl]
    rids = (70_000_000 + idx * 4 + rng.integers(0, 4, n)).tolist()

    return list(zip(
        rids, score.tolist(), comments.tolist(), created,
        np.array(LOCATIONS, dtype=object)[loc].tolist(), np.array(DEPARTMENTS, dtype=object)[dept].tolist(),
        model.provider_names[provider].tolist(), names, emails, phones, pids, strict=True,
    ))


def chunks(rows: int, seed: int):
    model = Model(seed)
    rng = np.random.default_rng([seed, 2])
    for start in range(0, rows, CHUNK_ROWS):
        yield make_chunk(model, rng, start, min(CHUNK_ROWS, rows - start), rows)


def write_csv(path: Path, rows: int, seed: int) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(HEADER)
        for chunk in chunks(rows, seed):
            w.writerows(chunk)


def write_xlsx(path: Path, rows: int, seed: int) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    fixed = datetime(*FIXED_ZIP_TIME)
    wb.properties.created = fixed
    ws = wb.create_sheet("Responses")
    ws.append(list(HEADER))
    for chunk in chunks(rows, seed):
        for row in chunk:
            row = tuple(None if v == "" else v for v in row)  # empty cells, not empty strings
            if row[2] is not None and row[2].startswith("="):  # text, not a formula
                cell = WriteOnlyCell(ws, value=row[2])
                cell.data_type = "s"
                row = (*row[:2], cell, *row[3:])
            ws.append(row)
    raw = io.BytesIO()
    wb.save(raw)
    # fixed zip timestamps and "modified" stamp: same seed -> same bytes
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            payload = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                stamp = fixed.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                payload = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, payload)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, payload)
    path.write_bytes(out.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="data rows to write (default 1000000)")
    parser.add_argument("--out", type=Path, required=True, help="output file")
    parser.add_argument("--format", choices=("csv", "xlsx"), default=None,
                        help="csv or xlsx (default: from the --out suffix, else csv)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    if args.rows < 0:
        parser.error("--rows must be >= 0")
    fmt = args.format or ("xlsx" if args.out.suffix.lower() == ".xlsx" else "csv")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    (write_xlsx if fmt == "xlsx" else write_csv)(args.out, args.rows, args.seed)
    size = args.out.stat().st_size
    print(f"wrote {args.rows} rows to {args.out} ({size / 1e6:.1f} MB, {size} bytes, {fmt}) "
          f"in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
