"""CLI for the analysis package: ``train sentiment``, ``eval sentiment|categories``, ``analyze``.

Thin wrappers: the logic lives in ``analysis.training``, ``analysis.evaluate`` and ``analysis.stream``.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from typing import TextIO

from tracker.errors import UserError

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    train = sub.add_parser("train", help="训练模型").add_subparsers(dest="what", metavar="对象")
    p = train.add_parser("sentiment", help="用公开数据重新训练情感模型，写入 analysis/models/")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"数据目录（默认 {DEFAULT_DATA}）")
    p.add_argument("--seed", type=int, default=None, help="抽样随机种子（默认取训练配置中的固定值）")
    p.add_argument("--out", type=Path, default=None, help="模型输出目录（默认 analysis/models/）")
    p.set_defaults(func=cmd_train_sentiment)

    ev = sub.add_parser("eval", help="评估模型").add_subparsers(dest="what", metavar="对象")
    p = ev.add_parser("sentiment", help="评估情感模型：TSV 文件，每行 标签<TAB>文本（1 正面 / 0 负面）")
    p.add_argument("file", type=Path)
    p.set_defaults(func=cmd_eval_sentiment)
    p = ev.add_parser("categories", help='评估分类：JSONL 文件，每行 {"text": …, "category": 代码}')
    p.add_argument("file", type=Path)
    p.set_defaults(func=cmd_eval_categories)

    p = sub.add_parser("analyze", help="逐行读取标准输入的文本，逐行输出 JSON 分析结果")
    p.add_argument("--workers", type=int, default=2, help="进程数（默认 2；1 表示不启用子进程）")
    p.add_argument("--batch-size", type=int, default=256, help="每批文本数（默认 256）")
    p.set_defaults(func=cmd_analyze)


def cmd_train_sentiment(args: argparse.Namespace) -> int:
    from analysis.sentiment import MODELS_DIR
    from analysis.training import TrainConfig, train

    cfg = (
        TrainConfig(data_dir=args.data)
        if args.seed is None
        else TrainConfig(data_dir=args.data, seed=args.seed)
    )
    out = args.out or MODELS_DIR
    try:
        model, metrics = train(cfg, out)
    except FileNotFoundError as exc:
        raise UserError(str(exc)) from exc
    print(f"已写入模型 {out}，版本 {model.version}")
    print("留出集（按文本 MD5 固定划分的 20%）准确率：")
    for name, m in metrics.items():
        print(f"  {name:<10} 准确率 {m['accuracy']:.4f}  （{int(m['n'])} 条）")
    return 0


def _read_tsv(path: Path) -> tuple[list[int], list[str]]:
    labels: list[int] = []
    texts: list[str] = []
    try:
        with path.open(encoding="utf-8-sig") as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                label, sep, text = line.rstrip("\r\n").partition("\t")
                if not sep or label.strip() not in ("0", "1"):
                    raise UserError(f"{path} 第 {lineno} 行格式错误：应为 标签<TAB>文本，标签为 1 或 0")
                labels.append(int(label))
                texts.append(text)
    except OSError as exc:
        raise UserError(f"无法读取 {path}：{exc.strerror}") from exc
    if not labels:
        raise UserError(f"{path} 中没有可评估的行")
    return labels, texts


def cmd_eval_sentiment(args: argparse.Namespace) -> int:
    from analysis.evaluate import binary_report, threshold_sweep
    from analysis.sentiment import default_model

    labels, texts = _read_tsv(args.file)
    model = default_model()
    scores = [model.score(t) for t in texts]
    report = binary_report(labels, scores)
    print(f"模型 {model.version}，样本 {report.n} 条，阈值 0.5 准确率 {report.accuracy:.4f}")
    for name, c in (("正面", report.positive), ("负面", report.negative)):
        print(f"  {name}：精确率 {c.precision:.4f}  召回率 {c.recall:.4f}  F1 {c.f1:.4f}  （{c.support} 条）")
    print("阈值扫描（分数 ≥ 阈值 判为正面）：")
    print("  阈值  准确率  正面精确率  正面召回率  负面精确率  负面召回率")
    for r in threshold_sweep(labels, scores):
        print(
            f"  {r.threshold:.1f}   {r.accuracy:.4f}  {r.positive.precision:.4f}      {r.positive.recall:.4f}"
            f"      {r.negative.precision:.4f}      {r.negative.recall:.4f}"
        )
    return 0


def _read_jsonl(path: Path) -> tuple[list[str], list[str]]:
    texts: list[str] = []
    gold: list[str] = []
    try:
        with path.open(encoding="utf-8-sig") as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    text, code = row["text"], row["category"]
                except (ValueError, KeyError, TypeError) as exc:
                    msg = f'{path} 第 {lineno} 行不是 {{"text": …, "category": …}} 形式的 JSON'
                    raise UserError(msg) from exc
                texts.append(str(text))
                gold.append(str(code))
    except OSError as exc:
        raise UserError(f"无法读取 {path}：{exc.strerror}") from exc
    if not texts:
        raise UserError(f"{path} 中没有可评估的行")
    return texts, gold


def cmd_eval_categories(args: argparse.Namespace) -> int:
    from analysis.categories import classify
    from analysis.evaluate import multiclass_report
    from analysis.taxonomy import CATEGORIES

    texts, gold = _read_jsonl(args.file)
    unknown = sorted(set(gold) - set(CATEGORIES))
    if unknown:
        raise UserError(f"{args.file} 中有未知分类代码：{'、'.join(unknown)}")
    pred = [classify(t)[0].code for t in texts]
    report = multiclass_report(gold, pred)
    print(f"样本 {report.n} 条，准确率 {report.accuracy:.4f}，宏平均 F1 {report.macro_f1:.4f}")
    print("  分类代码                      精确率  召回率  F1      样本数")
    for c in report.per_class:
        print(f"  {c.label:<28}  {c.precision:.3f}   {c.recall:.3f}   {c.f1:.3f}   {c.support}")
    print("混淆（真实 → 预测：条数），仅列出错误：")
    errors = sorted(((g, p), n) for (g, p), n in report.confusion.items() if g != p)
    for (g, p), n in sorted(errors, key=lambda e: -e[1]):
        print(f"  {g} → {p}：{n}")
    if not errors:
        print("  （无）")
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    from analysis.stream import analyze_stream

    if args.workers < 1 or args.batch_size < 1:
        raise UserError("--workers 与 --batch-size 必须为正整数")
    lines = (line.rstrip("\r\n") for line in _stdin_lines())
    out = sys.stdout
    for n, row in enumerate(analyze_stream(lines, workers=args.workers, batch_size=args.batch_size), 1):
        out.write(row + "\n")
        if n % args.batch_size == 0:  # a reader downstream sees results batch by batch, not at the end
            out.flush()
    out.flush()
    return 0


def _stdin_lines() -> TextIO:
    """stdin as text lines; undecodable bytes become U+FFFD instead of aborting the stream."""
    return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace", newline="\n")
