"""Reproducible training of the sentiment model from the public data sets (see docs/model-card.md).

Data (files under ``DATA_DIR/sentiment/``, described in the shared data README):
- ``smp2020_virus_train.jsonl``: COVID-19 Weibo posts. happy → positive; angry/sad/fear → negative;
  neural (sic) and surprise are left out: they are neither, and surprise is mostly alarm about news.
- ``waimai_10k.csv``, ``ChnSentiCorp_htl_all.csv``: review sets, label 1/0.
- ``online_shopping_10_cats.csv``: a seeded random sample per class (the full set would swamp the rest).

Split rule (fixed, independent of the seed and of the row order): a text is held back for evaluation
when the first 8 bytes of MD5(UTF-8 text), read as a big-endian integer, are divisible by 5 (≈20%).
Identical texts therefore always land on the same side.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import marshal
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.evaluate import binary_report
from analysis.features import FEATURE_VERSION, sentiment_features, words
from analysis.normalize import normalize
from analysis.sentiment import MODEL_NAME, SentimentModel, bayes_class, file_digest

Example = tuple[str, int]  # (text, 1 positive / 0 negative)
SMP_LABELS = {"happy": 1, "angry": 0, "sad": 0, "fear": 0}


def is_held_out(text: str) -> bool:
    """The fixed 20% evaluation split (module docstring)."""
    digest = hashlib.md5(text.encode("utf-8"), usedforsecurity=False).digest()
    return int.from_bytes(digest[:8], "big") % 5 == 0


def split(examples: Iterable[Example]) -> tuple[list[Example], list[Example]]:
    train: list[Example] = []
    test: list[Example] = []
    for ex in examples:
        (test if is_held_out(ex[0]) else train).append(ex)
    return train, test


def load_smp(path: Path) -> list[Example]:
    out: list[Example] = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                label = SMP_LABELS.get(row["label"])
                if label is not None and row["content"].strip():
                    out.append((row["content"], label))
    return out


def load_csv(path: Path) -> list[Example]:
    """Rows with ``label`` (1/0) and ``review`` columns; blank reviews are skipped."""
    out: list[Example] = []
    with path.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            text = (row.get("review") or "").strip()
            if text and row.get("label") in ("0", "1"):
                out.append((text, int(row["label"])))
    return out


def sample_per_class(examples: Sequence[Example], per_class: int, seed: int) -> list[Example]:
    rng = random.Random(seed)
    out: list[Example] = []
    for label in (0, 1):
        rows = [ex for ex in examples if ex[1] == label]
        out.extend(rng.sample(rows, min(per_class, len(rows))))
    return out


@dataclass(frozen=True)
class TrainConfig:
    data_dir: Path
    seed: int = 20261123
    shopping_per_class: int = 4000
    # Repeat counts per training set: SMP2020 is the closest to public-affairs posts, so it counts more.
    weights: dict[str, int] = field(
        default_factory=lambda: {"smp": 2, "waimai": 1, "hotel": 1, "shopping": 1}
    )
    min_count: int = 2  # features seen fewer times than this in all training text are pruned
    seed_repeat: int = 5  # copies of each seed term (data/sentiment_seed.txt); 0 disables the seed


def load_sets(cfg: TrainConfig) -> dict[str, tuple[list[Example], list[Example]]]:
    """name -> (train part, held-out part) for every data set present in ``cfg.data_dir``."""
    base = cfg.data_dir / "sentiment"
    smp = base / "smp2020_virus_train.jsonl"
    if not smp.is_file():
        raise FileNotFoundError(f"找不到训练数据 {smp}（--data 应指向含 sentiment/ 子目录的数据目录）")
    sets = {"smp": split(load_smp(smp))}
    for name, fname in (("waimai", "waimai_10k.csv"), ("hotel", "ChnSentiCorp_htl_all.csv")):
        if (base / fname).is_file():
            sets[name] = split(load_csv(base / fname))
    shop = base / "online_shopping_10_cats.csv"
    if shop.is_file() and cfg.shopping_per_class > 0:
        train, test = split(load_csv(shop))
        sets["shopping"] = (sample_per_class(train, cfg.shopping_per_class, cfg.seed), test)
    return sets


SEED_PATH = Path(__file__).resolve().parent / "data" / "sentiment_seed.txt"


def load_seed(path: Path = SEED_PATH) -> list[Example]:
    """Seed terms as (term, label) examples from the ``[negative]``/``[positive]`` sections."""
    out: list[Example] = []
    label: int | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line in ("[negative]", "[positive]"):
            label = int(line == "[positive]")
        elif label is None:
            raise ValueError(f"{path}：词语出现在 [negative]/[positive] 小节之前")
        else:
            out.extend((term, label) for term in line.split())
    return out


def featurize(text: str) -> list[str]:
    return list(sentiment_features(words(normalize(text))))


def train_classifier(docs: Iterable[tuple[list[str], int, int]], min_count: int) -> Any:
    """Train SnowNLP's Bayes on (features, label, repeat) and prune rare features."""
    data: list[tuple[list[str], str]] = []
    for feats, label, repeat in docs:
        data.extend([(feats, "pos" if label else "neg")] * repeat)
    classifier = bayes_class()()
    classifier.train(data)
    prune(classifier, min_count)
    return classifier


def prune(classifier: Any, min_count: int) -> None:
    """Drop features with fewer than ``min_count`` observations over all classes (keeps the file small).

    SnowNLP's AddOneProb stores count+1 per key and keeps ``total`` as the sum of stored values, so
    totals are recomputed after the deletion; a pruned feature then scores like an unseen one.
    """
    counts: dict[str, int] = {}
    for prob in classifier.d.values():
        for key, value in prob.d.items():
            counts[key] = counts.get(key, 0) + int(value) - 1
    for prob in classifier.d.values():
        prob.d = {k: v for k, v in prob.d.items() if counts[k] >= min_count}
        prob.total = float(sum(prob.d.values()))
    classifier.total = sum(prob.getsum() for prob in classifier.d.values())


def evaluate_sets(
    model: SentimentModel, sets: dict[str, tuple[list[Example], list[Example]]]
) -> dict[str, dict[str, float]]:
    """Accuracy (threshold 0.5) and size of every held-out part."""
    out: dict[str, dict[str, float]] = {}
    for name, (_, test) in sets.items():
        report = binary_report([ex[1] for ex in test], [model.score(ex[0]) for ex in test])
        out[name] = {"accuracy": round(report.accuracy, 4), "n": float(len(test))}
    return out


def save_model(classifier: Any, directory: Path, meta: dict[str, Any]) -> SentimentModel:
    """Write ``sentiment.marshal.3`` (gzip+marshal, SnowNLP's format) and the JSON sidecar."""
    directory.mkdir(parents=True, exist_ok=True)
    # Same layout as SnowNLP's Bayes.save (gzip of marshal {"total", "d": {class: AddOneProb.__dict__}},
    # read back by Bayes.load), but with a fixed gzip timestamp so that retraining on the same data gives
    # a byte-identical file and therefore the same version string.
    payload = {"total": classifier.total, "d": {k: v.__dict__ for k, v in classifier.d.items()}}
    data = gzip.compress(marshal.dumps(payload), mtime=0)
    (directory / (MODEL_NAME + ".marshal.3")).write_bytes(data)
    digest = file_digest(directory / (MODEL_NAME + ".marshal.3"))
    version = f"snownlp-bayes-{FEATURE_VERSION}-{digest[:10]}"
    full = {"version": version, "features": FEATURE_VERSION, "sha256": digest, **meta}
    (directory / (MODEL_NAME + ".json")).write_text(
        json.dumps(full, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return SentimentModel.create(classifier, version)


def train(cfg: TrainConfig, out_dir: Path) -> tuple[SentimentModel, dict[str, dict[str, float]]]:
    """Load, featurise, train, save, then measure every held-out part with the saved model."""
    sets = load_sets(cfg)
    docs = [
        (featurize(text), label, cfg.weights.get(name, 1))
        for name, (train_part, _) in sets.items()
        for text, label in train_part
    ]
    docs.extend((featurize(term), label, cfg.seed_repeat) for term, label in load_seed())
    classifier = train_classifier(docs, cfg.min_count)
    sizes = {name: {"train": len(tr), "test": len(te)} for name, (tr, te) in sets.items()}
    meta: dict[str, Any] = {
        "seed": cfg.seed,
        "weights": cfg.weights,
        "min_count": cfg.min_count,
        "sizes": sizes,
    }
    model = save_model(classifier, out_dir, meta)
    metrics = evaluate_sets(model, sets)
    meta_path = out_dir / (MODEL_NAME + ".json")
    full = json.loads(meta_path.read_text(encoding="utf-8"))
    full["accuracy"] = {name: m["accuracy"] for name, m in metrics.items()}
    meta_path.write_text(json.dumps(full, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return model, metrics
