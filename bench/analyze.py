"""Benchmark: `yuqing analyze` against a plain loop of ``SnowNLP(text).sentiments``.

Usage: .venv/bin/python bench/analyze.py [--n 10000] [--baseline-n 1000] [--workers 2] [--data DIR]

The same N texts (lengths uniform in 20–300 characters, cut from the shared public data sets when
present, else built from the project's own evaluation messages) go through
- ``python -m tracker.cli analyze --workers W`` as a subprocess: wall time including process start and
  model load; peak resident memory of the largest process (getrusage of the waited-for children) and
  of the whole process tree (sampled /proc every 50 ms);
- a plain loop of ``SnowNLP(text).sentiments`` in a separate process: timed on an evenly spaced subset
  of ``--baseline-n`` texts and extrapolated to N (the import of snownlp is not counted).
Targets (issue 4): ratio ≥ 20×, analysis process < 250 MiB.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
BASELINE = """
import sys, time
from snownlp import SnowNLP
texts = [line.rstrip("\\n") for line in open(sys.argv[1], encoding="utf-8")]
t0, c0 = time.monotonic(), time.process_time()
for t in texts:
    SnowNLP(t).sentiments
print(time.monotonic() - t0, time.process_time() - c0)
"""


def source_texts(data: Path) -> tuple[list[str], str]:
    base = data / "sentiment"
    if (base / "smp2020_virus_train.jsonl").is_file():
        import csv

        texts = [
            json.loads(line)["content"]
            for line in (base / "smp2020_virus_train.jsonl").open(encoding="utf-8")
        ]
        for name in ("waimai_10k.csv", "ChnSentiCorp_htl_all.csv", "online_shopping_10_cats.csv"):
            if (base / name).is_file():
                with (base / name).open(encoding="utf-8-sig", newline="") as f:
                    texts.extend(row["review"] for row in csv.DictReader(f) if row.get("review"))
        return [t for t in texts if t.strip()], f"公开数据集 {base}"
    rows = []
    for path in sorted((ROOT / "analysis" / "eval").glob("*.jsonl")):
        rows += [json.loads(line)["text"] for line in path.open(encoding="utf-8") if line.strip()]
    return rows, "项目自带的评估留言（未找到共享数据）"


def make_texts(pool: list[str], n: int, seed: int = 4) -> list[str]:
    """N texts with lengths uniform in 20–300, each built from random pool texts (one line each)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        target = rng.randint(20, 300)
        text = ""
        while len(text) < target:
            text += rng.choice(pool).replace("\n", " ").replace("\r", " ") + "。"
        out.append(text[:target])
    return out


def _kib(text: str, key: str) -> int:
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def tree_memory_kib(root_pid: int) -> tuple[int, int]:
    """(sum of RSS, sum of PSS) over a process and its descendants (Linux /proc).

    RSS counts pages shared between the forked workers once per process; PSS splits them, so the PSS
    sum is the memory the analysis really occupies.
    """
    children: dict[int, list[int]] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        children.setdefault(_kib(text, "PPid"), []).append(_kib(text, "Pid"))
    rss = pss = 0
    stack = [root_pid]
    while stack:
        pid = stack.pop()
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        rss += _kib(rollup, "Rss")
        pss += _kib(rollup, "Pss")
        stack.extend(children.get(pid, []))
    return rss, pss


def run_analyze(path: Path, workers: int) -> tuple[float, float, int, int, int]:
    """Wall seconds, CPU seconds (all processes) and peak memory (KiB: largest single RSS, tree RSS sum,
    tree PSS sum) of `yuqing analyze`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cmd = [sys.executable, "-m", "tracker.cli", "analyze", "--workers", str(workers)]
    peak_rss = peak_pss = 0
    t0 = time.monotonic()
    with path.open("rb") as stdin, tempfile.TemporaryFile() as stdout:
        proc = subprocess.Popen(cmd, stdin=stdin, stdout=stdout, cwd=ROOT)

        def sample() -> None:
            nonlocal peak_rss, peak_pss
            while proc.poll() is None:
                rss, pss = tree_memory_kib(proc.pid)
                peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
                time.sleep(0.05)

        sampler = threading.Thread(target=sample)
        sampler.start()
        proc.wait()
        elapsed = time.monotonic() - t0
        sampler.join()
        stdout.seek(0)
        lines = stdout.read().decode().splitlines()
    if proc.returncode != 0:
        raise SystemExit(f"yuqing analyze 失败，退出码 {proc.returncode}")
    n_in = sum(1 for _ in path.open(encoding="utf-8"))
    if len(lines) != n_in:
        raise SystemExit(f"输出 {len(lines)} 行，输入 {n_in} 行")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return elapsed, cpu, after.ru_maxrss, peak_rss, peak_pss


def run_baseline(texts: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of the plain SnowNLP loop (import excluded)."""
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".txt", delete=False) as f:
        f.write("\n".join(texts) + "\n")
    try:
        out = subprocess.run(
            [sys.executable, "-c", BASELINE, f.name], capture_output=True, text=True, check=True
        )
    finally:
        Path(f.name).unlink()
    wall, cpu = out.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description="yuqing analyze 与 SnowNLP 逐条循环的吞吐对比")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--baseline-n", type=int, default=1000, help="SnowNLP 基线实测条数（其余外推）")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()

    pool, origin = source_texts(args.data)
    texts = make_texts(pool, args.n)
    chars = sum(map(len, texts))
    print(f"文本：{len(texts)} 条，平均 {chars / len(texts):.0f} 字（20–300 字均匀分布），来源：{origin}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "texts.txt"
        path.write_text("\n".join(texts) + "\n", encoding="utf-8")
        elapsed, cpu, single, tree_rss, tree_pss = run_analyze(path, args.workers)
    ours = len(texts) / elapsed
    print(
        f"yuqing analyze（--workers {args.workers}，含进程启动与模型加载）：{elapsed:.1f} 秒，{ours:.0f} 条/秒；"
        f"CPU 合计 {cpu:.1f} 秒"
    )
    print(
        f"  峰值内存：单个进程 RSS 最大 {single / 1024:.0f} MiB；进程树 RSS 合计 {tree_rss / 1024:.0f} MiB"
        f"（共享页重复计算），PSS 合计 {tree_pss / 1024:.0f} MiB"
    )

    step = max(1, len(texts) // args.baseline_n)
    subset = texts[::step][: args.baseline_n]
    base_elapsed, base_cpu = run_baseline(subset)
    base_rate = len(subset) / base_elapsed
    print(
        f"SnowNLP(text).sentiments 单进程循环：实测 {len(subset)} 条用时 {base_elapsed:.1f} 秒，"
        f"{base_rate:.1f} 条/秒（外推 {len(texts)} 条约 {len(texts) / base_rate:.0f} 秒；不含 import）"
    )
    print(f"吞吐比（墙钟）：{ours / base_rate:.1f}×（目标 ≥ 20×）；单进程内存目标 < 250 MiB")
    # Per CPU second the comparison does not depend on how busy the other cores are.
    cpu_ratio = (len(texts) / cpu) / (len(subset) / base_cpu)
    print(f"每 CPU 秒处理量之比：{cpu_ratio:.1f}×（本机其他负载对它影响较小）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
