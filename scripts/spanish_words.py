"""Spanish words (folded: lower case, no accents) -> the English word whose model weight they share.

The theme model is trained on English comments; ``scripts/train_themes.py`` maps each Spanish word of a comment
to an English one before its features are made, so a Spanish comment is scored with the weights English
comments taught. Written from general Spanish (not from any labelled comment): the function words, verbs,
people, places, times and judgements that patients' comments are made of. One line per English word:
``"english": "spanish spanish ..."``. A word that is also common in the English training comments ("son",
"he", "once") is left out by :func:`spanish_to_english` (the map applies to every comment, whatever its language).
"""

from __future__ import annotations

import re

ENGLISH_TO_SPANISH = {
    # function words
    "the": "el la los las lo",
    "a": "un una unos unas",
    "and": "y",
    "or": "o u",
    "but": "pero sino aunque",
    "that": "que",
    "because": "porque",
    "for": "por para",
    "with": "con",
    "without": "sin",
    "in": "en dentro",
    "of": "de del",
    "to": "al hacia",
    "from": "desde",
    "until": "hasta",
    "less": "menos",
    "also": "tambien",
    "already": "ya",
    "still": "aun todavia",
    "always": "siempre",
    "another": "otra otro",
    "other": "otras otros demas",
    "every": "cada",
    "all": "todo toda todos todas",
    "many": "muchos muchas",
    "much": "mucha",
    "little": "poco poca",
    "few": "pocos pocas",
    "something": "algo",
    "someone": "alguien",
    "no": "ningun ninguno ninguna",
    "so": "asi tan",
    "then": "entonces",
    "when": "cuando",
    "where": "donde",
    "how": "como cuanto cuanta",
    "if": "si",
    "quite": "bastante",
    "too": "demasiado demasiada demasiados demasiadas",
    "only": "solo solamente unicamente",
    "after": "despues luego",
    "before": "antes",
    "now": "ahora",
    "today": "hoy",
    "yesterday": "ayer",
    "morning": "manana",
    "night": "noche",
    "day": "dia",
    "days": "dias",
    "week": "semana",
    "weeks": "semanas",
    "month": "mes",
    "months": "meses",
    "year": "ano",
    "years": "anos",
    "time": "tiempo vez",
    "times": "veces",
    "again": "nuevamente",
    "i": "yo",
    "my": "mi mis",
    "we": "nosotros nosotras",
    "us": "nos",
    "they": "ellos ellas",
    "she": "ella",
    "their": "su sus",
    "our": "nuestro nuestra nuestros nuestras",
    "you": "usted ustedes te",
    "your": "tu tus",
    "this": "este esta esto",
    "these": "estos estas",
    "there": "hay habia",
    # verbs
    "is": "es esta",
    "are": "estan somos",
    "was": "era fue estaba estuvo estuve",
    "were": "fueron estaban eran",
    "am": "estoy soy",
    "be": "ser estar",
    "have": "tengo tiene tienen tenemos tener",
    "had": "tenia tuve tuvo tuvimos tuvieron tenian",
    "did": "hizo hicieron hice",
    "do": "hacer hacen",
    "can": "puede pueden puedo podemos poder",
    "could": "pude pudo podia pudieron podian",
    "want": "quiero quiere queremos",
    "wanted": "queria querian",
    "need": "necesito necesitamos necesitan",
    "needed": "necesitaba necesite necesitabamos",
    "needs": "necesita",
    "give": "dar dan den",
    "gave": "dieron dio",
    "received": "recibi recibio recibimos recibieron",
    "arrived": "llegue llego llegaron llegamos",
    "arrive": "llegar llegan",
    "went": "fui fuimos",
    "go": "ir",
    "came": "vinieron",
    "see": "ver",
    "saw": "vi vio vieron",
    "seen": "atendieron atendio atendido atendida",
    "left": "dejaron dejo salio sali",
    "help": "ayudar ayuda",
    "helped": "ayudaron ayudo",
    "know": "saber",
    "knew": "sabia sabian",
    "thought": "pense pensaba",
    "feel": "sentir siento",
    "felt": "senti sentia",
    "treated": "trataron trato",
    "asked": "pregunte pregunto pedi pidio pedimos",
    "ask": "pedir preguntar",
    "tell": "decir",
    "said": "dice dicen",
    "talk": "hablar hablan",
    "talked": "hablo hablaron hable",
    "answer": "contestar",
    "respond": "responder responden",
    "responded": "respondieron respondio",
    "return": "volver devolver",
    "returned": "volvi devolvieron",
    "change": "cambiar",
    "changed": "cambiaron cambio",
    "lost": "perdi perdieron perdio",
    "forgot": "olvidaron olvido",
    "sent": "mandaron enviaron mando envio",
    "send": "mandar enviar",
    "find": "encontrar buscar",
    "found": "encontre encontraron",
    "pay": "pagar",
    "paid": "pague pagamos pagado",
    "improve": "mejorar mejoren",
    "work": "funcionar trabajar trabajo",
    "works": "funciona funcionan",
    "took": "tardo",
    "take": "tardar",
    "delayed": "demoraron demoro",
    "ignored": "ignoraron ignoro",
    "ignore": "ignorar",
    "explain": "explicar expliquen",
    "inform": "informar avisar",
    "informed": "avisaron aviso",
    "listen": "escuchar escucharon",
    "understood": "entendi entendia entendieron",
    "understand": "entiendo entiende entienden",
    "communicated": "comunicaron",
    "cancel": "cancelar anular",
    "booked": "reserve reservamos",
    "referred": "derivaron",
    "refer": "derivar",
    "prescribed": "recetaron",
    "prescribe": "recetar",
    "diagnosed": "diagnosticaron",
    "hung": "colgaron colgo",
    "calling": "llamando",
    "rearranged": "reprogramaron",
    "rearrange": "reprogramar",
    "admitted": "ingresaron",
    # people
    "patient": "paciente",
    "patients": "pacientes",
    "family": "familia familiares",
    "son": "hijo",
    "daughter": "hija",
    "children": "hijos ninos",
    "child": "nino nina",
    "mother": "madre mama",
    "father": "padre papa",
    "husband": "esposo marido",
    "wife": "esposa mujer",
    "baby": "bebe",
    "person": "persona",
    "people": "gente personas",
    "lady": "senora",
    "man": "senor hombre",
    "girl": "chica muchacha",
    "specialist": "especialista",
    "surgeon": "cirujano cirujana",
    "physiotherapist": "fisioterapeuta",
    "pharmacist": "farmaceutico farmaceutica",
    "paramedics": "paramedicos",
    "secretary": "secretaria",
    # places and things
    "clinic": "clinica",
    "surgery": "consultorio cirugia",
    "centre": "centro",
    "emergency": "urgencias urgencia emergencia",
    "operation": "operacion",
    "test": "prueba analisis examen",
    "tests": "pruebas examenes estudios",
    "result": "resultado",
    "blood": "sangre",
    "xray": "radiografia",
    "physio": "fisioterapia",
    "pharmacy": "farmacia",
    "tablets": "pastillas",
    "tablet": "pastilla",
    "antibiotics": "antibioticos",
    "antibiotic": "antibiotico",
    "dose": "dosis",
    "vaccine": "vacuna",
    "wound": "herida",
    "care": "cuidado cuidados",
    "health": "salud",
    "illness": "enfermedad",
    "ill": "enfermo enferma",
    "symptoms": "sintomas",
    "admission": "ingreso",
    "bed": "cama",
    "beds": "camas",
    "ward": "planta",
    "room": "habitacion consultorios",
    "chair": "silla",
    "seat": "asiento",
    "seats": "asientos",
    "corridor": "pasillo",
    "door": "puerta",
    "window": "ventana",
    "lift": "ascensor",
    "stairs": "escaleras",
    "light": "luz",
    "air": "aire",
    "heating": "calefaccion",
    "water": "agua",
    "tv": "television tele",
    "signal": "senal",
    "noisy": "ruidoso ruidosa",
    "smell": "olor",
    "dirt": "mugre",
    "dust": "polvo",
    "rubbish": "basura",
    "hygiene": "higiene",
    "mess": "desorden",
    "mobile": "celular movil",
    "voicemail": "contestador buzon",
    "message": "mensaje",
    "messages": "mensajes",
    "email": "correo",
    "busy": "ocupado ocupada ocupados",
    "option": "opcion",
    "options": "opciones",
    "system": "sistema",
    "back": "vuelta",
    "schedule": "agenda",
    "date": "fecha",
    "available": "disponible disponibles",
    "availability": "disponibilidad",
    "booking": "reserva",
    "follow": "seguimiento",
    "visit": "visita",
    "visits": "visitas",
    "access": "acceso",
    "hours": "horario",
    "queue": "cola fila",
    "list": "lista",
    "number": "numero",
    "letter": "carta",
    "letters": "cartas",
    "language": "idioma",
    "english": "ingles",
    "questions": "dudas",
    "answers": "respuestas",
    "response": "respuesta",
    "update": "actualizacion",
    "news": "noticias",
    "car": "coche auto carro",
    "space": "plaza lugar",
    "spaces": "plazas lugares",
    "fine": "multa",
    "money": "dinero",
    "charge": "cobro cobrar",
    "cost": "costo",
    "costs": "cuesta",
    "prices": "precios",
    "insurance": "seguro",
    "bills": "facturas",
    "copay": "copago",
    "painkillers": "calmantes analgesicos",
    "painful": "doloroso dolorosa",
    "treatment": "tratamientos",
    "improvement": "mejoria",
    "problem": "problema",
    "problems": "problemas",
    "mistake": "error equivocacion",
    "wrong": "equivocado equivocada incorrecto",
    "medicine": "medicina medicinas",
    "minute": "minuto",
    "half": "media",
    "soon": "pronto",
    "slow": "lentitud",
    "forever": "eterno eterna eternidad",
    "delays": "retrasos",
    "punctual": "puntual",
    # judgements
    "respect": "respeto",
    "respectful": "respetuoso respetuosa",
    "disrespectful": "irrespetuoso irrespetuosa",
    "rude": "descortes borde prepotente",
    "arrogant": "arrogante",
    "dismissive": "despectivo despectiva",
    "uncaring": "indiferente",
    "insensitive": "insensible",
    "kindness": "amabilidad carino",
    "polite": "educado educada",
    "manners": "educacion modales",
    "patience": "paciencia",
    "empathy": "empatia",
    "human": "humano humana",
    "smile": "sonrisa",
    "clear": "claro clara",
    "confusing": "confuso confusa",
    "better": "mejor",
    "worse": "peor empeoro",
    "awful": "malisimo malisima fatal",
    "disaster": "desastre",
    "disgraceful": "vergonzoso vergonzosa",
    "disgrace": "verguenza",
    "unacceptable": "inaceptable",
    "poor": "lamentable deficiente pobre",
    "perfect": "perfecto perfecta",
    "great": "genial estupendo estupenda",
    "wonderful": "maravilloso maravillosa",
    "pleasant": "agradable",
    "comfortable": "comodo comoda",
    "uncomfortable": "incomodo incomoda",
    "useful": "util",
    "useless": "inutil inutiles",
    "easy": "facil",
    "difficult": "dificil",
    "impossible": "imposible",
    "full": "lleno llena",
    "empty": "vacio vacia",
    "new": "nuevo nueva",
    "old": "viejo vieja",
    "big": "grande",
    "small": "pequeno pequena chico",
    "short": "corto corta",
    "important": "importante",
    "urgent": "urgente",
    "serious": "grave",
    "worried": "preocupado preocupada",
    "anxious": "nervioso nerviosa",
    "anxiety": "ansiedad",
    "stress": "estres",
    "angry": "enojado enojada",
    "upset": "molesto molesta",
    "frustrated": "frustrado frustrada",
    "disappointed": "decepcionado decepcionada",
    "happy": "contento contenta feliz",
    "sad": "triste",
    "unhelpful": "inservible",
    # people and how they treat you
    "abrupt": "seco seca cortante brusco brusca bruscos bruscas",
    "understanding": "comprensivo comprensiva comprension",
    "compassionate": "compasivo compasiva",
    "professional": "profesional",
    "professionals": "profesionales",
    "professionalism": "profesionalidad profesionalismo",
    "driver": "taxista",
    "drivers": "taxistas conductores choferes",
    "paramedic": "paramedico paramedica",
    "handler": "operador operadora",
    "handlers": "operadores operadoras",
    "worker": "trabajador trabajadora",
    "workers": "trabajadores trabajadoras",
    "staff": "empleado empleada empleados empleadas",
    "team": "equipo",
    "tone": "tono",
    "pretending": "fingiendo",
    "cared": "importaba cuidaron",
    "refused": "nego negaron",
    "refuse": "negarse negar",
    "support": "apoyo apoyar",
    "supported": "apoyado apoyada",
    "humiliated": "humillado humillada humillante",
    "judged": "juzgado juzgada juzgaron",
    "unpleasant": "desagradable desagradables",
    "shouted": "gritaron grito",
    "shout": "gritar",
    "laughed": "burlaron rieron",
    "interest": "interes",
    "disinterest": "desinteres",
    "valued": "valorado valorada",
    "listened": "escuchado escuchada",
    "ignoring": "ignorando",
    "attentive": "atentos atentas",
    "unfriendly": "antipaticos antipaticas",
    "kind": "amablemente",
    "complaint": "queja quejas reclamo reclamos reclamacion",
    "complain": "quejarme quejarse reclamar",
    "experience": "experiencia",
    "chaotic": "caotico caotica",
    "disorganised": "desorganizado desorganizada",
    "meals": "comidas",
    "bland": "soso sosa sosos sosas",
    "choose": "elegir",
    "mask": "mascarilla barbijo tapabocas",
    "screen": "mampara",
}


# Regular Spanish inflection, to carry each word of the map over to the forms a patient writes ("contesten",
# "atiendan", "llamarme", "tiempos"): the endings of the three verb classes (present, preterite, imperfect,
# subjunctive, future, conditional, gerund, participles), written from Spanish grammar, folded (no accents).
_VERB_ENDINGS = {
    "ar": "ar o as a amos an e es emos en aba abas abamos aban aste aron ara aras aramos aran ase asen ando ado "
    "ada ados adas are aria arian aremos",
    "er": "er o es e emos en a as amos an ia ias iamos ian i iste io imos ieron iera ieras ieramos ieran iese "
    "iesen iendo ido ida idos idas era eria erian eremos eran",
    "ir": "ir o es e imos en a as amos an ia ias iamos ian i iste io ieron iera ieras ieramos ieran iese iesen "
    "iendo ido ida idos idas ira iria irian iremos iran",
}
_CLITICS = ("me", "te", "le", "lo", "la", "nos", "les", "los", "las", "se")
_PRESENT = {"ar": ("o", "as", "a", "an", "e", "es", "en"), "er": ("o", "es", "e", "en", "a", "as", "an")}
# An ending that says which class a form of the map belongs to (longest first); "er/ir" when it cannot tell.
_CLASS_CLUES = (
    ("abamos", "ar"), ("aron", "ar"), ("ando", "ar"), ("aban", "ar"), ("ados", "ar"), ("adas", "ar"),
    ("aba", "ar"), ("ado", "ar"), ("ada", "ar"), ("ieron", "er/ir"), ("iendo", "er/ir"), ("idos", "er/ir"),
    ("idas", "er/ir"), ("ido", "er/ir"), ("ida", "er/ir"), ("ar", "ar"), ("er", "er"), ("ir", "ir"),
)
# Words of the map with a verb's ending that are not verbs (their plural and gender forms are made instead).
_NOT_VERBS = frozenset(
    "ayer mujer lugar celular hogar bienestar taller comida vida salida medida bebida partida llegada entrada "
    "jornada mirada cuidado pasado estado lado grado mercado abogado helado empleado empleada empleados "
    "empleadas encargado encargada privado privada cansado cansada caracter pesada pesadas pesado pesados".split()
)
# Function words an inflected form must never take over (they have their own meaning in every comment).
_NEVER = frozenset(
    "a al ante bajo con contra de del desde durante en entre hacia hasta para por segun sin sobre tras y e ni "
    "o u pero sino que como cuando donde quien cual mas menos muy tan tanto solo casi ya aun no si se me te "
    "le lo la nos les los las mi tu su mis tus sus este esta esto ese esa eso uno una unos unas el ella ellos "
    "ellas yo todo toda todos todas nada algo nadie otro otra cada casa caso cosa vez fue era ser sea son soy "
    "es han ha he hay haya iba vino cara sal pare pasa pase lleva".split()
    # "espero" is "I hope" ("espero que mejoren") far more often than "I wait"; "tardes" is afternoons
    # ("por las tardes", "buenas tardes") far more often than "tardar"
    + ["espero", "tardes"]
)


# Inflected forms that are English words ("finger" from "fingir", "hires" from "herir", "derive" from
# "derivar"): the map applies to every comment, so these would turn an English word into another. The forms the
# rules make that are in Debian's word list (wamerican, /usr/share/dict/words), found on 2026-12-03;
# scripts/train_themes.py warns of new ones where that list is installed.
ENGLISH_FORMS = frozenset(
    "agendas aires autos cambia carina cobra cobras colas comas comer derive derives devolve devolves dices envies "
    "estes finger graves hires ignores largos llama llamas mamas mares maria marian mario medias padres pagan papas "
    "puerto rapes reserves salas solos vines volvo".split()
)


def _verb_forms(stem: str, verb_class: str) -> set[str]:
    """Every regular form of the verb ``stem`` + ``verb_class`` ("ar", "er", "ir" or "er/ir"), with the
    pronouns a patient attaches ("llamarme", "explicandome") and the two spelling and stem changes of the
    present ("explique", "pague"; "atiendan", "vuelvo", "pido")."""
    classes = verb_class.split("/")
    out: set[str] = set()
    for cls in classes:
        out |= {stem + ending for ending in _VERB_ENDINGS[cls].split()}
        for base in (stem + cls, stem + ("ando" if cls == "ar" else "iendo")):
            out |= {base + clitic for clitic in _CLITICS}
    if "ar" in classes and stem.endswith("c"):
        out |= {stem[:-1] + "qu" + e for e in ("e", "es", "emos", "en")}
    if "ar" in classes and stem.endswith("g"):
        out |= {stem + "u" + e for e in ("e", "es", "emos", "en")}
    changed = re.search(r"([eo])([^aeiou]*)$", stem)
    if changed:
        head, vowel, tail = stem[: changed.start()], changed.group(1), changed.group(2)
        present = _PRESENT["ar" if "ar" in classes else "er"]
        out |= {head + ("ie" if vowel == "e" else "ue") + tail + e for e in present}
        if vowel == "e" and "ir" in classes:
            out |= {head + "i" + tail + e for e in (*present, "ieron", "io", "iendo", "iera", "ieran")}
    return out


def _nominal_forms(word: str) -> set[str]:
    """The gender and number forms of a noun or adjective ("preocupado" -> "preocupados", "preocupada")."""
    if word.endswith(("o", "a")):
        return {word[:-1] + end for end in ("o", "a", "os", "as")}
    if word.endswith("e"):
        return {word + "s"}
    if word.endswith("cion"):
        return {word + "es"}
    return set()


def inflections(words: dict[str, str], *, min_length: int = 5) -> dict[str, str]:
    """The regular inflected forms of the map's words that the map lacks -> the same English word. Most
    generated forms are never written (they cost a dictionary entry, nothing else); forms shorter than
    ``min_length`` and function words are left out, and the map's own words always win."""
    out: dict[str, str] = {}
    for word, english in words.items():
        clue = next(
            (
                (word[: -len(end)], cls)
                for end, cls in _CLASS_CLUES
                if word.endswith(end) and len(word) - len(end) >= 3 and word not in _NOT_VERBS
            ),
            None,
        )
        forms = _verb_forms(*clue) if clue else _nominal_forms(word)
        for form in sorted(forms):
            if form not in words and form not in _NEVER and form not in ENGLISH_FORMS and len(form) >= min_length:
                out.setdefault(form, english)
    return out


def spanish_to_english(
    english_words: set[str] | frozenset[str] = frozenset(),
    *,
    extra: dict[str, str] | None = None,
    english_seen: set[str] | frozenset[str] | None = None,
) -> dict[str, str]:
    """The folded Spanish word -> English word map; a Spanish word in ``english_words`` (words common in the
    English training comments) is left out. With ``english_seen`` (every word of the English training
    comments), the map also holds the regular inflections (:func:`inflections`) of its words and of ``extra``
    (more Spanish -> English pairs, such as ``train_themes.SYNONYMS``), except those ever seen in English."""
    out: dict[str, str] = {}
    for english, spanish in ENGLISH_TO_SPANISH.items():
        for word in spanish.split():
            if word not in english_words and word not in out:
                out[word] = english
    if english_seen is not None:
        generated = inflections({**out, **(extra or {})})
        for form, english in generated.items():
            if form not in english_seen and form not in out and form not in (extra or {}):
                out[form] = english
    return out
