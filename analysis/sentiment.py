"""Sentiment scores from SnowNLP's naive-Bayes classifier, retrained on public-affairs text.

We own the classifier instance (``SentimentModel``) instead of using ``snownlp.sentiment``'s module-level
global, which ``train()``/``load()`` swap under running threads. The model file lives in
``analysis/models/`` next to a JSON sidecar with its version, feature scheme and measured accuracy; the
version string is recorded with every score so a stored score can be traced to the model that made it.

Model files are ``marshal`` data (SnowNLP's format): load only the files shipped with the project or
trained locally, never a file from an untrusted source.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import math
import sys
import threading
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from analysis.features import FEATURE_VERSION, sentiment_features, words
from analysis.normalize import normalize

MODELS_DIR: Final = Path(__file__).resolve().parent / "models"
MODEL_NAME: Final = "sentiment"  # SnowNLP's Bayes.save/load append ".3" on Python 3
NEUTRAL: Final = 0.5
_ALIAS: Final = "_yuqing_snownlp"


def bayes_class() -> Any:
    """SnowNLP's ``Bayes`` class without executing ``snownlp/__init__.py``.

    Importing ``snownlp.classification.bayes`` the normal way runs the package ``__init__``, which loads
    every SnowNLP model (2.4 s, ~420 MiB). The Bayes module only needs ``snownlp.utils``, so we import
    the same files under a private package name whose ``__path__`` is SnowNLP's directory.
    """
    if "snownlp" in sys.modules:  # already paid for by someone else: reuse it
        return importlib.import_module("snownlp.classification.bayes").Bayes
    if _ALIAS not in sys.modules:
        spec = importlib.util.find_spec("snownlp")  # locates the package without running it
        if spec is None or not spec.submodule_search_locations:
            raise ModuleNotFoundError("未安装 snownlp（requirements.txt 中的依赖）")
        package = types.ModuleType(_ALIAS)
        package.__path__ = list(spec.submodule_search_locations)
        sys.modules[_ALIAS] = package
    return importlib.import_module(_ALIAS + ".classification.bayes").Bayes


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class LogOdds:
    """The two-class Bayes model as log-odds, precomputed from the SnowNLP classifier's counts.

    ``Bayes.classify`` recomputes two logarithms per word and class on every call; for two classes
    its posterior is exactly ``sigmoid(prior + Σ log(P(w|pos)/P(w|neg)))`` with the same add-one counts,
    so we precompute each word's term once. An unseen word contributes ``log(total_neg/total_pos)``,
    as in ``Bayes`` (AddOneProb gives it count 1 in both classes).
    """

    prior: float
    unseen: float
    table: dict[str, float]

    @classmethod
    def from_bayes(cls, classifier: Any) -> LogOdds:
        pos, neg = classifier.d["pos"], classifier.d["neg"]
        lp_tot, ln_tot = math.log(pos.getsum()), math.log(neg.getsum())
        unseen = ln_tot - lp_tot
        table: dict[str, float] = {}
        for word in pos.d.keys() | neg.d.keys():
            table[word] = math.log(pos.d.get(word, 1)) - lp_tot - math.log(neg.d.get(word, 1)) + ln_tot
        return cls(prior=lp_tot - ln_tot, unseen=unseen, table=table)

    def probability(self, features: list[str]) -> float:
        get = self.table.get
        z = self.prior + sum(get(f, self.unseen) for f in features)
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)


@dataclass(frozen=True)
class SentimentModel:
    """A loaded classifier plus the version string recorded with its scores."""

    classifier: Any  # snownlp Bayes (untyped third-party class)
    version: str
    odds: LogOdds | None = None  # fast path; None scores with classifier.classify

    @classmethod
    def create(cls, classifier: Any, version: str) -> SentimentModel:
        odds = LogOdds.from_bayes(classifier) if set(classifier.d) == {"pos", "neg"} else None
        return cls(classifier=classifier, version=version, odds=odds)

    def score_tokens(self, tokens: list[str]) -> float:
        """P(positive) from jieba words of normalised text; 0.5 when there is no evidence at all."""
        features = list(sentiment_features(tokens))
        if not features:
            return NEUTRAL
        if self.odds is not None:
            return self.odds.probability(features)
        label, prob = self.classifier.classify(features)
        return float(prob) if label == "pos" else 1.0 - float(prob)

    def score(self, text: str) -> float:
        """P(positive) of a raw text; empty or whitespace-only text is neutral (0.5)."""
        clean = normalize(text)
        return self.score_tokens(words(clean)) if clean else NEUTRAL


def load_model(directory: Path = MODELS_DIR) -> SentimentModel:
    """Load ``sentiment.marshal.3`` and its ``sentiment.json`` sidecar from ``directory``."""
    meta_path = directory / (MODEL_NAME + ".json")
    model_path = directory / (MODEL_NAME + ".marshal.3")
    if not meta_path.is_file() or not model_path.is_file():
        raise FileNotFoundError(f"找不到情感模型文件：{model_path}（请先运行 yuqing train sentiment）")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("features") != FEATURE_VERSION:
        raise ValueError(
            f"情感模型 {model_path} 的特征版本 {meta.get('features')!r} 与代码 {FEATURE_VERSION!r} 不一致，"
            "请重新训练（yuqing train sentiment）"
        )
    if meta.get("sha256") != file_digest(model_path):
        raise ValueError(f"情感模型 {model_path} 与 {meta_path.name} 记录的校验和不一致，文件可能被改动")
    classifier = bayes_class()()
    classifier.load(str(directory / (MODEL_NAME + ".marshal")))
    return SentimentModel.create(classifier, str(meta["version"]))


_lock = threading.Lock()
_default: SentimentModel | None = None


def default_model() -> SentimentModel:
    """The shipped model, loaded once per process on first use (thread-safe)."""
    global _default
    if _default is None:
        with _lock:
            if _default is None:
                _default = load_model()
    return _default
