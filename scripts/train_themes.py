"""Train the packaged theme model (``src/npscli/data/theme_model.json``) on real patient comments.

    .venv/bin/python scripts/train_themes.py [--mirror PATH_TO_PXTEXTMINING_GIT]

Training time only: needs numpy and scipy (the ``dev`` extra); the model it writes is scored in pure Python
by ``npscli.core.themes.ThemeModel``. Data and the held-back split: ``scripts/themes_data.py``. Steps:

1. featurise every comment with the packaged taxonomy (``Taxonomy.features``: words, word pairs, keyword
   verdicts, cue features; Spanish words mapped to English by ``SYNONYMS``);
2. fit one L2-regularised logistic regression per theme on the training part (buckets 2-3) plus the ``dev``
   split of the synthetic set (``tests/data/comments_labelled.csv``; holdout1/holdout2 stay out);
3. pick each theme's threshold for the best F1 on the validation part's negative comments (bucket 1);
4. refit on training + validation with the same settings, keep the thresholds, drop tiny weights, write JSON;
5. write the held-back negative comments (bucket 0, never used above) to ``tests/data/real_comments_heldback.csv``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.optimize import minimize

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "src"))

import themes_data  # noqa: E402

from npscli.core.themes import Taxonomy, ThemeModel  # noqa: E402
from npscli.io.taxonomy import _default_data  # noqa: E402

OUT = ROOT / "src" / "npscli" / "data" / "theme_model.json"
HELD_BACK = ROOT / "tests" / "data" / "real_comments_heldback.csv"
SYNTHETIC = ROOT / "tests" / "data" / "comments_labelled.csv"
MIN_DOCS = 3  # a word or word pair seen in fewer training comments gets no weight
L2 = float(__import__("os").environ.get("TM_L2", "0.02"))  # penalty on the squared weights (the bias is not penalised)
GATE_RECALL = float(os.environ.get("TM_GATE", "0.97"))
SYNTHETIC_WEIGHT = float(os.environ.get("TM_SYN", "20"))  # each synthetic dev comment counts as this many real ones
MIN_WEIGHT = float(os.environ.get("TM_MINW", "0.2"))  # weights smaller than this are dropped from the shipped file

# Spanish (folded) -> the English word whose weight it should share. The training comments are English; these
# carry the model's word weights over to Spanish comments (the keyword features cover Spanish directly).
SYNONYMS = {
    "espera": "wait",
    "esperas": "wait",
    "esperar": "wait",
    "espere": "waited",
    "esperamos": "waited",
    "esperando": "waiting",
    "esperado": "waited",
    "demora": "delay",
    "demoras": "delay",
    "retraso": "delay",
    "tarde": "late",
    "tardaron": "late",
    "tardan": "late",
    "horas": "hours",
    "hora": "hour",
    "minutos": "minutes",
    "cita": "appointment",
    "citas": "appointment",
    "turno": "appointment",
    "turnos": "appointments",
    "cancelaron": "cancelled",
    "cancelada": "cancelled",
    "cancelado": "cancelled",
    "agendar": "book",
    "reservar": "book",
    "derivacion": "referral",
    "personal": "staff",
    "recepcionista": "receptionist",
    "recepcion": "reception",
    "enfermera": "nurse",
    "enfermero": "nurse",
    "enfermeras": "nurses",
    "medico": "doctor",
    "medica": "doctor",
    "doctora": "doctor",
    "doctor": "doctor",
    "medicos": "doctors",
    "conductor": "driver",
    "chofer": "driver",
    "grosero": "rude",
    "grosera": "rude",
    "groseros": "rude",
    "maleducado": "rude",
    "maleducada": "rude",
    "antipatico": "unfriendly",
    "antipatica": "unfriendly",
    "trato": "attitude",
    "actitud": "attitude",
    "amable": "friendly",
    "amables": "friendly",
    "simpatico": "friendly",
    "simpatica": "friendly",
    "atento": "attentive",
    "atenta": "attentive",
    "explico": "explained",
    "explicaron": "explained",
    "explicacion": "explanation",
    "informacion": "information",
    "informaron": "informed",
    "escucho": "listened",
    "escuchan": "listen",
    "escuchaban": "listened",
    "comunicacion": "communication",
    "dijo": "told",
    "dijeron": "told",
    "resultados": "results",
    "pregunta": "question",
    "preguntas": "questions",
    "entender": "understand",
    "telefono": "phone",
    "llamada": "call",
    "llamadas": "calls",
    "llame": "called",
    "llamar": "call",
    "llamaron": "called",
    "contestan": "answer",
    "contesta": "answers",
    "contestaron": "answered",
    "atienden": "answer",
    "linea": "line",
    "estacionamiento": "parking",
    "aparcamiento": "parking",
    "aparcar": "park",
    "estacionar": "park",
    "parqueo": "parking",
    "transporte": "transport",
    "ambulancia": "ambulance",
    "sucio": "dirty",
    "sucia": "dirty",
    "sucios": "dirty",
    "limpieza": "cleanliness",
    "limpio": "clean",
    "limpia": "clean",
    "bano": "toilet",
    "banos": "toilets",
    "sala": "room",
    "edificio": "building",
    "sillas": "chairs",
    "frio": "cold",
    "calor": "hot",
    "ruido": "noise",
    "comida": "food",
    "dolor": "pain",
    "duele": "pain",
    "medicacion": "medication",
    "medicamento": "medication",
    "medicamentos": "medication",
    "tratamiento": "treatment",
    "receta": "prescription",
    "diagnostico": "diagnosis",
    "factura": "bill",
    "cobraron": "charged",
    "precio": "price",
    "caro": "expensive",
    "mal": "bad",
    "mala": "bad",
    "malo": "bad",
    "pesimo": "terrible",
    "pesima": "terrible",
    "horrible": "horrible",
    "terrible": "terrible",
    "nunca": "never",
    "nadie": "nobody",
    "no": "not",
    "nada": "nothing",
    "muy": "very",
    "mucho": "long",
    "larga": "long",
    "largo": "long",
    "bien": "good",
    "buena": "good",
    "bueno": "good",
    "buen": "good",
    "excelente": "excellent",
    "gracias": "thank",
    "rapido": "quick",
    "rapida": "quick",
    "lento": "slow",
    "lenta": "slow",
    "mas": "more",
    "falta": "lack",
    "servicio": "service",
    "atencion": "care",
}
PERSON_WORDS = [
    "staff",
    "driver",
    "drivers",
    "nurse",
    "nurses",
    "doctor",
    "doctors",
    "dr",
    "receptionist",
    "receptionists",
    "reception",
    "he",
    "she",
    "him",
    "her",
    "crew",
    "paramedic",
    "paramedics",
    "handler",
    "operator",
    "man",
    "lady",
    "woman",
    "gentleman",
    "person",
    "consultant",
    "gp",
    "midwife",
    "midwives",
    "physio",
    "therapist",
    "carer",
    "carers",
    "attitude",
    "manner",
    "manners",
    "rude",
    "personnel",
    "team",
]


def synthetic_rows() -> list[tuple[str, frozenset[str]]]:
    with SYNTHETIC.open(encoding="utf-8", newline="") as f:
        return [
            (r["comment"], frozenset(filter(None, r["themes"].split(";"))))
            for r in csv.DictReader(f)
            if r["split"] == "dev"
        ]


def fit(x: sparse.csr_matrix, y: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, float]:
    """Weighted L2 logistic regression by L-BFGS; returns (weights, bias)."""
    n_features = x.shape[1]
    total = weight.sum()

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = params[:-1], params[-1]
        z = x @ w + b
        # log(1 + e^z) - y z, computed stably
        value = np.sum(weight * (np.logaddexp(0, z) - y * z)) / total + L2 * w @ w / (2 * total) * 100
        p = 1 / (1 + np.exp(-z))
        g = weight * (p - y) / total
        grad = np.empty_like(params)
        grad[:-1] = x.T @ g + L2 * w / total * 100
        grad[-1] = g.sum()
        return value, grad

    result = minimize(loss, np.zeros(n_features + 1), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return result.x[:-1], float(result.x[-1])


def best_threshold(scores: np.ndarray, y: np.ndarray) -> float:
    """The score threshold with the best F1 on the validation comments (the middle of the best run)."""
    candidates = np.linspace(-4, 4, 161)
    f1s = []
    for t in candidates:
        pred = scores >= t
        tp = float(np.sum(pred & (y == 1)))
        fp = float(np.sum(pred & (y == 0)))
        fn = float(np.sum(~pred & (y == 1)))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    f1s = np.array(f1s)
    best = np.flatnonzero(f1s >= f1s.max() - 1e-9)
    return float(candidates[best[len(best) // 2]])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, default=themes_data.DEFAULT_MIRROR, help="pxtextmining git dir")
    args = parser.parse_args(argv)

    comments = themes_data.load_comments(args.mirror)
    themes = themes_data.THEMES
    lexicon = Taxonomy.from_dict(_default_data()).with_model(
        ThemeModel(weights={}, bias={}, threshold={}, synonyms=SYNONYMS, person_words=frozenset(PERSON_WORDS))
    )

    positives = os.environ.get("TM_POS", "1") == "1"

    def usable(c: themes_data.Comment) -> bool:
        return c.polarity == "negative" or (positives and c.polarity == "positive")

    mode = os.environ.get("TM_MODE", "D")
    if mode == "A":
        train = [(c.text, c.themes, 1.0) for c in comments if c.bucket >= 2 and usable(c)]
    elif mode == "C":
        train = [(c.text, c.themes if c.polarity != "mixed" else c.topics, 1.0) for c in comments if c.bucket >= 2]
    else:
        train = [(c.text, c.topics, 1.0) for c in comments if c.bucket >= 2]
    train += [(text, labels, SYNTHETIC_WEIGHT) for text, labels in synthetic_rows()]
    valid = [(c.text, c.themes, 1.0) for c in comments if c.bucket == 1 and c.polarity == "negative"]
    if mode == "D":
        valid_all = [(c.text, c.topics, 1.0) for c in comments if c.bucket == 1]
    else:
        valid_all = [(c.text, c.themes, 1.0) for c in comments if c.bucket == 1 and usable(c)]
    print(f"training {len(train)} comments, validation {len(valid)} negative comments", file=sys.stderr)

    def featurise(rows):
        return [set(lexicon.features(text)) for text, _, _ in rows]

    def vocabulary(feature_sets) -> dict[str, int]:
        counts: dict[str, int] = {}
        for features in feature_sets:
            for f in features:
                counts[f] = counts.get(f, 0) + 1
        keep = sorted(f for f, n in counts.items() if n >= MIN_DOCS or not f.startswith(("w:", "b:")))
        return {f: i for i, f in enumerate(keep)}

    def matrix(feature_sets, vocab) -> sparse.csr_matrix:
        rows, cols = [], []
        for i, features in enumerate(feature_sets):
            for f in features:
                if f in vocab:
                    rows.append(i)
                    cols.append(vocab[f])
        return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(feature_sets), len(vocab)))

    def targets(rows, code):
        return np.array([1.0 if code in labels else 0.0 for _, labels, _ in rows])

    train_f, valid_f = featurise(train), featurise(valid)
    vocab = vocabulary(train_f)
    x_train, x_valid = matrix(train_f, vocab), matrix(valid_f, vocab)
    w_train = np.array([w for _, _, w in train])
    # The gate: negative (or mixed) comment vs positive one; its threshold lets GATE_RECALL of the
    # validation part's negative comments through.
    def negative(rows_comments):
        return np.array([1.0 if c.polarity != "positive" else 0.0 for c in rows_comments])

    synthetic_gate = [1.0 if labels else 0.0 for _, labels in synthetic_rows()]
    train_c = [c for c in comments if c.bucket >= 2]
    gate_y = np.concatenate([negative(train_c), synthetic_gate])
    assert len(gate_y) == len(train)
    gw, gb = fit(x_train, gate_y, w_train)
    gw = np.where(np.abs(gw) >= MIN_WEIGHT, gw, 0.0)
    gate_scores = x_valid @ gw + gb
    gate_threshold = float(np.quantile(gate_scores, 1 - GATE_RECALL))
    gate_open = gate_scores >= gate_threshold
    valid_pos = [c for c in comments if c.bucket == 1 and c.polarity == "positive"]
    pos_scores = matrix(featurise([(c.text, None, 1) for c in valid_pos]), vocab) @ gw + gb
    print(
        f"gate threshold {gate_threshold:+.2f}: blocks {np.mean(pos_scores < gate_threshold):.2f} of the "
        "validation positive comments",
        file=sys.stderr,
    )
    thresholds = {}
    sums = np.zeros(3)
    msums = np.zeros(3)
    multi = np.array([c.source != "p1" for c in comments if c.bucket == 1 and c.polarity == "negative"])
    for code in themes:
        w, b = fit(x_train, targets(train, code), w_train)
        w = np.where(np.abs(w) >= MIN_WEIGHT, w, 0.0)
        vetoed = np.array(["kw:" + code in features for features in valid_f])
        scores = np.where(vetoed | ~gate_open, -np.inf, x_valid @ w + b)
        thresholds[code] = best_threshold(scores, targets(valid, code))
        y = targets(valid, code)
        pred = scores >= thresholds[code]
        tp, fp, fn = np.sum(pred & (y == 1)), np.sum(pred & (y == 0)), np.sum(~pred & (y == 1))
        sums += [tp, fp, fn]
        msums += [np.sum(pred & (y == 1) & multi), np.sum(pred & (y == 0) & multi), np.sum(~pred & (y == 1) & multi)]
        print(
            f"{code:14} threshold {thresholds[code]:+.2f}  validation F1 {2 * tp / max(2 * tp + fp + fn, 1):.2f}"
            f" (support {int(y.sum())})",
            file=sys.stderr,
        )

    print(
        f"validation micro F1 {2 * sums[0] / (2 * sums[0] + sums[1] + sums[2]):.3f}; multi-label part"
        f" {2 * msums[0] / (2 * msums[0] + msums[1] + msums[2]):.3f}",
        file=sys.stderr,
    )
    final = train + valid_all
    final_f = train_f + featurise(valid_all)
    vocab = vocabulary(final_f)
    x_final = matrix(final_f, vocab)
    w_final = np.array([w for _, _, w in final])
    names = sorted(vocab, key=vocab.get)
    model = {
        "about": "npscli theme model: see scripts/train_themes.py and docs/themes-accuracy.md",
        "source": f"github.com/The-Strategy-Unit/pxtextmining@{themes_data.PXTEXTMINING_COMMIT} (MIT)",
        "themes": {},
        "synonyms": SYNONYMS,
        "person_words": PERSON_WORDS,
    }
    gate_y = np.concatenate([negative(train_c), synthetic_gate, negative([c for c in comments if c.bucket == 1])])
    assert len(gate_y) == len(final)
    gw, gb = fit(x_final, gate_y, w_final)
    weights = {names[i]: round(float(v), 3) for i, v in enumerate(gw) if abs(v) >= MIN_WEIGHT}
    model["themes"]["_negative"] = {"bias": round(gb, 3), "threshold": gate_threshold, "weights": weights}
    for code in themes:
        w, b = fit(x_final, targets(final, code), w_final)
        weights = {names[i]: round(float(v), 3) for i, v in enumerate(w) if abs(v) >= MIN_WEIGHT}
        model["themes"][code] = {"bias": round(b, 3), "threshold": thresholds[code], "weights": weights}
        print(f"{code:14} {len(weights)} weights", file=sys.stderr)
    OUT.write_text(
        json.dumps(model, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size // 1024} KiB)", file=sys.stderr)

    with HELD_BACK.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["source", "group", "comment", "themes"])
        for c in themes_data.held_back(comments):
            out.writerow([c.source, c.group if c.source != "p1" else "", c.text, ";".join(sorted(c.themes))])
    print(f"wrote {HELD_BACK.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
