"""Generate the synthetic "Riverside Health" sample exports that the demo and the tests use.

    python sample_data/generate.py            # writes next to this file
    python sample_data/generate.py OUT_DIR    # writes into OUT_DIR (the tests use this)

Everything here is invented: patient and provider names are made up, e-mail addresses use the reserved
example.org / example.com domains, phone numbers use the fictional 555-0100..555-0199 block and IP addresses
the documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24).

The output is deterministic: a fixed seed, no clock, no hash ordering, and the XLSX zip is re-packed with
fixed timestamps, so running the script twice gives byte-identical files. Only the standard library, numpy
and openpyxl are used. See README.md next to this file for what each export contains and the patterns
planted in it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import openpyxl

SEED = 20261115

# ----------------------------------------------------------------------------------------------------
# Calendar: 16 weeks (Monday..Sunday) ending Sunday 2026-11-15, local time America/Chicago.
# ----------------------------------------------------------------------------------------------------
FIRST_MONDAY = date(2026, 7, 27)
N_WEEKS = 16
TIME_ZONE = "America/Chicago"


def week_start(week: int) -> date:
    """Monday of ``week`` (1-based)."""
    return FIRST_MONDAY + timedelta(days=7 * (week - 1))


def week_of(d: date | datetime) -> int:
    if isinstance(d, datetime):
        d = d.date()
    return (d - FIRST_MONDAY).days // 7 + 1


def _nth_sunday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    first_sunday = first + timedelta(days=(6 - first.weekday()) % 7)
    return first_sunday + timedelta(days=7 * (n - 1))


def chicago_utc_offset(local: datetime) -> timedelta:
    """UTC offset of a naive America/Chicago wall time (US rules since 2007).

    Responses are only generated between 06:00 and 23:59, so the ambiguous 01:00-02:00 hour never occurs.
    """
    start = datetime.combine(_nth_sunday(local.year, 3, 2), datetime.min.time()).replace(hour=2)
    end = datetime.combine(_nth_sunday(local.year, 11, 1), datetime.min.time()).replace(hour=2)
    return timedelta(hours=-5) if start <= local < end else timedelta(hours=-6)


def iso_with_offset(local: datetime) -> str:
    off = chicago_utc_offset(local)
    hours = int(off.total_seconds()) // 3600
    return local.strftime("%Y-%m-%dT%H:%M:%S") + f"{'-' if hours < 0 else '+'}{abs(hours):02d}:00"


# ----------------------------------------------------------------------------------------------------
# The clinic group
# ----------------------------------------------------------------------------------------------------
CLINIC_GROUP = "Riverside Health"
LOCATIONS = ("Downtown", "Eastgate", "Northside", "Westview")

# location -> department -> (share of that location's visits, providers)
CLINICS: dict[str, dict[str, tuple[float, tuple[str, ...]]]] = {
    "Downtown": {
        "Primary Care": (0.50, ("Dr. Amara Okafor", "Dr. Benjamin Hart")),
        "Dermatology": (0.20, ("Dr. Priya Raman",)),
        "Urgent Care": (0.30, ("Dr. Marcus Webb",)),
    },
    "Eastgate": {
        "Primary Care": (0.50, ("Dr. José Castillo",)),
        "Pediatrics": (0.25, ("Dr. Helen Park",)),
        "Physical Therapy": (0.25, ("Jordan Ellis, DPT",)),
    },
    "Northside": {
        "Primary Care": (0.45, ("Dr. Thomas Nguyen",)),
        "Pediatrics": (0.25, ("Dr. Grace Adeyemi",)),
        "Urgent Care": (0.30, ("Dr. Lucía Fernández",)),
    },
    "Westview": {
        "Primary Care": (0.50, ("Dr. Nadia Haddad",)),
        "Physical Therapy": (0.25, ("Sam Rivera, DPT",)),
        "Dermatology": (0.25, ("Dr. Katrin Müller",)),
    },
}

# How a comment refers to a provider ("Dr. Okafor", "Jordan").
PROVIDER_SHORT = {
    "Dr. Amara Okafor": "Dr. Okafor",
    "Dr. Benjamin Hart": "Dr. Hart",
    "Dr. Priya Raman": "Dr. Raman",
    "Dr. Marcus Webb": "Dr. Webb",
    "Dr. José Castillo": "Dr. Castillo",
    "Dr. Helen Park": "Dr. Park",
    "Jordan Ellis, DPT": "Jordan",
    "Dr. Thomas Nguyen": "Dr. Nguyen",
    "Dr. Grace Adeyemi": "Dr. Adeyemi",
    "Dr. Lucía Fernández": "Dr. Fernández",
    "Dr. Nadia Haddad": "Dr. Haddad",
    "Sam Rivera, DPT": "Sam",
    "Dr. Katrin Müller": "Dr. Müller",
}
PROVIDER_FULL_NO_CREDENTIAL = {p: p.split(",")[0] for p in PROVIDER_SHORT}

# Share of (detractors, passives, promoters) per location: Downtown strong, Westview weak.
LOCATION_MIX = {
    "Downtown": (0.09, 0.24, 0.67),
    "Eastgate": (0.16, 0.31, 0.53),
    "Northside": (0.20, 0.33, 0.47),
    "Westview": (0.33, 0.33, 0.34),
}
DEPARTMENT_DETRACTOR_SHIFT = {"Urgent Care": 0.07, "Physical Therapy": -0.04, "Pediatrics": -0.02}
DETRACTOR_SHAPE = np.array([0.07, 0.03, 0.05, 0.07, 0.09, 0.26, 0.43])  # scores 0..6
PASSIVE_SHAPE = np.array([0.45, 0.55])  # 7, 8
PROMOTER_SHAPE = np.array([0.42, 0.58])  # 9, 10

# Weekday weights (Mon..Sun) and hour weights (06..23) of when people answer.
WEEKDAY_WEIGHTS = np.array([1.25, 1.2, 1.15, 1.1, 1.0, 0.6, 0.45])
HOUR_WEIGHTS = np.array([1, 2, 4, 6, 7, 7, 6, 6, 6, 5, 5, 5, 6, 7, 7, 6, 4, 2], dtype=float)  # 06..23

# ----------------------------------------------------------------------------------------------------
# Synthetic people
# ----------------------------------------------------------------------------------------------------
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
EMAIL_DOMAINS = ("example.org", "example.com")
IP_PREFIXES = ("192.0.2", "198.51.100", "203.0.113")


@dataclass
class Patient:
    patient_id: str
    first: str
    last: str
    email: str
    phone_digits: str  # 10 digits, or "" when the clinic has no phone on file

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


@dataclass
class Response:
    platform: str  # qualtrics | surveymonkey | delighted
    location: str
    department: str
    provider: str
    start: datetime  # local wall time, America/Chicago
    duration: int  # seconds
    score: int | None
    comment: str = ""
    lang: str = "EN"
    patient: Patient | None = None  # None: anonymous link / web collector
    status: str = "IP Address"  # Qualtrics Status
    finished: bool = True
    progress: int = 100
    recorded: datetime | None = None
    ip: str = ""
    lat: float = 0.0
    lon: float = 0.0
    channel: str = "email"
    tag: str = ""  # why a planted row exists (for the summary); never written to a file
    rid: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.duration)


def ascii_fold(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z]", "", folded.lower())


def group_of(score: int | None) -> str:
    if score is None:
        return ""
    return "Detractor" if score <= 6 else ("Passive" if score <= 8 else "Promoter")


# ----------------------------------------------------------------------------------------------------
# Comment vocabulary. Keys: theme -> polarity ("neg"/"pos") -> language -> phrases.
# Billing words (bill, billing, charged, insurance, copay, factura, cobro, seguro) appear ONLY in the billing
# theme so that the planted Eastgate billing spike can be counted exactly (see BILLING_RE).
# ----------------------------------------------------------------------------------------------------
BILLING_RE = re.compile(
    r"\b(bill|bills|billed|billing|charged|charges?|insurance|copay|invoice|factura\w*|cobr\w*|seguro)\b",
    re.IGNORECASE,
)

PHRASES: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "wait_time": {
        "neg": {
            "EN": (
                "Waited over an hour past my appointment time.",
                "The wait was 50 minutes and nobody told us why.",
                "Long wait in the lobby, again.",
                "We sat in the exam room for 45 minutes before anyone came in.",
                'Front desk said "the doctor is running a little late" and then nothing for an hour.',
                "Way too long a wait for a 10 minute visit.",
                "Wait times are ridiculous. Never on schedule.",
            ),
            "ES": (
                "Esperé más de una hora después de mi cita.",
                "La espera fue demasiado larga y nadie nos explicó nada.",
            ),
        },
        "pos": {
            "EN": (
                "No wait at all, I was seen right on time.",
                "Didn't have to wait long.",
                "In and out in under 30 minutes.",
                "Barely waited, which never happens at a doctor's office.",
                "Hardly any wait even though they were busy.",
            ),
            "ES": ("No tuve que esperar nada.", "Me atendieron a tiempo, sin espera."),
        },
    },
    "scheduling": {
        "neg": {
            "EN": (
                "Couldn't get an appointment for three weeks.",
                "The online booking kept cancelling my slot.",
                "Had to reschedule twice because they double-booked the provider.",
                "No same-day appointments even when my kid was sick.",
            ),
            "ES": ("No pude conseguir cita en tres semanas.", "Cancelaron mi cita sin avisar."),
        },
        "pos": {
            "EN": (
                "Easy to book online and got a same-day appointment.",
                "Scheduling was quick and simple.",
                "Loved being able to book through the portal.",
            ),
            "ES": ("Fue fácil hacer la cita por internet.",),
        },
    },
    "billing": {
        "neg": {
            "EN": (
                "The bill was confusing and nobody could explain the charges.",
                "Insurance was billed wrong and I had to sort it out myself.",
                "Still waiting for a corrected bill after two months.",
                "They quoted one copay at check-in and billed me another.",
            ),
            "ES": ("La factura llegó con errores.", "Me cobraron un copago que no debía."),
        },
        "pos": {
            "EN": (
                "Billing was clear and they checked my insurance ahead of time.",
                "No surprises on the bill, thank you.",
            ),
            "ES": ("Revisaron mi seguro antes de la cita.",),
        },
    },
    "staff": {
        "neg": {
            "EN": (
                "The front desk staff were rude and dismissive.",
                "Receptionist was on her phone and ignored us.",
                "Nobody at check-in even said hello.",
                "Staff seemed annoyed that I asked questions.",
            ),
            "ES": ("La recepcionista fue muy grosera.", "El personal no fue amable."),
        },
        "pos": {
            "EN": (
                "Front desk staff were friendly and welcoming.",
                "The nurses were kind and patient with my son.",
                "Everyone from check-in to checkout was lovely.",
                "The MA was wonderful and made me feel at ease.",
            ),
            "ES": ("El personal de recepción fue muy amable.", "Las enfermeras fueron muy atentas."),
        },
    },
    "provider": {
        "neg": {
            "EN": (
                "The doctor barely looked up from the computer.",
                "{short} rushed through the visit and didn't answer my questions.",
                "Nobody explained my test results.",
                '{short} said "we\'ll see" and that was the whole plan.',
                "Felt like I was not being listened to.",
            ),
            "ES": ("El doctor no me explicó nada.", "{short} no escuchó mis preocupaciones."),
        },
        "pos": {
            "EN": (
                "{short} listened and explained everything clearly.",
                "{short} took time to answer all my questions.",
                "Best provider I've had, really explains things.",
                "{full} is the reason we keep coming back.",
                '{short} asked "what else is worrying you?" and actually meant it.',
            ),
            "ES": ("{full} me explicó todo con paciencia.", "{short} es excelente, muy humano."),
        },
    },
    "outcome": {
        "neg": {
            "EN": (
                "Still in pain a week later and no follow-up.",
                "My symptoms are no better after the visit.",
                "Was told it was nothing and ended up in the ER two days later.",
            ),
            "ES": ("Sigo con el mismo dolor.", "No mejoré nada con el tratamiento."),
        },
        "pos": {
            "EN": (
                "Feeling much better, the treatment worked.",
                "Finally pain-free after months.",
                "Got the right diagnosis on the first visit.",
            ),
            "ES": ("Ya no tengo dolor, gracias.", "Me siento mucho mejor."),
        },
    },
    "cleanliness": {
        "neg": {
            "EN": ("The restroom was dirty.", "Exam room was not clean, used paper still on the table."),
            "ES": ("El baño estaba sucio.",),
        },
        "pos": {
            "EN": ("Very clean facility.", "Spotless waiting room."),
            "ES": ("La clínica estaba muy limpia.",),
        },
    },
    "parking": {
        "neg": {
            "EN": (
                "Parking is impossible, had to circle for 20 minutes.",
                "The parking garage was full and I was late.",
            ),
            "ES": ("No había estacionamiento; manejé desde el cañón y llegué tarde.",),
        },
        "pos": {
            "EN": ("Plenty of parking, easy to find.", "Parking was easy for once."),
            "ES": ("Fue fácil estacionar.",),
        },
    },
    "phone": {
        "neg": {
            "EN": (
                "Nobody called me back about my lab results.",
                "Left three messages, never got a callback.",
                "On hold for 40 minutes when I called.",
                "The phone line just rings and rings.",
            ),
            "ES": ("Nadie me devolvió la llamada.", "Llamé tres veces y nadie contestó."),
        },
        "pos": {
            "EN": ("The nurse called back the same afternoon.", "Got a call with my results the next day."),
            "ES": ("Me llamaron el mismo día con los resultados.",),
        },
    },
    "cost": {
        "neg": {
            "EN": (
                "Way too expensive for a ten-minute visit.",
                "The price of the visit was more than I expected.",
                "Out-of-pocket costs are too high.",
            ),
            "ES": ("Es demasiado caro.",),
        },
        "pos": {
            "EN": ("Reasonable prices compared to other clinics.",),
            "ES": ("Precios razonables.",),
        },
    },
}
OUTCOME_BY_DEPARTMENT = {
    "Physical Therapy": {
        "neg": ("My back pain is no better after six sessions.", "Knee still hurts, exercises did nothing."),
        "pos": ("My knee is finally pain-free thanks to the PT team.", "I can walk without a cane again!"),
    },
    "Dermatology": {
        "neg": ("The rash came back a week later.",),
        "pos": ("The rash cleared up in a week.", "Mole check was quick and thorough."),
    },
    "Pediatrics": {
        "neg": ("My daughter still has a fever and nobody followed up.",),
        "pos": ("My son actually likes coming here now.", "Great with my toddler, very gentle."),
    },
}
GENERIC = {
    "neg": {
        "EN": ("Not impressed.", "Will look for another clinic.", "Disappointing."),
        "ES": ("Muy decepcionante.",),
    },
    "pos": {
        "EN": ("Great experience overall.", "Would recommend to anyone.", "Everyone was wonderful.",
               "Thank you!"),
        "ES": ("Excelente servicio.", "¡Muchas gracias!"),
    },
}
SHORT_COMMENTS = ("N/A", "ok", "Good", "fine", "na")

THEMES = tuple(PHRASES)
THEME_WEIGHTS = {
    # wait, sched, billing, staff, provider, outcome, clean, parking, phone, cost
    "Detractor": (0.22, 0.12, 0.10, 0.14, 0.12, 0.09, 0.04, 0.05, 0.08, 0.04),
    "Passive": (0.20, 0.12, 0.06, 0.14, 0.16, 0.10, 0.04, 0.08, 0.06, 0.04),
    "Promoter": (0.14, 0.08, 0.01, 0.22, 0.30, 0.14, 0.06, 0.02, 0.02, 0.01),
}
NEGATIVE_SHARE = {"Detractor": 0.9, "Passive": 0.5, "Promoter": 0.08}


class Generator:
    def __init__(self, seed: int = SEED) -> None:
        self.rng = np.random.default_rng(seed)
        self.patient_ids: set[str] = set()
        self.emails: set[str] = set()
        self.response_ids: set[str] = set()

    # -- small helpers --------------------------------------------------------------------------------
    def pick(self, seq):
        return seq[int(self.rng.integers(len(seq)))]

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def new_patient(self) -> Patient:
        rng = self.rng
        first, last = self.pick(FIRST_NAMES), self.pick(LAST_NAMES)
        while True:
            pid = f"RH-{int(rng.integers(100000, 1000000)):06d}"
            if pid not in self.patient_ids:
                self.patient_ids.add(pid)
                break
        f, lname = ascii_fold(first), ascii_fold(last)
        domain = self.pick(EMAIL_DOMAINS)
        style = int(rng.integers(4))
        number = int(rng.integers(1, 99))
        local = (f"{f}.{lname}", f"{f[0]}{lname}", f"{f}{lname}{number}", f"{lname}.{f}")[style]
        email = f"{local}@{domain}"
        n = 2
        while email in self.emails:
            email = f"{local}{n}@{domain}"
            n += 1
        self.emails.add(email)
        phone = "" if self.chance(0.12) else f"{self.pick(AREA_CODES)}55501{int(rng.integers(100)):02d}"
        return Patient(pid, first, last, email, phone)

    def response_time(self, week: int, weekday: int | None = None, hour: int | None = None) -> datetime:
        rng = self.rng
        if weekday is None:
            weekday = int(rng.choice(7, p=WEEKDAY_WEIGHTS / WEEKDAY_WEIGHTS.sum()))
        if hour is None:
            hour = 6 + int(rng.choice(18, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum()))
        day = week_start(week) + timedelta(days=weekday)
        return datetime(day.year, day.month, day.day, hour, int(rng.integers(60)), int(rng.integers(60)))

    def department_for(self, location: str) -> str:
        depts = list(CLINICS[location])
        weights = np.array([CLINICS[location][d][0] for d in depts])
        return depts[int(self.rng.choice(len(depts), p=weights / weights.sum()))]

    def score_for(self, location: str, department: str) -> int:
        det, pas, pro = LOCATION_MIX[location]
        shift = DEPARTMENT_DETRACTOR_SHIFT.get(department, 0.0)
        det, pro = det + shift, pro - shift
        probs = np.concatenate([det * DETRACTOR_SHAPE, pas * PASSIVE_SHAPE, pro * PROMOTER_SHAPE])
        return int(self.rng.choice(11, p=probs / probs.sum()))

    def comment_for(self, score: int, lang: str, department: str, provider: str, allow_billing: bool) -> str:
        rng = self.rng
        group = group_of(score)
        if self.chance(0.03):
            return self.pick(SHORT_COMMENTS)
        weights = np.array(THEME_WEIGHTS[group])
        if not allow_billing:
            weights[THEMES.index("billing")] = 0.0
        n_themes = int(rng.choice([1, 2, 3], p=[0.55, 0.33, 0.12]))
        themes = [THEMES[int(i)] for i in rng.choice(len(THEMES), size=n_themes, replace=False,
                                                       p=weights / weights.sum())]
        parts = []
        for theme in themes:
            polarity = "neg" if self.chance(NEGATIVE_SHARE[group]) else "pos"
            by_department = OUTCOME_BY_DEPARTMENT.get(department) if lang == "EN" else None
            if theme == "outcome" and by_department and self.chance(0.7):
                phrase = self.pick(by_department[polarity])
            else:
                phrase = self.pick(PHRASES[theme][polarity][lang])
            short, full = PROVIDER_SHORT[provider], PROVIDER_FULL_NO_CREDENTIAL[provider]
            parts.append(phrase.format(short=short, full=full))
        if group == "Promoter" and self.chance(0.3):
            parts.append(self.pick(GENERIC["pos"][lang]))
        elif group == "Detractor" and self.chance(0.2):
            parts.append(self.pick(GENERIC["neg"][lang]))
        joiner = self.pick((" ", " ", " ", " ", " ", " ", "\n", "\n", "\n\n", "  "))
        text = joiner.join(parts)
        if self.chance(0.05):
            text = text.lower()
        return text

    def ip_and_location(self) -> tuple[str, float, float]:
        rng = self.rng
        ip = f"{self.pick(IP_PREFIXES)}.{int(rng.integers(1, 255))}"
        lat = float(np.float32(41.45 + 0.75 * rng.random()))
        lon = float(np.float32(-88.35 + 0.85 * rng.random()))
        return ip, lat, lon

    def new_rid(self, make) -> str:
        while True:
            rid = make()
            if rid not in self.response_ids:
                self.response_ids.add(rid)
                return rid

    # -- one response ---------------------------------------------------------------------------------
    def response(
        self,
        platform: str,
        location: str,
        week: int,
        *,
        weekday: int | None = None,
        hour: int | None = None,
        start: datetime | None = None,
        department: str | None = None,
        provider: str | None = None,
        score: int | None = -1,
        comment: str | None = None,
        lang: str | None = None,
        patient: Patient | None | bool = True,
        tag: str = "",
    ) -> Response:
        """A response with random parts; any keyword given fixes that part (used for the planted rows)."""
        rng = self.rng
        department = department or self.department_for(location)
        provider = provider or self.pick(CLINICS[location][department][1])
        if start is None:
            start = self.response_time(week, weekday, hour)
        if score == -1:
            score = self.score_for(location, department)
        if lang is None:
            lang = "ES" if self.chance(0.10) else "EN"
        if comment is None:
            p_comment = {"Detractor": 0.62, "Passive": 0.36, "Promoter": 0.33}[group_of(score)]
            if self.chance(p_comment):
                # Billing stays out of random Eastgate detractor comments and out of Eastgate's last two
                # weeks, so the planted billing rows are the only ones there (the spike is exact).
                allow_billing = not (location == "Eastgate" and (score <= 6 or week >= 15))
                comment = self.comment_for(score, lang, department, provider, allow_billing)
            else:
                comment = ""
        if patient is True:
            patient = self.new_patient()
        elif patient is False:
            patient = None
        duration = int(np.clip(rng.lognormal(4.1, 0.6), 12, 1500)) + (len(comment) // 3 if comment else 0)
        ip, lat, lon = self.ip_and_location()
        return Response(
            platform=platform, location=location, department=department, provider=provider, start=start,
            duration=duration, score=score, comment=comment, lang=lang, patient=patient,
            recorded=start + timedelta(seconds=duration + int(rng.integers(0, 3))),
            ip=ip, lat=lat, lon=lon, tag=tag,
        )


# ----------------------------------------------------------------------------------------------------
# Building the three streams and the planted patterns
# ----------------------------------------------------------------------------------------------------
QUALTRICS_LOCATIONS = ("Downtown", "Eastgate")
QUALTRICS_WEEKLY = {"Downtown": 34, "Eastgate": 30}
SURVEYMONKEY_LOCATIONS = ("Northside", "Westview")
SURVEYMONKEY_WEEKLY = {"Northside": 23, "Westview": 22}
DELIGHTED_WEEKS = range(12, 17)
DELIGHTED_WEEKLY = {"Downtown": 31, "Eastgate": 28, "Northside": 29, "Westview": 27}

# Qualtrics pulls: the "big" export pulled Monday 2026-11-02 (weeks 1-14) and the "last 28 days" pull of
# Monday 2026-11-16 (weeks 13-16). Qualtrics selects by RecordedDate.
QUALTRICS_EXPORT_END = datetime(2026, 11, 2, 0, 0, 0)
WEEK16_PULL_START = datetime.combine(week_start(13), datetime.min.time())
WEEK16_PULL_END = datetime(2026, 11, 16, 0, 0, 0)

# Planted Eastgate billing complaints: (platform, week, weekday, hour, score, comment, lang)
BILLING_PLANTED = (
    ("qualtrics", 2, 1, 10, 5, "The bill I got did not match what the front desk told me.", "EN"),
    ("qualtrics", 5, 3, 19, 6, "Billing took three calls to fix a simple error.", "EN"),
    ("qualtrics", 9, 0, 13, 4, "Insurance paperwork was lost, had to resubmit everything.", "EN"),
    ("qualtrics", 12, 2, 18, 5, "Copay was higher than last time and nobody could tell me why.", "EN"),
    ("delighted", 15, 2, 11, 4, "Got billed for a visit I cancelled.", "EN"),
    # --- final week 2026-11-09..15: the emerging issue ---
    ("qualtrics", 16, 0, 9, 1, "I was charged twice for the same visit and nobody at the front desk could "
                               "explain it.", "EN"),
    ("qualtrics", 16, 0, 20, 0, "Got a surprise bill for $480 weeks after my appointment.\n"
                                'I was told it was "fully covered".', "EN"),
    ("qualtrics", 16, 2, 12, 2, "Insurance denied the claim because the office sent the wrong code. "
                                "Three calls later it is still not fixed.", "EN"),
    ("qualtrics", 16, 3, 17, 3, "Me cobraron dos veces la consulta y nadie me da respuesta. "
                                "¡Qué desastre!", "ES"),
    ("qualtrics", 16, 4, 8, 2, "Charged twice for my copay. Call me at 773-555-0163 before I dispute "
                               "it with my card company.", "EN"),
    ("delighted", 16, 1, 15, 1, "SURPRISE BILL again!! Second time this year.\n\nPlease fix your billing "
                                "system.", "EN"),
    ("delighted", 16, 5, 10, 4, "insurance denied - they said the clinic never sent the "
                                "pre-authorization", "EN"),
)

# Comments that a spreadsheet would run as a formula: (platform, location, week, score, comment)
FORMULA_PLANTED = (
    ("qualtrics", "Downtown", 3, 10, "=) Everyone was so nice to my mom."),
    ("qualtrics", "Eastgate", 6, 2, "-- Waited 90 minutes past my appointment time. Never again."),
    ("qualtrics", "Downtown", 10, 7, '=HYPERLINK("http://example.com/claim","Click for details")'),
    ("qualtrics", "Eastgate", 14, 3, "- rude receptionist\n- no callback for 3 days\n- parking full"),
    ("surveymonkey", "Westview", 4, 10, "+1 for Sam Rivera, he is amazing"),
    ("surveymonkey", "Westview", 9, 2, "=(  long wait again"),
    ("surveymonkey", "Northside", 13, 8, "-5 for the wait, +10 for Dr. Nguyen"),
    ("delighted", "Northside", 13, 4, "@frontdesk please pick up the phone!!"),
    ("delighted", "Downtown", 15, 5, "==> Nobody told me the lab is closed on Saturdays."),
)

# Comments with contact details in them (redaction demos): (platform, location, week, score, comment, lang)
PII_PLANTED = (
    ("qualtrics", "Eastgate", 7, 2, "Nobody called me back about my MRI results. Please call me at "
                                    "(312) 555-0178, I have been waiting two weeks.", "EN"),
    ("qualtrics", "Downtown", 11, 6, "Front desk was rude on the phone. You can reach me at my work email "
                                     "dana.whitfield@example.com if anyone cares.", "EN"),
    ("surveymonkey", "Westview", 6, 1, "Left 3 voicemails. My cell is 630.555.0119 - someone please call!!",
     "EN"),
    ("surveymonkey", "Northside", 10, 5, "Send the forms to m.gomez@example.org instead, the portal never "
                                         "works.", "EN"),
    ("delighted", "Westview", 14, 3, "Still in pain after my session and nobody followed up. Call "
                                     "(847) 555 0150 or write to k.kowalski@example.com", "EN"),
    ("delighted", "Northside", 16, 2, "Llámenme al +1 708 555 0131, nadie me devolvió la llamada.", "ES"),
)

# Patients who answer twice:
# (first platform, location, week, score, comment, second platform, week, score, comment)
REPEAT_PLANTED = (
    ("qualtrics", "Eastgate", 3, 2, "Waited almost two hours with a sick kid. Unacceptable.",
     "qualtrics", 9, 10, "Much better this time, no wait at all and the nurse remembered us."),
    ("qualtrics", "Downtown", 6, 4, "Left three messages about a refill, never got a callback.",
     "qualtrics", 11, 9, "Thank you for calling me back so quickly this time."),
    ("qualtrics", "Eastgate", 13, 3, "The PT exercises made my shoulder worse and nobody followed up.",
     "qualtrics", 16, 10, "Jordan adjusted my plan and I have full range of motion again!"),
    ("qualtrics", "Downtown", 8, 3, "Dermatology appointment was cancelled the morning of, no explanation.",
     "delighted", 14, 9, "Rescheduled quickly and Dr. Raman was great. Much better experience."),
    ("surveymonkey", "Westview", 4, 3, "Dr. Müller was running 80 minutes late.",
     "surveymonkey", 12, 9, "On time today, and Dr. Müller explained the biopsy results clearly."),
    ("surveymonkey", "Northside", 7, 1, "Urgent care sent me home and I ended up in the ER.",
     "surveymonkey", 15, 10, "Dr. Fernández followed up personally. I am very grateful."),
    ("delighted", "Northside", 12, 5, "Front desk lost my paperwork.",
     "delighted", 16, 10, "Everything was ready when I arrived, great job."),
    # not recoveries: a loyal promoter and a patient who got worse
    ("qualtrics", "Downtown", 2, 10, "Dr. Okafor is the best!",
     "qualtrics", 12, 10, "Dr. Okafor is still the best."),
    ("delighted", "Westview", 12, 8, "",
     "delighted", 15, 2, "Physical therapy is so understaffed now. Sessions keep getting cut short."),
)
REPEAT_CARE = {  # index -> (department, provider); the rest see a random Primary Care provider
    0: ("Pediatrics", None), 2: ("Physical Therapy", None), 3: ("Dermatology", None),
    4: ("Dermatology", None), 5: ("Urgent Care", None), 7: ("Primary Care", "Dr. Amara Okafor"),
    8: ("Physical Therapy", None),
}

# Rows that sit on a week or time-zone edge: (platform, location, local start, score, comment)
BOUNDARY_PLANTED = (
    # Sunday evening of the final week: local 2026-11-15, UTC already Monday 2026-11-16
    ("delighted", "Westview", datetime(2026, 11, 15, 23, 41, 7), 9, "Quick and friendly, thanks!"),
    ("qualtrics", "Downtown", datetime(2026, 11, 15, 23, 52, 10), 10, ""),
    # Sunday evening of week 15: local week 15, UTC week 16
    ("delighted", "Eastgate", datetime(2026, 11, 8, 23, 20, 0), 7, "Fine visit, long drive."),
    # DST ended 2026-11-01 02:00: the same Sunday morning is -06:00, the evening before -05:00
    ("delighted", "Northside", datetime(2026, 10, 31, 22, 10, 45), 8, ""),
    ("delighted", "Northside", datetime(2026, 11, 1, 6, 5, 30), 9, ""),
)


def build(seed: int = SEED) -> dict[str, list[Response]]:
    g = Generator(seed)
    rng = g.rng
    streams: dict[str, list[Response]] = {"qualtrics": [], "surveymonkey": [], "delighted": []}

    # Random background responses.
    for week in range(1, N_WEEKS + 1):
        for loc in QUALTRICS_LOCATIONS:
            for _ in range(int(rng.poisson(QUALTRICS_WEEKLY[loc]))):
                streams["qualtrics"].append(g.response("qualtrics", loc, week))
        for loc in SURVEYMONKEY_LOCATIONS:
            for _ in range(int(rng.poisson(SURVEYMONKEY_WEEKLY[loc]))):
                streams["surveymonkey"].append(g.response("surveymonkey", loc, week))
        if week in DELIGHTED_WEEKS:
            for loc in LOCATIONS:
                for _ in range(int(rng.poisson(DELIGHTED_WEEKLY[loc]))):
                    streams["delighted"].append(g.response("delighted", loc, week))

    # Qualtrics: anonymous-link respondents and ~5% partial responses.
    for r in streams["qualtrics"]:
        if g.chance(0.07):
            r.patient, r.channel = None, "anonymous"
        if g.chance(0.05):
            r.finished, r.score, r.comment = False, None, ""
            r.progress = int(rng.choice([0, 0, 5, 12, 33, 50]))
            r.duration = int(rng.integers(4, 90))
            # Qualtrics closes an abandoned session after one week and records it then.
            r.recorded = r.end + timedelta(days=7)
    # SurveyMonkey: web-link collector respondents carry no contact data; a few skipped the NPS question.
    for r in streams["surveymonkey"]:
        if g.chance(0.15):
            r.patient, r.channel = None, "weblink"
        if g.chance(0.015):
            r.score, r.comment = None, ""

    # Planted: Eastgate billing complaints.
    for platform, week, weekday, hour, score, comment, lang in BILLING_PLANTED:
        streams[platform].append(g.response(platform, "Eastgate", week, weekday=weekday, hour=hour,
                                            score=score, comment=comment, lang=lang, tag="billing"))
    # Planted: formula-like and contact-detail comments.
    for platform, loc, week, score, comment in FORMULA_PLANTED:
        streams[platform].append(g.response(platform, loc, week, score=score, comment=comment, tag="formula"))
    for platform, loc, week, score, comment, lang in PII_PLANTED:
        streams[platform].append(g.response(platform, loc, week, score=score, comment=comment, lang=lang,
                                            tag="pii"))
    # Planted: patients answering twice.
    for i, (p1, loc, w1, s1, c1, p2, w2, s2, c2) in enumerate(REPEAT_PLANTED):
        patient = g.new_patient()
        dept, provider = REPEAT_CARE.get(i, ("Primary Care", None))
        provider = provider or g.pick(CLINICS[loc][dept][1])
        tag = "recovered" if s1 <= 6 and s2 >= 9 else "repeat"
        same = dict(department=dept, provider=provider, lang="EN", patient=patient)
        first = g.response(p1, loc, w1, score=s1, comment=c1, tag=tag + "-1", **same)
        second = g.response(p2, loc, w2, score=s2, comment=c2, tag=tag + "-2", **same)
        streams[p1].append(first)
        streams[p2].append(second)
    # Planted: week / time-zone edge rows.
    for platform, loc, start, score, comment in BOUNDARY_PLANTED:
        r = g.response(platform, loc, week_of(start), start=start, score=score, comment=comment, lang="EN",
                       tag="boundary")
        r.duration = 41  # finishes (and is recorded) before midnight
        r.recorded = r.end + timedelta(seconds=1)
        streams[platform].append(r)
    # Qualtrics: survey previews by staff and one spam response.
    for start, clinic, score, comment in (
        (datetime(2026, 7, 27, 8, 2, 11), "", 10, "test"),
        (datetime(2026, 7, 27, 8, 9, 40), "Downtown", 0, "testing detractor path - ignore"),
        (datetime(2026, 10, 20, 16, 31, 5), "Eastgate", 6, "preview after editing Q2 wording"),
    ):
        r = g.response("qualtrics", clinic or "Downtown", week_of(start), start=start, score=score,
                       comment=comment, lang="EN", patient=False, tag="preview")
        r.status, r.channel, r.duration = "Survey Preview", "preview", 25
        r.recorded = r.end
        r.extra["clinic_blank"] = not clinic
        streams["qualtrics"].append(r)
    spam = g.response("qualtrics", "Eastgate", 8, start=datetime(2026, 9, 20, 3, 14, 9), score=10, lang="EN",
                      patient=False,
                      comment="Best prices on meds!!! visit http://cheap-meds.example.net now", tag="spam")
    spam.status, spam.channel, spam.duration = "Spam", "anonymous", 3
    spam.recorded = spam.end
    streams["qualtrics"].append(spam)

    # Identifiers, in time order per platform.
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    streams["qualtrics"].sort(key=lambda r: (r.recorded, r.start))
    for r in streams["qualtrics"]:
        r.rid = g.new_rid(lambda: "R_" + "".join(alphabet[int(i)] for i in rng.integers(0, 62, 15)))
    streams["surveymonkey"].sort(key=lambda r: r.start)
    sm_id = 114_208_330_000
    for r in streams["surveymonkey"]:
        sm_id += int(rng.integers(40, 9000))
        r.rid = str(sm_id)
    streams["delighted"].sort(key=lambda r: r.start)
    d_id = 58_310_000
    for r in streams["delighted"]:
        d_id += int(rng.integers(1, 40))
        r.rid = str(d_id)
    return streams


# ----------------------------------------------------------------------------------------------------
# Writers
# ----------------------------------------------------------------------------------------------------
NPS_QUESTION_QUALTRICS = (
    "How likely is it that you would recommend Riverside Health to a friend or family member?"
)
QUALTRICS_COLUMNS = (
    # (field name, question text row, ImportId JSON)
    ("StartDate", "Start Date", {"ImportId": "startDate", "timeZone": TIME_ZONE}),
    ("EndDate", "End Date", {"ImportId": "endDate", "timeZone": TIME_ZONE}),
    ("Status", "Response Type", {"ImportId": "status"}),
    ("IPAddress", "IP Address", {"ImportId": "ipAddress"}),
    ("Progress", "Progress", {"ImportId": "progress"}),
    ("Duration (in seconds)", "Duration (in seconds)", {"ImportId": "duration"}),
    ("Finished", "Finished", {"ImportId": "finished"}),
    ("RecordedDate", "Recorded Date", {"ImportId": "recordedDate", "timeZone": TIME_ZONE}),
    ("ResponseId", "Response ID", {"ImportId": "_recordId"}),
    ("RecipientLastName", "Recipient Last Name", {"ImportId": "recipientLastName"}),
    ("RecipientFirstName", "Recipient First Name", {"ImportId": "recipientFirstName"}),
    ("RecipientEmail", "Recipient Email", {"ImportId": "recipientEmail"}),
    ("ExternalReference", "External Data Reference", {"ImportId": "externalDataReference"}),
    ("LocationLatitude", "Location Latitude", {"ImportId": "locationLatitude"}),
    ("LocationLongitude", "Location Longitude", {"ImportId": "locationLongitude"}),
    ("DistributionChannel", "Distribution Channel", {"ImportId": "distributionChannel"}),
    ("UserLanguage", "User Language", {"ImportId": "userLanguage"}),
    ("Q1", NPS_QUESTION_QUALTRICS, {"ImportId": "QID1"}),
    ("Q1_NPS_GROUP", NPS_QUESTION_QUALTRICS + " - Group", {"ImportId": "QID1_NPS_GROUP"}),
    ("Q2", "What is the most important reason for your score?", {"ImportId": "QID2_TEXT"}),
    ("Clinic", "Clinic", {"ImportId": "Clinic"}),
    ("Department", "Department", {"ImportId": "Department"}),
    ("Provider", "Provider", {"ImportId": "Provider"}),
    ("PatientPhone", "PatientPhone", {"ImportId": "PatientPhone"}),
)
QUALTRICS_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


def _coord(value: float) -> str:
    return f"{value:.12f}".rstrip("0")


def _phone_us(digits: str) -> str:
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}" if digits else ""


def qualtrics_row(r: Response) -> list[str]:
    p = r.patient
    preview = r.status == "Survey Preview"
    clinic = "" if r.extra.get("clinic_blank") else r.location
    return [
        r.start.strftime(QUALTRICS_DATE_FORMAT),
        r.end.strftime(QUALTRICS_DATE_FORMAT),
        r.status,
        r.ip,
        str(r.progress),
        str(r.duration),
        "True" if r.finished else "False",
        r.recorded.strftime(QUALTRICS_DATE_FORMAT),
        r.rid,
        p.last if p else "",
        p.first if p else "",
        p.email if p else "",
        p.patient_id if p else "",
        _coord(r.lat),
        _coord(r.lon),
        r.channel,
        r.lang,
        "" if r.score is None else str(r.score),
        group_of(r.score),
        r.comment,
        clinic,
        "" if preview else r.department,
        "" if preview else r.provider,
        _phone_us(p.phone_digits) if p else "",
    ]


def write_qualtrics(path: Path, rows: list[Response]) -> None:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([c[0] for c in QUALTRICS_COLUMNS])
    w.writerow([c[1] for c in QUALTRICS_COLUMNS])
    w.writerow([json.dumps(c[2], separators=(",", ":")) for c in QUALTRICS_COLUMNS])
    for r in rows:
        w.writerow(qualtrics_row(r))
    path.write_bytes(buf.getvalue().encode("utf-8"))


SM_NPS_QUESTION = "How likely is it that you would recommend us to a friend or colleague?"
SURVEYMONKEY_HEADER_1 = (
    "Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address", "First Name",
    "Last Name", "Custom Data 1", "Which clinic did you visit?", SM_NPS_QUESTION,
    "Which department did you visit?", "Who was your provider?", "Please tell us more about your experience",
)
SURVEYMONKEY_HEADER_2 = ("",) * 9 + ("Response", "Response", "Response", "Response", "Open-Ended Response")
SM_COLLECTORS = {"email": 431_882_907, "weblink": 431_883_164}
SM_DATE_FORMAT = "%m/%d/%Y %I:%M:%S %p"
FIXED_ZIP_TIME = (2026, 11, 16, 7, 30, 0)


def _sm_score(score: int | None):
    if score is None:
        return None
    return {10: "10 - Extremely likely", 0: "0 - Not at all likely"}.get(score, score)


def write_surveymonkey(path: Path, rows: list[Response]) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet"
    ws.append(list(SURVEYMONKEY_HEADER_1))
    ws.append([v or None for v in SURVEYMONKEY_HEADER_2])
    for r in rows:
        p = r.patient
        values = [
            int(r.rid), SM_COLLECTORS[r.channel],
            r.start.strftime(SM_DATE_FORMAT), r.end.strftime(SM_DATE_FORMAT), r.ip,
            p.email if p else None, p.first if p else None, p.last if p else None,
            r.location if p else None,  # Custom Data 1: set by the e-mail collector only
            r.location, _sm_score(r.score), r.department, r.provider, r.comment or None,
        ]
        ws.append(values)
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"  # a comment such as "=(  long wait" is text, not a formula
    fixed = datetime(*FIXED_ZIP_TIME)
    wb.properties.creator = "SurveyMonkey"
    wb.properties.created = fixed
    wb.properties.modified = fixed
    raw = io.BytesIO()
    wb.save(raw)
    path.write_bytes(_repack_zip(raw.getvalue()))


def _repack_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed entry timestamps so that the XLSX bytes do not depend on the clock."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            payload = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps "modified" with the clock on save
                stamp = datetime(*FIXED_ZIP_TIME).strftime("%Y-%m-%dT%H:%M:%SZ")
                payload = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp.encode(), payload)
            dst.writestr(entry, payload)
    return out.getvalue()


DELIGHTED_HEADER = ("Response ID", "Score", "Comment", "Created at", "Location", "Department", "Provider",
                    "Patient Name", "Email", "Phone", "Patient ID")


def write_delighted(path: Path, rows: list[Response]) -> None:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(DELIGHTED_HEADER)
    for r in rows:
        p = r.patient
        w.writerow([
            r.rid, r.score, r.comment, iso_with_offset(r.start), r.location, r.department, r.provider,
            p.name, p.email, f"+1{p.phone_digits}" if p.phone_digits else "", p.patient_id,
        ])
    path.write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))


# ----------------------------------------------------------------------------------------------------
# Self-checks and summary
# ----------------------------------------------------------------------------------------------------
def billing_detractors_by_week(rows: list[Response]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for r in rows:
        if (r.location == "Eastgate" and r.status == "IP Address" and r.score is not None and r.score <= 6
                and BILLING_RE.search(r.comment)):
            counts[week_of(r.start)] = counts.get(week_of(r.start), 0) + 1
    return counts


def self_check(files: dict[str, list[Response]]) -> None:
    for name, rows in files.items():
        ids = [r.rid for r in rows]
        assert len(ids) == len(set(ids)), f"duplicate ids in {name}"
        assert all(r.score is None or 0 <= r.score <= 10 for r in rows), name
    unique = {r.rid: r for name in files for r in files[name]}
    counts = billing_detractors_by_week(list(unique.values()))
    assert 6 <= counts.get(16, 0) <= 8, counts
    assert all(counts.get(w, 0) <= 1 for w in range(1, 16)), counts


def summary(files: dict[str, list[Response]]) -> str:
    lines = []
    for name, rows in files.items():
        partial = sum(1 for r in rows if r.score is None)
        nonpatient = sum(1 for r in rows if r.status != "IP Address")
        comments = sum(1 for r in rows if r.comment and r.status == "IP Address")
        lines.append(f"{name}: {len(rows)} rows ({partial} without a score, {nonpatient} preview/spam, "
                     f"{comments} with a comment), {min(r.start for r in rows):%Y-%m-%d}.."
                     f"{max(r.start for r in rows):%Y-%m-%d}")
    q1 = {r.rid for r in files["qualtrics_export.csv"]}
    q2 = {r.rid for r in files["qualtrics_week16.csv"]}
    lines.append(f"ResponseIds in both Qualtrics pulls: {len(q1 & q2)}")
    unique = {r.rid: r for name in files for r in files[name]}
    counts = billing_detractors_by_week(list(unique.values()))
    lines.append("Eastgate billing detractor comments by week: "
                 + ", ".join(f"w{w}={counts.get(w, 0)}" for w in range(1, N_WEEKS + 1)))
    return "\n".join(lines)


def generate(out_dir: Path, seed: int = SEED) -> dict[str, list[Response]]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    streams = build(seed)
    q = streams["qualtrics"]
    files = {
        "qualtrics_export.csv": [r for r in q if r.recorded < QUALTRICS_EXPORT_END],
        "qualtrics_week16.csv": [r for r in q if WEEK16_PULL_START <= r.recorded < WEEK16_PULL_END],
        "surveymonkey_export.xlsx": streams["surveymonkey"],
        "delighted_export.csv": streams["delighted"],
    }
    self_check(files)
    write_qualtrics(out_dir / "qualtrics_export.csv", files["qualtrics_export.csv"])
    write_qualtrics(out_dir / "qualtrics_week16.csv", files["qualtrics_week16.csv"])
    write_surveymonkey(out_dir / "surveymonkey_export.xlsx", files["surveymonkey_export.xlsx"])
    write_delighted(out_dir / "delighted_export.csv", files["delighted_export.csv"])
    return files


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out_dir = Path(argv[0]) if argv else Path(__file__).resolve().parent
    files = generate(out_dir)
    print(f"wrote {', '.join(files)} to {out_dir}")
    print(summary(files))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
