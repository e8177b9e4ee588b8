"""How columns are named, field by field: the header names and phrases (in the languages the exports come in)
that ``npscli.io.mapping`` matches a column against, strongest first."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """Ways a column can be named for one field, strongest first (priority 0, 1, 2...)."""

    exact: tuple[frozenset[str], ...] = ()  # compact names, one set per priority
    phrases: tuple[tuple[str, ...], ...] = ()  # regexes on the normalised text, one tuple per priority
    phrase_priorities: tuple[int, ...] | None = None  # default: after the exact names, in order
    short_words: frozenset[str] = frozenset()  # a word that names the field in a header of <= 3 words
    import_ids: dict[str, int] | None = None  # Qualtrics ImportId (compact) -> priority
    exclude: tuple[str, ...] = ()  # regexes on the normalised text that rule a column out


def _sets(*groups: str) -> tuple[frozenset[str], ...]:
    return tuple(frozenset(group.split()) for group in groups)


RULES: dict[str, Rule] = {
    "score": Rule(
        # The NPS question itself beats a column merely called "Score" (Google Forms quizzes have one).
        exact=_sets(
            "nps npsscore npsrating npsvalue npswert npspunktzahl npspuntuacion npsnota likelihoodtorecommend "
            "likelytorecommend ltr netpromoterscore recommendationscore recommendscore npsantwort",
            "score recommend recommendation puntuacion puntaje bewertung nota note punteggio pontuacao cijfer",
        ),
        phrases=(
            (
                r"\blikel\w* .*recommend",  # English
                r"\bwahrscheinlich.*empfehl",  # German
                r"\bprobab\w* .*recomi?end",  # Spanish (recomiendes, recomendaría), Portuguese
                r"\bprobabilit\w* .*recommand",  # French
                r"\bprobab\w* .*(raccomand|consigl)",  # Italian
                r"\bwaarschijnlijk.*(aanbevel|aanbeveel|aanraad|aanraden|aan te raden|aan te bevelen)",  # Dutch
            ),
            (
                r"recommend",
                r"recomi?end",
                r"empfehl",
                r"recommand",
                r"raccomand",
                r"\bconsiglier",
                r"aanbevel",
                r"aanbeveel",
                r"aanraden",
                r"\bnps\b",
            ),
        ),
        phrase_priorities=(0, 2),
        short_words=frozenset({"score", "rating", "nps"}),
        exclude=(r"npsgroup$", r"\bnps group\b", r"\bgroup\b", r"\bsentiment", r"\btopics?\b", r"\bcategory\b"),
    ),
    "submitted_at": Rule(
        exact=_sets(
            "recordeddate erfassungsdatum",
            "enddate submitdate submitdateutc datesubmitted submittedat submitted submissiondate "
            "responsetimestamp timestamp completedat completeddate completed completiondate completiontime createdat "
            "responsedate enddatum zeitstempel marcatemporal fechayhora fechadeenvio "
            # Google Forms' timestamp column in French, Portuguese, Italian and Dutch
            "horodateur horodatage carimbodedatahora informazionicronologiche tijdstempel",
            "created date datetime surveydate responsecreated datum fecha",
            "startdate startdateutc anfangsdatum startedat starttime",
        ),
        phrases=((r"\bsubmi(t|tted|ssion)\b", r"\btimestamp\b", r"\brecorded\b", r"\bcompleted\b"),),
        short_words=frozenset({"date", "timestamp", "datum", "fecha", "time"}),
        import_ids={"recordeddate": 0, "enddate": 1, "startdate": 3},
        exclude=(r"\bupdated\b", r"\bbirth", r"\bdob\b", r"\bduration\b", r"\bzone\b", r"timezone"),
    ),
    "response_id": Rule(
        exact=_sets(
            "# responseid respondentid responseidentifier token responsetoken submissionid antwortid responseuuid "
            "idderantwort iddelarespuesta",
            "id responsenumber",
        ),
        import_ids={"recordid": 0, "responseid": 0},
    ),
    "comment": Rule(
        exact=_sets(
            "comment comments feedback additionalcomments anycomments othercomments kommentar kommentare "
            "anmerkung anmerkungen comentario comentarios commentaire commentaires verbatim freetext remarks "
            "npscomment reason"
        ),
        phrases=(
            (
                r"\bwhy\b",
                r"\bdo better\b",
                r"\bplease tell us\b",
                r"\btell us\b",
                r"\breason for\b",
                r"\bimprove",
                r"\bcomment",
                r"\bfeedback\b",
                r"\bsuggestion",
                r"\bpor que\b",
                r"\bporque\b",
                r"\bmejorar\b",
                r"\bcomentario",
                r"\bwarum\b",
                r"\bverbesser",
                r"\bkommentar",
                r"\bbegrundung\b",
                r"\bpourquoi\b",
                r"\bameliorer\b",
                r"\bfree text\b",
                r"\bfreitext\b",
                r"\banything else\b",
            ),
            (r"\bopen ended response\b",),
        ),
        exclude=(r"\btopics?\b", r"\bsentiment\b", r"\bpolarity\b", r"\bparent topics\b", r"npsgroup$"),
    ),
    "location": Rule(
        exact=_sets(
            "clinic site practice location office facility clinicname sitename locationname practicename "
            "officename facilityname cliniclocation clinicsite praxis standort klinik clinica sede centro "
            "branch hospital"
        ),
        phrases=(
            (
                r"\b(which|what) (clinic|location|site|office|practice|facility|hospital)\b",
                r"\b(clinic|location|site|office|practice|facility) (did )?you visit",
                r"\bwelche (praxis|klinik)\b",
                r"\bwelcher standort\b",
                r"\bque (clinica|centro|sede)\b",
            ),
        ),
        short_words=frozenset(
            {"clinic", "site", "practice", "location", "office", "facility", "praxis", "standort", "klinik"}
        ),
        exclude=(
            r"latitude",
            r"longitude",
            r"accuracy",
            r"breitengrad",
            r"langengrad",
            r"\blat\b",
            r"\blng\b",
            r"\bip\b",
            r"website",
            r"\bweb site\b",
        ),
    ),
    "department": Rule(
        exact=_sets(
            "department dept service specialty speciality unit departmentname servicename serviceline "
            "abteilung fachbereich fachrichtung departamento servicio especialidad ward"
        ),
        phrases=(
            (
                r"\b(which|what) (department|service|specialty|speciality|unit|ward)\b",
                r"\bwelche (abteilung|fachrichtung|station)\b",
                r"\bque (departamento|servicio|especialidad)\b",
            ),
        ),
        short_words=frozenset({"department", "dept", "specialty", "speciality", "unit", "abteilung"}),
    ),
    "provider": Rule(
        exact=_sets(
            "provider doctor physician clinician providername doctorname physicianname clinicianname arzt "
            "arztin medico doctora dr practitioner therapist dentist attendingphysician"
        ),
        phrases=(
            (
                r"\bwho did you see\b",
                r"\bwho (was|were) your\b",
                r"\b(which|what) (provider|doctor|physician)",
                r"\bseen by\b",
                r"\bwelche[rn]? (arzt|arztin)\b",
                r"\bque medico\b",
            ),
        ),
        short_words=frozenset({"provider", "doctor", "physician", "clinician", "arzt"}),
    ),
    "patient_name": Rule(
        exact=_sets(
            "name patientname fullname respondentname yourname patient nombre patientenname nombrecompleto contactname"
        ),
    ),
    "email": Rule(
        exact=_sets(
            "email emailaddress recipientemail mail emailadresse correo correoelectronico patientemail "
            "respondentemail contactemail courriel"
        ),
        short_words=frozenset({"email", "mail"}),
    ),
    "phone": Rule(
        exact=_sets(
            "phone mobile phonenumber mobilenumber mobilephone cell cellphone telephone telefon telefono "
            "telefonnummer handy contactnumber patientphone tel"
        ),
        short_words=frozenset({"phone", "mobile", "telefon", "telephone"}),
    ),
    "patient_id": Rule(
        exact=_sets(
            "patientid mrn patientnumber externalreference externaldatareference medicalrecordnumber "
            "chartnumber patientno externalid patid patientennummer"
        ),
        short_words=frozenset({"mrn"}),
        import_ids={"externaldatareference": 0},
    ),
}
FIRST_NAMES = {"firstname", "recipientfirstname", "patientfirstname", "givenname", "vorname"}
LAST_NAMES = {"lastname", "recipientlastname", "patientlastname", "surname", "familyname", "nachname", "apellido"}
STATUS_NAMES = {"status", "responsetype", "antworttyp"}
