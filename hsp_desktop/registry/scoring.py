"""Scoring records: imaging studies, feature vectors, immutable predictions and the federation message log."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hsp_desktop import __version__
from hsp_desktop.errors import Problem, RegistryError, ValidationError
from hsp_desktop.registry import jsonutil as ju
from hsp_desktop.registry.db import Database, Layer, exists
from hsp_desktop.registry.models import User
from hsp_desktop.registry.outcomes import Outcomes


class Scoring(Layer):
    """What scoring writes (one transaction per scored case, see :meth:`Registry.transaction`)."""

    def __init__(self, db: Database, outcomes: Outcomes) -> None:
        super().__init__(db)
        self._outcomes = outcomes

    def add_imaging_study(
        self,
        study_id: str,
        *,
        ct_path: str | Path,
        mask_path: str | Path | None,
        ct_sha256: str,
        mask_sha256: str | None,
        qc_report: Any,
        by: User,
    ) -> int:
        """Record an imaging study (file references, SHA-256 of each file, the QC report); returns its id."""
        for name, digest in (("ct_sha256", ct_sha256), ("mask_sha256", mask_sha256)):
            if digest is not None and not ju.is_sha256(digest):
                raise ValidationError(
                    f"{name} is not a SHA-256 digest",
                    problems=[
                        Problem(name, digest, "not 64 lower-case hex characters", "hash the file again")
                    ],
                    field=name,
                )
        with self._tx(by) as conn:
            exists(conn, study_id)
            cur = conn.execute(
                "INSERT INTO imaging_studies (study_id, ct_path, mask_path, ct_sha256, mask_sha256, qc_report, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    study_id,
                    str(ct_path),
                    None if mask_path is None else str(mask_path),
                    ct_sha256,
                    mask_sha256,
                    ju.dumps(qc_report if qc_report is not None else {}),
                    ju.now(),
                ),
            )
            return int(cur.lastrowid or 0)

    def imaging_studies(self, study_id: str) -> list[dict[str, Any]]:
        """Return a recipient's imaging studies, oldest first."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, study_id, ct_path, mask_path, ct_sha256, mask_sha256, qc_report, created_at "
                "FROM imaging_studies WHERE study_id = ? ORDER BY id",
                (study_id,),
            ).fetchall()
        keys = (
            "id",
            "study_id",
            "ct_path",
            "mask_path",
            "ct_sha256",
            "mask_sha256",
            "qc_report",
            "created_at",
        )
        out = [dict(zip(keys, r, strict=True)) for r in rows]
        for d in out:
            d["qc_report"] = json.loads(d["qc_report"])
        return out

    def save_features(
        self,
        study_id: str,
        imaging_id: int,
        features: Mapping[str, Any],
        settings: Any,
        engine: str,
        *,
        by: User,
    ) -> int:
        """Store a feature vector with its extraction settings and engine version; returns its id."""
        with self._tx(by) as conn:
            row = conn.execute("SELECT study_id FROM imaging_studies WHERE id = ?", (imaging_id,)).fetchone()
            if row is None or row[0] != study_id:
                raise RegistryError(
                    f"Imaging study {imaging_id} does not belong to {study_id}",
                    expected=f"an imaging study of {study_id}",
                    found="none" if row is None else f"a study of {row[0]}",
                    fix="record the imaging study first (add_imaging_study)",
                    field="imaging_id",
                )
            cur = conn.execute(
                "INSERT INTO feature_vectors (study_id, imaging_id, features, settings, engine, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (study_id, imaging_id, ju.dumps(dict(features)), ju.dumps(settings), str(engine), ju.now()),
            )
            return int(cur.lastrowid or 0)

    def features(self, study_id: str) -> list[dict[str, Any]]:
        """Return a recipient's stored feature vectors, oldest first."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, imaging_id, features, settings, engine, created_at FROM feature_vectors "
                "WHERE study_id = ? ORDER BY id",
                (study_id,),
            ).fetchall()
        return [
            {"id": r[0], "imaging_id": r[1], "features": json.loads(r[2]), "settings": json.loads(r[3]),
             "engine": r[4], "created_at": r[5]}
            for r in rows
        ]  # fmt: skip

    def save_prediction(self, study_id: str, prediction: Any, *, by: User) -> int:
        """Store a prediction; it can never be changed or deleted afterwards.

        Parameters
        ----------
        study_id : str
            The recipient.
        prediction : mapping or dataclass
            ``model_id``, ``manifest_sha256``, ``probability`` (0-1) and either ``input_sha256`` or ``inputs``
            (hashed here); optional ``ci_low``, ``ci_high``, ``band``, ``contributions`` and anything else (kept
            in ``output``).
        by : User
            The signed-in user.

        Returns
        -------
        int
            The prediction id.
        """
        p = ju.plain(prediction)
        if not isinstance(p, dict):
            raise ValidationError("A prediction must be a mapping", found=type(prediction).__name__)
        if "input_sha256" not in p and "inputs" in p:
            p["input_sha256"] = ju.sha256_json(p["inputs"])
        problems = []
        for key in ("model_id", "manifest_sha256", "input_sha256", "probability"):
            if p.get(key) in (None, ""):
                problems.append(Problem(key, None, "required", "pass the model bundle's value"))
        for key in ("manifest_sha256", "input_sha256"):
            if p.get(key) and not ju.is_sha256(str(p[key])):
                problems.append(
                    Problem(key, p[key], "not a SHA-256 digest", "pass the 64-hex-character digest")
                )
        for key in ("probability", "ci_low", "ci_high"):
            v = p.get(key)
            if v is not None and not (isinstance(v, int | float) and 0.0 <= float(v) <= 1.0):
                problems.append(
                    Problem(key, v, "not a probability between 0 and 1", "check the model output")
                )
        if p.get("band") not in (None, "low", "intermediate", "high"):
            problems.append(
                Problem("band", p.get("band"), "not low/intermediate/high", "check the model output")
            )
        if problems:
            raise ValidationError("The prediction cannot be stored", problems=problems, field="prediction")
        with self._tx(by) as conn:
            exists(conn, study_id)
            user = self._db.ctx[1]
            cur = conn.execute(
                "INSERT INTO predictions (study_id, model_id, manifest_sha256, input_sha256, probability, ci_low, "
                "ci_high, band, output, app_version, created_by, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    study_id,
                    str(p["model_id"]),
                    p["manifest_sha256"],
                    p["input_sha256"],
                    float(p["probability"]),
                    p.get("ci_low"),
                    p.get("ci_high"),
                    p.get("band"),
                    ju.dumps(p),
                    str(p.get("app_version") or __version__)
                    + (f" (build {p['app_build']})" if p.get("app_build") else ""),
                    user,
                    ju.now(),
                ),
            )
            self._outcomes.refresh_status(conn, study_id)
            return int(cur.lastrowid or 0)

    def log_federated_message(self, entry: Mapping[str, Any]) -> int:
        """Record one message this site sent to a federation coordinator (audited; rows are immutable).

        ``entry`` is the site's outbox line: ``type``, ``bytes``, array shapes and run context.  Only sizes and
        shapes are stored: the message content (aggregates) never enters the registry.
        """
        kind = str(entry.get("type") or "")
        size = entry.get("bytes")
        if not kind or not isinstance(size, int) or size < 0:
            raise ValidationError(
                "A federation message needs a type and a size",
                problems=[
                    Problem("entry", dict(entry), "type or bytes missing", "log the outbox line as written")
                ],
                field="entry",
            )
        run = entry.get("run")
        rnd = entry.get("round")
        with self._system_tx("system:federation") as conn:
            cur = conn.execute(
                "INSERT INTO federation_messages (sent_at, run_id, round, kind, bytes, details) VALUES (?,?,?,?,?,?)",
                (
                    ju.now(),
                    None if run is None else str(run),
                    int(rnd) if isinstance(rnd, int) or (isinstance(rnd, str) and rnd.isdigit()) else None,
                    kind,
                    size,
                    ju.dumps({k: v for k, v in entry.items() if k not in ("type", "bytes")}),
                ),
            )
            return int(cur.lastrowid or 0)

    def federated_messages(self) -> list[dict[str, Any]]:
        """Every federation message this site logged, oldest first."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, sent_at, run_id, round, kind, bytes, details FROM federation_messages ORDER BY id"
            ).fetchall()
        keys = ("id", "sent_at", "run_id", "round", "kind", "bytes", "details")
        return [{**dict(zip(keys, r, strict=True)), "details": json.loads(r[6])} for r in rows]

    def predictions(self, study_id: str) -> list[dict[str, Any]]:
        """Return a recipient's predictions, oldest first (each with its full ``output``)."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, model_id, manifest_sha256, input_sha256, probability, ci_low, ci_high, band, output, "
                "app_version, created_by, created_at FROM predictions WHERE study_id = ? ORDER BY id",
                (study_id,),
            ).fetchall()
        keys = ("id", "model_id", "manifest_sha256", "input_sha256", "probability", "ci_low", "ci_high", "band",
                "output", "app_version", "created_by", "created_at")  # fmt: skip
        out = []
        for r in rows:
            d = dict(zip(keys, r, strict=True))
            d["output"] = json.loads(d["output"])
            d["study_id"] = study_id
            out.append(d)
        return out
