#!/usr/bin/env python3
"""Builds Healthe's risk models as ONNX graphs from the published coefficient tables.

    python3 models/build_models.py [OUT_DIR]      (default: models/)

Every model takes one float64 tensor `x` of shape [N, k] whose columns are the model card's inputs
in order (booleans as 0/1, `sex` as 0 female / 1 male, `race` as 0 white or other / 1 African
American), and computes its outputs with plain ONNX ops, so the arithmetic is inspectable in the
graph and the runtime (tract) needs nothing custom. Everything is float64: in the Pooled Cohort
Equations the terms cancel to a few units out of hundreds, where float32 loses the answer.
(tract's Sigmoid has no float64 kernel, so logistic outputs are written as 1 / (1 + exp(-z)).)

The source is models/source/risk-equations.json (citations, ranges, coefficients); the output is
byte-for-byte reproducible, which a test checks against the committed files.
"""

import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = Path(__file__).resolve().parent
SOURCE = json.loads((HERE / "source" / "risk-equations.json").read_text())
OPSET = 17
VERSION = "1.0.0"


class Graph:
    """A tiny builder: named constants and nodes, with generated value names."""

    def __init__(self, name, columns):
        self.name = name
        self.nodes = []
        self.inits = []
        self.count = 0
        self.columns = columns

    def _name(self, prefix):
        self.count += 1
        return f"{prefix}{self.count}"

    def const(self, value, dtype=np.float64):
        name = self._name("c")
        self.inits.append(numpy_helper.from_array(np.array(value, dtype=dtype), name))
        return name

    def op(self, op_type, *inputs, **attrs):
        out = self._name("t")
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], **attrs))
        return out

    # Arithmetic on [N] vectors.
    def col(self, name):
        return self.op("Gather", "x", self.const(self.columns.index(name), np.int64), axis=1)

    def add(self, a, b):
        return self.op("Add", a, b)

    def sub(self, a, b):
        return self.op("Sub", a, b)

    def mul(self, a, b):
        return self.op("Mul", a, b)

    def div(self, a, b):
        return self.op("Div", a, b)

    def k(self, v):
        return self.const(float(v))

    def ln(self, a):
        return self.op("Log", a)

    def exp(self, a):
        return self.op("Exp", a)

    def minimum(self, a, v):
        return self.op("Min", a, self.k(v))

    def maximum(self, a, v):
        return self.op("Max", a, self.k(v))

    def flag(self, cond):
        return self.op("Cast", cond, to=TensorProto.DOUBLE)

    def ge(self, a, v):
        return self.flag(self.op("GreaterOrEqual", a, self.k(v)))

    def lt(self, a, v):
        return self.flag(self.op("Less", a, self.k(v)))

    def between(self, a, lo, hi):
        """1.0 where lo <= a < hi."""
        return self.mul(self.ge(a, lo), self.lt(a, hi))

    def logistic(self, z):
        one = self.k(1.0)
        return self.div(one, self.add(one, self.exp(self.op("Neg", z))))

    def stack(self, vectors):
        """[N] vectors into an [N, len] matrix."""
        axis = self.const([1], np.int64)
        return self.op("Concat", *[self.op("Unsqueeze", v, axis) for v in vectors], axis=1)

    def dot_rows(self, matrix, coef_rows):
        """Row-wise dot product of two [N, k] matrices: [N]."""
        return self.op("ReduceSum", self.mul(matrix, coef_rows), self.const([1], np.int64), keepdims=0)

    def model(self, outputs, doc):
        graph = helper.make_graph(
            self.nodes,
            self.name,
            [helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["N", len(self.columns)])],
            [helper.make_tensor_value_info(name, TensorProto.DOUBLE, shape) for name, shape in outputs],
            initializer=self.inits,
        )
        m = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", OPSET)],
            producer_name="healthe-build-models",
            producer_version=VERSION,
            doc_string=doc,
        )
        m.ir_version = 8
        onnx.checker.check_model(m, full_check=True)
        return m

    def output(self, name, value, shape):
        """Marks `value` as the graph output `name` (via an Identity, so names stay readable)."""
        self.nodes.append(helper.make_node("Identity", [value], [name]))
        return (name, shape)


def rng(spec):
    return [float(spec["range"][0]), float(spec["range"][1])]


# ------------------------------------------------------------------------------------------------
# Pooled Cohort Equations (Goff 2013): 10-year hard ASCVD, four sex/race groups.

def pce():
    src = SOURCE["pce_2013"]
    inputs = src["inputs"]
    columns = ["age", "total_cholesterol", "hdl_cholesterol", "sbp", "bp_treated", "smoker", "diabetes", "sex", "race"]
    g = Graph("pce_2013", columns)
    age, tc, hdl, sbp = (g.col(c) for c in columns[:4])
    treated, smoker, diabetes, male, black = (g.col(c) for c in columns[4:])
    one = g.k(1.0)
    untreated = g.sub(one, treated)
    la, ltc, lhdl, lsbp = g.ln(age), g.ln(tc), g.ln(hdl), g.ln(sbp)
    features = [
        la,
        g.mul(la, la),
        ltc,
        g.mul(la, ltc),
        lhdl,
        g.mul(la, lhdl),
        g.mul(lsbp, treated),
        g.mul(g.mul(la, lsbp), treated),
        g.mul(lsbp, untreated),
        g.mul(g.mul(la, lsbp), untreated),
        smoker,
        g.mul(la, smoker),
        diabetes,
    ]
    order = list(src["features"].keys())
    groups = ["white_female", "black_female", "white_male", "black_male"]
    coef = [[src["groups"][grp]["coef"][f] for f in order] for grp in groups]
    mean = [[src["groups"][grp]["mean_lp"]] for grp in groups]
    s0 = [[src["groups"][grp]["s0_10y"]] for grp in groups]
    female, white = g.sub(one, male), g.sub(one, black)
    onehot = g.stack([g.mul(female, white), g.mul(female, black), g.mul(male, white), g.mul(male, black)])
    lp = g.dot_rows(g.stack(features), g.op("MatMul", onehot, g.const(coef)))
    squeeze = g.const([1], np.int64)
    mean_lp = g.op("Squeeze", g.op("MatMul", onehot, g.const(mean)), squeeze)
    base = g.op("Squeeze", g.op("MatMul", onehot, g.const(s0)), squeeze)
    risk = g.sub(one, g.op("Pow", base, g.exp(g.sub(lp, mean_lp))))
    out = g.output("risk_10y", risk, ["N"])
    model = g.model([out], src["citation"])
    card = {
        "id": "pce-2013",
        "version": VERSION,
        "title": "ACC/AHA Pooled Cohort Equations",
        "outcome": src["outcome"],
        "horizon_years": 10,
        "citation": src["citation"],
        "inputs": [
            {"name": "age", "unit": "years", "range": rng(inputs["age"])},
            {"name": "total_cholesterol", "unit": "mg/dL", "range": rng(inputs["total_cholesterol"])},
            {"name": "hdl_cholesterol", "unit": "mg/dL", "range": rng(inputs["hdl_cholesterol"])},
            {"name": "sbp", "unit": "mmHg", "range": rng(inputs["sbp"])},
            {"name": "bp_treated", "kind": "boolean"},
            {"name": "smoker", "kind": "boolean"},
            {"name": "diabetes", "kind": "boolean"},
            {"name": "sex", "kind": "choice", "choices": ["female", "male"]},
            {"name": "race", "kind": "choice", "choices": ["white_or_other", "african_american"]},
        ],
        "outputs": [
            {"name": "hard_ascvd_10y", "tensor": "risk_10y", "index": 0, "unit": "probability",
             "description": "10-year risk of a first nonfatal MI, CHD death or fatal/nonfatal stroke"}
        ],
        "intended_population": "Adults 40-79 without clinical ASCVD and LDL-C < 190 mg/dL, US cohorts; 'white' equations are used for other races.",
        "caveats": [
            "Overestimates risk in many contemporary and non-US populations.",
            "Not for people with existing cardiovascular disease.",
        ],
    }
    return model, card


# ------------------------------------------------------------------------------------------------
# AHA PREVENT (Khan 2024), base model: 10-year (ages 30-79) and 30-year (ages 30-59) risks.

PREVENT_OUTCOMES = ["total_cvd", "ascvd", "heart_failure", "chd", "stroke"]
PREVENT_LABELS = {
    "total_cvd": "total cardiovascular disease",
    "ascvd": "atherosclerotic cardiovascular disease",
    "heart_failure": "heart failure",
    "chd": "coronary heart disease (heart attack)",
    "stroke": "stroke",
}


def prevent():
    src = SOURCE["prevent_2024"]
    inputs = src["inputs"]
    columns = ["age", "total_cholesterol", "hdl_cholesterol", "sbp", "bmi", "egfr", "diabetes", "smoker", "bp_tx", "statin", "sex"]
    g = Graph("prevent_2024_base", columns)
    age, tc, hdl_raw, sbp, bmi, egfr, diabetes, smoker, bp_tx, statin, male = (g.col(c) for c in columns)
    one = g.k(1.0)
    a = g.div(g.sub(age, g.k(55)), g.k(10))
    nonhdl = g.sub(g.mul(g.sub(tc, hdl_raw), g.k(0.02586)), g.k(3.5))
    hdl = g.div(g.sub(g.mul(hdl_raw, g.k(0.02586)), g.k(1.3)), g.k(0.3))
    sbp_lt = g.div(g.sub(g.minimum(sbp, 110), g.k(110)), g.k(20))
    sbp_ge = g.div(g.sub(g.maximum(sbp, 110), g.k(130)), g.k(20))
    bmi_lt = g.div(g.sub(g.minimum(bmi, 30), g.k(25)), g.k(5))
    bmi_ge = g.div(g.sub(g.maximum(bmi, 30), g.k(30)), g.k(5))
    egfr_lt = g.div(g.sub(g.minimum(egfr, 60), g.k(60)), g.k(-15))
    egfr_ge = g.div(g.sub(g.maximum(egfr, 60), g.k(90)), g.k(-15))
    rest = [
        nonhdl, hdl, sbp_lt, sbp_ge, diabetes, smoker, bmi_lt, bmi_ge, egfr_lt, egfr_ge, bp_tx, statin,
        g.mul(bp_tx, sbp_ge), g.mul(statin, nonhdl), g.mul(a, nonhdl), g.mul(a, hdl), g.mul(a, sbp_ge),
        g.mul(a, diabetes), g.mul(a, smoker), g.mul(a, bmi_ge), g.mul(a, egfr_lt), one_like(g, age),
    ]
    terms10 = g.stack([a] + rest)
    terms30 = g.stack([a, g.mul(a, a)] + rest)
    female = g.sub(one, male)
    sexes = g.stack([female, male])
    outputs = []
    for horizon, terms in (("10yr", terms10), ("30yr", terms30)):
        table = src["coefficients"][f"base_{horizon}"]
        n_terms = len(table["terms"])
        # coef[sex, term, outcome]; each row of `sexes` picks its sex's [term, outcome] block.
        coef = np.array([[table[f"{sex}_{o}"] for o in PREVENT_OUTCOMES] for sex in ("female", "male")])
        coef = np.transpose(coef, (0, 2, 1)).reshape(2, n_terms * len(PREVENT_OUTCOMES))
        rows = g.op("Reshape", g.op("MatMul", sexes, g.const(coef)), g.const([-1, n_terms, len(PREVENT_OUTCOMES)], np.int64))
        expanded = g.op("Unsqueeze", terms, g.const([2], np.int64))
        lp = g.op("ReduceSum", g.mul(expanded, rows), g.const([1], np.int64), keepdims=0)
        name = "risk_10y" if horizon == "10yr" else "risk_30y"
        outputs.append(g.output(name, g.logistic(lp), ["N", len(PREVENT_OUTCOMES)]))
    model = g.model(outputs, src["citation"])
    card_inputs = [
        {"name": "age", "unit": "years", "range": rng(inputs["age"])},
        {"name": "total_cholesterol", "unit": "mg/dL", "range": rng(inputs["total_cholesterol"])},
        {"name": "hdl_cholesterol", "unit": "mg/dL", "range": rng(inputs["hdl_cholesterol"])},
        {"name": "sbp", "unit": "mmHg", "range": rng(inputs["sbp"])},
        {"name": "bmi", "unit": "kg/m2", "range": rng(inputs["bmi"])},
        {"name": "egfr", "unit": "mL/min/1.73m2", "range": rng(inputs["egfr"])},
        {"name": "diabetes", "kind": "boolean"},
        {"name": "smoker", "kind": "boolean"},
        {"name": "bp_treated", "kind": "boolean", "aliases": ["bp_tx"], "description": "on blood-pressure medication"},
        {"name": "statin", "kind": "boolean"},
        {"name": "sex", "kind": "choice", "choices": ["female", "male"]},
    ]
    card_outputs = [
        {"name": f"{o}_10y", "tensor": "risk_10y", "index": i, "unit": "probability",
         "description": f"10-year risk of {PREVENT_LABELS[o]}"}
        for i, o in enumerate(PREVENT_OUTCOMES)
    ] + [
        {"name": f"{o}_30y", "tensor": "risk_30y", "index": i, "unit": "probability",
         "description": f"30-year risk of {PREVENT_LABELS[o]}", "valid_when": {"age": [30, 59]}}
        for i, o in enumerate(PREVENT_OUTCOMES)
    ]
    card = {
        "id": "prevent-2024",
        "version": VERSION,
        "title": "AHA PREVENT equations (base model)",
        "outcome": "total CVD, ASCVD, heart failure, coronary heart disease and stroke",
        "horizon_years": 10,
        "citation": src["citation"],
        "inputs": card_inputs,
        "outputs": card_outputs,
        "intended_population": "Adults 30-79 without known cardiovascular disease (US cohorts, 6.6 million people); 30-year risks for ages 30-59.",
        "caveats": [
            "Base model: the optional UACR, HbA1c and social deprivation terms are not used.",
            "Not for people with existing cardiovascular disease.",
        ],
    }
    return model, card


def one_like(g, v):
    """A vector of ones shaped like v (the PREVENT constant term)."""
    return g.add(g.mul(v, g.k(0.0)), g.k(1.0))


# ------------------------------------------------------------------------------------------------
# Framingham Offspring simple clinical model (Wilson 2007): 8-year type 2 diabetes.

def framingham_diabetes():
    src = SOURCE["diabetes"]["framingham_offspring_2007"]
    c = src["coefficients"]
    columns = ["age", "sex", "parent_diabetes", "bmi", "sbp", "dbp", "bp_tx", "hdl_cholesterol", "triglycerides", "fasting_glucose"]
    g = Graph("framingham_diabetes_2007", columns)
    age, male, parent, bmi, sbp, dbp, bp_tx, hdl, tg, fg = (g.col(x) for x in columns)
    one = g.k(1.0)
    female = g.sub(one, male)
    bp_flag = g.op("Max", g.op("Max", g.ge(sbp, 130), g.ge(dbp, 85)), bp_tx)
    low_hdl = g.add(g.mul(male, g.lt(hdl, 40)), g.mul(female, g.lt(hdl, 50)))
    indicators = [
        (g.between(age, 50, 65), c["age_50_64"]),
        (g.ge(age, 65), c["age_ge65"]),
        (male, c["male"]),
        (parent, c["parent_dm"]),
        (g.between(bmi, 25, 30), c["bmi_25_29"]),
        (g.ge(bmi, 30), c["bmi_ge30"]),
        (bp_flag, c["bp_ge_130_85_or_tx"]),
        (low_hdl, c["low_hdl"]),
        (g.ge(tg, 150), c["tg_ge150"]),
        (g.between(fg, 100, 126), c["fg_100_126"]),
    ]
    z = g.k(c["intercept"])
    for value, beta in indicators:
        z = g.add(z, g.mul(value, g.k(beta)))
    out = g.output("risk_8y", g.logistic(z), ["N"])
    model = g.model([out], src["citation"])
    card = {
        "id": "framingham-diabetes-2007",
        "version": VERSION,
        "title": "Framingham Offspring diabetes risk (simple clinical model)",
        "outcome": src["outcome"],
        "horizon_years": 8,
        "citation": src["citation"],
        "inputs": [
            {"name": "age", "unit": "years", "range": [45.0, 64.0]},
            {"name": "sex", "kind": "choice", "choices": ["female", "male"]},
            {"name": "parent_diabetes", "kind": "boolean"},
            {"name": "bmi", "unit": "kg/m2", "range": [15.0, 60.0]},
            {"name": "sbp", "unit": "mmHg", "range": [80.0, 220.0]},
            {"name": "dbp", "unit": "mmHg", "range": [40.0, 130.0]},
            {"name": "bp_treated", "kind": "boolean", "aliases": ["bp_tx"], "description": "on blood-pressure medication"},
            {"name": "hdl_cholesterol", "unit": "mg/dL", "range": [10.0, 120.0]},
            {"name": "triglycerides", "unit": "mg/dL", "range": [20.0, 1000.0]},
            {"name": "fasting_glucose", "unit": "mg/dL", "range": [50.0, 125.0]},
        ],
        "outputs": [
            {"name": "type2_diabetes_8y", "tensor": "risk_8y", "index": 0, "unit": "probability",
             "description": "8-year probability of developing type 2 diabetes"}
        ],
        "intended_population": src["population"] + "; fasting glucose below 126 mg/dL (otherwise diabetes is already present).",
        "caveats": [
            "Derived in a white US cohort; calibration in other populations varies.",
            "Ranges other than age and glucose are plausibility bounds, not published validation ranges.",
        ],
    }
    return model, card


# ------------------------------------------------------------------------------------------------
# FINDRISC (Lindström 2003): questionnaire points and the 10-year risk band.

def findrisc():
    src = SOURCE["diabetes"]["findrisc"]
    columns = ["age", "sex", "bmi", "waist", "physically_active", "daily_vegetables", "bp_medication", "high_glucose_history", "family_history"]
    g = Graph("findrisc", columns)
    age, male, bmi, waist, active, veg, bp_med, glucose, family = (g.col(x) for x in columns)
    one = g.k(1.0)
    female = g.sub(one, male)

    def scaled(value, points):
        return g.mul(value, g.k(points))

    age_pts = g.add(g.add(scaled(g.between(age, 45, 55), 2), scaled(g.between(age, 55, 65), 3)), scaled(g.ge(age, 65), 4))
    bmi_pts = g.add(scaled(g.between(bmi, 25, 30), 1), scaled(g.ge(bmi, 30), 3))
    waist_m = g.add(scaled(g.between(waist, 94, 102), 3), scaled(g.ge(waist, 102), 4))
    waist_f = g.add(scaled(g.between(waist, 80, 88), 3), scaled(g.ge(waist, 88), 4))
    waist_pts = g.add(g.mul(male, waist_m), g.mul(female, waist_f))
    # family_history: 0 none, 1 second-degree relative, 2 first-degree relative.
    family_pts = g.add(scaled(g.op("Cast", g.op("Equal", family, g.k(1)), to=TensorProto.DOUBLE), 3),
                       scaled(g.op("Cast", g.op("Equal", family, g.k(2)), to=TensorProto.DOUBLE), 5))
    score = g.add(age_pts, bmi_pts)
    for part in (waist_pts, scaled(g.sub(one, active), 2), scaled(g.sub(one, veg), 1), scaled(bp_med, 2), scaled(glucose, 5), family_pts):
        score = g.add(score, part)
    # Bands: <7, 7-11, 12-14, 15-20, >20 → index 0..4, and the band's risk as a probability.
    band = g.add(g.add(g.ge(score, 7), g.ge(score, 12)), g.add(g.ge(score, 15), g.ge(score, 21)))
    band_risk = g.op("Gather", g.const([0.01, 0.04, 1 / 6, 1 / 3, 0.5]), g.op("Cast", band, to=TensorProto.INT64), axis=0)
    outputs = [g.output("score", score, ["N"]), g.output("band", band, ["N"]), g.output("risk_10y", band_risk, ["N"])]
    model = g.model(outputs, src["citation"])
    card = {
        "id": "findrisc",
        "version": VERSION,
        "title": "FINDRISC — Finnish Diabetes Risk Score",
        "outcome": "10-year risk of type 2 diabetes (risk band)",
        "horizon_years": 10,
        "citation": src["citation"],
        "inputs": [
            {"name": "age", "unit": "years", "range": [18.0, 100.0]},
            {"name": "sex", "kind": "choice", "choices": ["female", "male"]},
            {"name": "bmi", "unit": "kg/m2", "range": [15.0, 60.0]},
            {"name": "waist", "unit": "cm", "range": [50.0, 200.0]},
            {"name": "physically_active", "kind": "boolean", "description": "at least 30 minutes of activity daily"},
            {"name": "daily_vegetables", "kind": "boolean", "description": "eats vegetables, fruit or berries every day"},
            {"name": "bp_medication", "kind": "boolean"},
            {"name": "high_glucose_history", "kind": "boolean"},
            {"name": "family_history", "kind": "choice", "choices": ["none", "second_degree", "first_degree"]},
        ],
        "outputs": [
            {"name": "score", "tensor": "score", "index": 0, "unit": "points", "description": "FINDRISC points (0-26)"},
            {"name": "band", "tensor": "band", "index": 0, "unit": "band",
             "description": "0: <7 (1 in 100), 1: 7-11 (1 in 25), 2: 12-14 (1 in 6), 3: 15-20 (1 in 3), 4: >20 (1 in 2)"},
            {"name": "type2_diabetes_10y", "tensor": "risk_10y", "index": 0, "unit": "probability",
             "description": "the band's published 10-year risk"},
        ],
        "intended_population": src["population"] + "; used widely as a screening questionnaire for adults.",
        "caveats": ["A screening score, not a diagnosis: a high score calls for a glucose test."],
    }
    return model, card


# ------------------------------------------------------------------------------------------------
# CHA2DS2-VASc (Lip 2010) with Friberg 2012 annual ischaemic stroke rates, for atrial fibrillation.

def cha2ds2vasc():
    src = SOURCE["stroke"]["cha2ds2vasc"]
    p = src["points"]
    columns = ["age", "sex", "chf", "hypertension", "diabetes", "stroke_tia", "vascular_disease"]
    g = Graph("cha2ds2_vasc", columns)
    age, male, chf, htn, dm, stroke, vasc = (g.col(x) for x in columns)
    one = g.k(1.0)
    parts = [
        g.mul(chf, g.k(p["chf"])),
        g.mul(htn, g.k(p["hypertension"])),
        g.mul(g.between(age, 65, 75), g.k(p["age_65_74"])),
        g.mul(g.ge(age, 75), g.k(p["age_ge_75"])),
        g.mul(dm, g.k(p["diabetes"])),
        g.mul(stroke, g.k(p["stroke_tia_thromboembolism"])),
        g.mul(vasc, g.k(p["vascular_disease"])),
        g.mul(g.sub(one, male), g.k(p["female"])),
    ]
    score = parts[0]
    for part in parts[1:]:
        score = g.add(score, part)
    rates = [r / 100.0 for r in src["annual_rate_pct_friberg2012_ischaemic_stroke"]]
    rate = g.op("Gather", g.const(rates), g.op("Cast", score, to=TensorProto.INT64), axis=0)
    outputs = [g.output("score", score, ["N"]), g.output("annual_rate", rate, ["N"])]
    model = g.model(outputs, src["citation"])
    card = {
        "id": "cha2ds2-vasc",
        "version": VERSION,
        "title": "CHA\u2082DS\u2082-VASc stroke risk in atrial fibrillation",
        "outcome": "annual ischaemic stroke rate without anticoagulation",
        "horizon_years": 1,
        "citation": src["citation"],
        "inputs": [
            {"name": "age", "unit": "years", "range": [18.0, 110.0]},
            {"name": "sex", "kind": "choice", "choices": ["female", "male"]},
            {"name": "chf", "kind": "boolean", "description": "congestive heart failure"},
            {"name": "hypertension", "kind": "boolean"},
            {"name": "diabetes", "kind": "boolean"},
            {"name": "stroke_tia", "kind": "boolean", "description": "prior stroke, TIA or thromboembolism"},
            {"name": "vascular_disease", "kind": "boolean", "description": "prior MI, peripheral artery disease or aortic plaque"},
        ],
        "outputs": [
            {"name": "score", "tensor": "score", "index": 0, "unit": "points", "description": "CHA\u2082DS\u2082-VASc points (0-9)"},
            {"name": "stroke_annual", "tensor": "annual_rate", "index": 0, "unit": "probability",
             "description": "annual ischaemic stroke rate (Friberg 2012, Swedish AF cohort, no anticoagulation)"},
        ],
        "intended_population": "Adults with non-valvular atrial fibrillation.",
        "caveats": ["Only for atrial fibrillation; decisions on anticoagulation also weigh bleeding risk."],
    }
    return model, card


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    out.mkdir(parents=True, exist_ok=True)
    for build in (pce, prevent, framingham_diabetes, findrisc, cha2ds2vasc):
        model, card = build()
        (out / f"{card['id']}.onnx").write_bytes(model.SerializeToString(deterministic=True))
        (out / f"{card['id']}.card.json").write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
        print(f"built {card['id']}")


if __name__ == "__main__":
    main()
