"""The bench's peer: the service a clinic would otherwise deploy for `POST /api/diagnosis/heart`.

FastAPI + pydantic (the readings, ranges from the same model card), PyJWT (the same EdDSA bearer
tokens, verified with the bench's public key), onnxruntime (the same PREVENT ONNX graph) and
SQLite in WAL (one connection held by the worker, `synchronous = NORMAL`, as Healthe's). Run by
the bench with one uvicorn worker; not part of Healthe.
"""

import json
import os
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Literal

import jwt
import numpy as np
import onnxruntime as ort
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import Depends, FastAPI, Header, HTTPException
from pydantic import BaseModel, ConfigDict, Field

MODELS = Path(__file__).resolve().parents[2] / "models"
CARD = json.loads((MODELS / "prevent-2024.card.json").read_text())
SESSION = ort.InferenceSession(str(MODELS / "prevent-2024.onnx"), providers=["CPUExecutionProvider"])
PUBLIC_KEY = Ed25519PublicKey.from_public_bytes(bytes.fromhex(os.environ["PEER_PUBLIC_KEY_HEX"]))
ISSUER = os.environ.get("PEER_ISSUER", "healthe-auth")
AUDIENCE = os.environ.get("PEER_AUDIENCE", "healthe")

DB = sqlite3.connect(os.environ.get("PEER_DB", "peer.db"), isolation_level=None, check_same_thread=False)
DB.execute("PRAGMA journal_mode = WAL")
DB.execute("PRAGMA synchronous = NORMAL")
DB.execute(
    "CREATE TABLE IF NOT EXISTS assessments (id TEXT PRIMARY KEY, subject_id TEXT NOT NULL,"
    " model_id TEXT NOT NULL, inputs TEXT NOT NULL, outputs TEXT NOT NULL, created_at TEXT NOT NULL)"
)
DB.execute("CREATE INDEX IF NOT EXISTS assessments_by_subject ON assessments (subject_id, id)")

RANGE = {i["name"]: i.get("range") for i in CARD["inputs"]}


def between(name: str):
    lo, hi = RANGE[name]
    return Field(ge=lo, le=hi)


class Prevent(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    age: float = between("age")
    total_cholesterol: float = between("total_cholesterol")
    hdl_cholesterol: float = between("hdl_cholesterol")
    sbp: float = between("sbp")
    bmi: float = between("bmi")
    egfr: float = between("egfr")
    diabetes: bool
    smoker: bool
    bp_treated: bool = Field(alias="bp_tx")
    statin: bool
    sex: Literal["female", "male"]


def caller(authorization: str = Header()) -> dict:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(401, "a bearer token is required")
    try:
        return jwt.decode(token, PUBLIC_KEY, algorithms=["EdDSA"], audience=AUDIENCE, issuer=ISSUER)
    except jwt.PyJWTError as e:
        raise HTTPException(401, f"invalid token: {e}")


app = FastAPI()


@app.get("/health")
def health():
    return {"status": "ok"}


@app.post("/heart", status_code=201)
def heart(body: Prevent, claims: dict = Depends(caller)):
    values = body.model_dump()
    row = []
    for spec in CARD["inputs"]:
        v = values[spec["name"]]
        row.append(float(spec["choices"].index(v)) if spec.get("kind") == "choice" else float(v))
    risk_10y, risk_30y = SESSION.run(None, {"x": np.array([row], dtype=np.float64)})
    tensors = {"risk_10y": risk_10y[0], "risk_30y": risk_30y[0]}
    outputs = {}
    for o in CARD["outputs"]:
        valid = all(lo <= values[k] <= hi for k, (lo, hi) in (o.get("valid_when") or {}).items())
        outputs[o["name"]] = float(tensors[o["tensor"]][o["index"]]) if valid else None
    ident = uuid.uuid4().hex
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    DB.execute(
        "INSERT INTO assessments VALUES (?, ?, ?, ?, ?, ?)",
        (ident, claims["sub"], CARD["id"], json.dumps(values), json.dumps(outputs), created),
    )
    return {"id": ident, "model_id": CARD["id"], "subject_id": claims["sub"], "outputs": outputs, "created_at": created}
