"""Evaluation metrics for the sentiment model and the category classifier (pure functions).

Reports are plain dataclasses; the CLI formats them in Chinese.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ClassStats:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class BinaryReport:
    threshold: float
    accuracy: float
    n: int
    positive: ClassStats
    negative: ClassStats


def _stats(label: str, tp: int, fp: int, fn: int) -> ClassStats:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return ClassStats(label, precision, recall, f1, tp + fn)


def binary_report(gold: Sequence[int], scores: Sequence[float], threshold: float = 0.5) -> BinaryReport:
    """Accuracy and per-class precision/recall when ``score >= threshold`` means positive (1)."""
    if len(gold) != len(scores):
        raise ValueError("标签与分数数量不一致")
    tp = fp = tn = fn = 0
    for g, s in zip(gold, scores, strict=True):
        pred = 1 if s >= threshold else 0
        if pred and g:
            tp += 1
        elif pred:
            fp += 1
        elif g:
            fn += 1
        else:
            tn += 1
    n = len(gold)
    return BinaryReport(
        threshold=threshold,
        accuracy=(tp + tn) / n if n else 0.0,
        n=n,
        positive=_stats("positive", tp, fp, fn),
        negative=_stats("negative", tn, fn, fp),
    )


def threshold_sweep(
    gold: Sequence[int], scores: Sequence[float], thresholds: Sequence[float] | None = None
) -> list[BinaryReport]:
    """Reports at 0.1, 0.2 … 0.9 (or the given thresholds)."""
    steps = thresholds if thresholds is not None else [round(0.1 * i, 1) for i in range(1, 10)]
    return [binary_report(gold, scores, t) for t in steps]


@dataclass(frozen=True)
class MultiReport:
    accuracy: float
    macro_f1: float
    n: int
    per_class: tuple[ClassStats, ...]  # classes present in gold or predictions, sorted by code
    confusion: dict[tuple[str, str], int]  # (gold, predicted) -> count

    def labels(self) -> list[str]:
        return [c.label for c in self.per_class]


def multiclass_report(gold: Sequence[str], pred: Sequence[str]) -> MultiReport:
    """Accuracy, macro-F1 over the classes that occur in gold, and the confusion counts."""
    if len(gold) != len(pred):
        raise ValueError("标签与预测数量不一致")
    confusion = Counter(zip(gold, pred, strict=True))
    labels = sorted(set(gold) | set(pred))
    per_class = []
    for label in labels:
        tp = confusion[(label, label)]
        fp = sum(v for (g, p), v in confusion.items() if p == label and g != label)
        fn = sum(v for (g, p), v in confusion.items() if g == label and p != label)
        per_class.append(_stats(label, tp, fp, fn))
    gold_classes = [c for c in per_class if c.support > 0]
    macro = sum(c.f1 for c in gold_classes) / len(gold_classes) if gold_classes else 0.0
    correct = sum(v for (g, p), v in confusion.items() if g == p)
    n = len(gold)
    return MultiReport(
        accuracy=correct / n if n else 0.0,
        macro_f1=macro,
        n=n,
        per_class=tuple(per_class),
        confusion=dict(confusion),
    )
