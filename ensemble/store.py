"""The ensemble output folder: per-draw Parquet files, the manifest, resume.

Layout of DIR::

    manifest.json             configuration, its fingerprint, and one record per draw:
                              draw, seed, status (ok | failed | pending), reason, seconds, worker, file
    parameters.csv            every draw's numbers: draw, rule, target, apply, entity, value
    draws/draw_000042.parquet IAMC long values of draw 42 (model, scenario, region, variable, unit,
                              year, value); its Parquet key-value metadata `petra.ensemble` holds the
                              fingerprint, draw, seed, seconds and the draw's numbers (JSON)
    summary/                  written at the end (petra.ensemble.summary)

Every file is written to a temporary name and moved into place (`os.replace`), so a kill never leaves
a partial file. A draw is complete when its Parquet file exists and carries the configuration's
fingerprint: that is what a rerun trusts (the manifest may lag behind by the last few draws), and
complete draws are never recomputed or rewritten. Failed and pending draws are run again.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from petra.atomic import atomic_output_file
from petra.errors import InputError

FORMAT = 1
MANIFEST = "manifest.json"
PARAMETERS = "parameters.csv"
DRAWS = "draws"
META_KEY = b"petra.ensemble"
_DRAW_RE = re.compile(r"^draw_(\d{6,})\.parquet$")


def draw_file(draw: int) -> str:
    """Path of a draw's file relative to DIR."""
    return f"{DRAWS}/draw_{draw:06d}.parquet"


def fingerprint(config: dict) -> str:
    """SHA-256 of a configuration (JSON with sorted keys)."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()


def dataset_digest(folder: Path) -> str:
    """SHA-256 over a dataset folder's files (names and bytes), so edited data are detected."""
    h = hashlib.sha256()
    for f in sorted(Path(folder).iterdir()):
        if f.is_file() and f.suffix in (".csv", ".toml"):
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    with atomic_output_file(path) as tmp:
        tmp.write_bytes(data)


def read_draw_meta(path: Path) -> dict | None:
    """A draw file's `petra.ensemble` metadata, or None if the file is unreadable or has none."""
    try:
        meta = pq.read_schema(path).metadata or {}
        return json.loads(meta[META_KEY]) if META_KEY in meta else None
    except (OSError, ValueError, pa.ArrowException):
        return None


@dataclass
class Store:
    """An ensemble folder being filled. `records[draw]` is the manifest record of each draw."""

    root: Path
    config: dict
    seed: int
    records: dict[int, dict] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.config)

    def completed(self) -> set[int]:
        return {d for d, r in self.records.items() if r["status"] == "ok"}

    def start(self, n_draws: int, parameters: pd.DataFrame) -> None:
        """Create the folder, record draws 0..n-1 (pending unless complete) and write the manifest and
        parameters (rewritten on every start: both are deterministic)."""
        (self.root / DRAWS).mkdir(parents=True, exist_ok=True)
        for d in range(n_draws):
            if d not in self.records or self.records[d]["status"] != "ok":
                self.records[d] = {"draw": d, "seed": self.seed, "status": "pending", "reason": None,
                                   "seconds": None, "worker": None, "file": None}
        self.n_draws = n_draws
        _atomic_write_bytes(self.root / PARAMETERS, parameters.to_csv(index=False).encode())
        self.write_manifest()

    def save_draw(self, draw: int, iamc: pd.DataFrame, *, seconds: float, worker: str,
                  parameters: pd.DataFrame) -> None:
        """Write a completed draw's file (atomically) and record it."""
        meta = {"fingerprint": self.fingerprint, "draw": draw, "seed": self.seed, "seconds": seconds,
                "worker": worker, "parameters": parameters.drop(columns="draw").to_dict("records")}
        table = pa.Table.from_pandas(iamc, preserve_index=False)
        table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                               META_KEY: json.dumps(meta).encode()})
        with atomic_output_file(self.root / draw_file(draw)) as tmp:
            pq.write_table(table, tmp)
        self.records[draw] = {"draw": draw, "seed": self.seed, "status": "ok", "reason": None,
                              "seconds": seconds, "worker": worker, "file": draw_file(draw)}

    def record_failure(self, draw: int, reason: str, *, seconds: float | None = None,
                       worker: str | None = None) -> None:
        self.records[draw] = {"draw": draw, "seed": self.seed, "status": "failed", "reason": reason,
                              "seconds": seconds, "worker": worker, "file": None}

    def write_manifest(self) -> None:
        """Write manifest.json atomically (records in draw order)."""
        doc = {"format": FORMAT, "fingerprint": self.fingerprint, "config": self.config,
               "draws": [self.records[d] for d in sorted(self.records)]}
        _atomic_write_bytes(self.root / MANIFEST, (json.dumps(doc, indent=1) + "\n").encode())

    def ok_files(self, n_draws: int) -> list[tuple[int, Path]]:
        """(draw, path) of the complete draws below n_draws, in draw order."""
        return [(d, self.root / draw_file(d)) for d in sorted(self.completed()) if d < n_draws]


def _manifest_shape_ok(doc: object) -> bool:
    """A manifest is a mapping with a `config` mapping and a `draws` list of records with int draws."""
    if not isinstance(doc, dict) or not isinstance(doc.get("config", {}), dict):
        return False
    draws = doc.get("draws", [])
    return isinstance(draws, list) and all(
        isinstance(r, dict) and isinstance(r.get("draw"), int) and not isinstance(r.get("draw"), bool)
        for r in draws)


def _changed(old: dict, new: dict) -> list[str]:
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


def open_store(root: str | Path, config: dict, seed: int) -> Store:
    """The ensemble folder `root` for `config`, with the draws already complete in it; nothing is written.

    A folder made with another configuration (seed, scenario file content, dataset, scenarios,
    tolerance, post-processing) or a non-empty folder that is not an ensemble is an InputError: pick
    another --out or delete it to start afresh.
    """
    root = Path(root)
    store = Store(root=root, config=config, seed=seed)
    if root.exists() and not root.is_dir():
        raise InputError("--out exists and is not a folder", file=str(root))
    manifest = root / MANIFEST
    if manifest.is_file():
        try:
            old = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"unreadable ensemble manifest ({exc}); delete the folder to start afresh",
                             file=str(manifest)) from None
        if not _manifest_shape_ok(old):
            raise InputError("ensemble manifest of the wrong shape (not petra's); delete the folder to start "
                             "afresh", file=str(manifest))
        if old.get("fingerprint") != store.fingerprint:
            changed = ", ".join(_changed(old.get("config", {}), config)) or "format"
            raise InputError(f"this folder holds an ensemble of another configuration (changed: {changed}); "
                             "use another --out, or delete the folder to start afresh", file=str(root))
        for rec in old.get("draws", []):
            if rec.get("status") == "failed":
                store.records[int(rec["draw"])] = rec
    elif root.is_dir() and any(root.iterdir()):
        raise InputError("--out is a non-empty folder without an ensemble manifest; refusing to write "
                         "into it", file=str(root))
    draws = root / DRAWS
    if draws.is_dir():
        for f in sorted(draws.iterdir()):
            m = _DRAW_RE.match(f.name)
            if not m:
                continue
            meta = read_draw_meta(f)
            d = int(m.group(1))
            # the draw index in the metadata must match the name: a copied file is not another draw
            if meta is not None and meta.get("fingerprint") == store.fingerprint and meta.get("draw") == d:
                store.records[d] = {"draw": d, "seed": seed, "status": "ok", "reason": None,
                                    "seconds": meta.get("seconds"), "worker": meta.get("worker"),
                                    "file": draw_file(d)}
    return store
