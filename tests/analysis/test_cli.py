from __future__ import annotations

import json
import selectors
import subprocess
import sys
from pathlib import Path

import pytest

import analysis

ROOT = Path(__file__).resolve().parents[2]


def yuqing(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "tracker.cli", *args], input=stdin, capture_output=True, cwd=ROOT, timeout=120
    )


def test_analyze_keeps_input_order_across_workers() -> None:
    texts = [
        f"第{i}号投诉：小区门口道路积水严重，多次反映没有回复" if i % 3 else f"感谢{i}号窗口热情服务"
        for i in range(23)
    ]
    texts[5] = ""  # an empty line is still one result
    proc = yuqing("analyze", "--workers", "2", "--batch-size", "3", stdin=("\n".join(texts) + "\n").encode())
    assert proc.returncode == 0, proc.stderr.decode()
    rows = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert rows == [a.to_json() for a in analysis.analyze(texts)]


def test_analyze_survives_undecodable_bytes() -> None:
    proc = yuqing(
        "analyze", "--workers", "1", stdin=b"\xff\xfe bad\n\xe9\x81\x93\xe8\xb7\xaf\xe7\xa7\xaf\xe6\xb0\xb4\n"
    )
    assert proc.returncode == 0, proc.stderr.decode()
    rows = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert len(rows) == 2
    assert rows[1]["category"] == "urban_management"  # 道路积水


def test_analyze_streams_before_input_ends() -> None:
    """Results come out while stdin is still open: the input is not read into memory first."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracker.cli", "analyze", "--workers", "2", "--batch-size", "1"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write("道路积水没人管\n".encode() * 8)
        proc.stdin.flush()
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        assert sel.select(timeout=60), "no output while stdin was still open"
        first = json.loads(proc.stdout.readline())
        assert first["label"] == "negative"
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)
    assert proc.returncode == 0


def test_analyze_rejects_bad_worker_count() -> None:
    proc = yuqing("analyze", "--workers", "0")
    assert proc.returncode == 2
    assert "--workers" in proc.stderr.decode()


def test_eval_sentiment(tmp_path: Path) -> None:
    f = tmp_path / "s.tsv"
    f.write_text(
        "1\t服务很好，非常满意\n0\t道路积水严重没人管\n0\t对处理结果不满意\n1\t感谢及时处理\n",
        encoding="utf-8",
    )
    proc = yuqing("eval", "sentiment", str(f))
    out = proc.stdout.decode()
    assert proc.returncode == 0, proc.stderr.decode()
    assert "样本 4 条，阈值 0.5 准确率 1.0000" in out
    assert "正面：精确率" in out and "负面：精确率" in out
    assert out.count("\n  0.") == 9  # the sweep 0.1 … 0.9


def test_eval_sentiment_names_the_bad_line(tmp_path: Path) -> None:
    f = tmp_path / "s.tsv"
    f.write_text("1\t好\n正面\t好\n", encoding="utf-8")
    proc = yuqing("eval", "sentiment", str(f))
    assert proc.returncode == 2
    assert "第 2 行" in proc.stderr.decode()


def test_eval_categories(tmp_path: Path) -> None:
    f = tmp_path / "c.jsonl"
    rows = [
        {"text": "拖欠农民工工资半年", "category": "wage_arrears"},
        {"text": "道路积水严重", "category": "urban_management"},
        {"text": "今天天气真好", "category": "transport"},
    ]
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    proc = yuqing("eval", "categories", str(f))
    out = proc.stdout.decode()
    assert proc.returncode == 0, proc.stderr.decode()
    assert "样本 3 条，准确率 0.6667" in out
    assert "transport → other：1" in out


def test_eval_categories_rejects_unknown_codes(tmp_path: Path) -> None:
    f = tmp_path / "c.jsonl"
    f.write_text('{"text": "x", "category": "nope"}\n', encoding="utf-8")
    proc = yuqing("eval", "categories", str(f))
    assert proc.returncode == 2
    assert "nope" in proc.stderr.decode()


@pytest.mark.slow
def test_train_sentiment_on_a_small_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data" / "sentiment"
    data.mkdir(parents=True)
    pos = ["感谢政府及时处理", "服务热情点赞", "问题解决了很满意", "办事效率高", "为社区工作人员点赞"]
    neg = ["道路积水没人管", "拖欠工资不发", "噪音扰民睡不着", "投诉多次没有回复", "态度恶劣推诿扯皮"]
    labels = {1: "happy", 0: "angry"}
    lines = [
        json.dumps({"id": i, "content": f"{t}{i}", "label": labels[y]}, ensure_ascii=False)
        for i, (t, y) in enumerate([(t, 1) for t in pos * 6] + [(t, 0) for t in neg * 6])
    ]
    (data / "smp2020_virus_train.jsonl").write_text("\n".join(lines), encoding="utf-8")
    (data / "waimai_10k.csv").write_text("label,review\n1,很快很好吃\n0,送餐太慢了\n" * 5, encoding="utf-8")
    out = tmp_path / "models"
    shipped = (ROOT / "analysis" / "models" / "sentiment.marshal.3").read_bytes()
    proc = yuqing("train", "sentiment", "--data", str(tmp_path / "data"), "--out", str(out), "--seed", "7")
    assert proc.returncode == 0, proc.stderr.decode()
    assert "smp" in proc.stdout.decode() and "准确率" in proc.stdout.decode()
    meta = json.loads((out / "sentiment.json").read_text(encoding="utf-8"))
    assert meta["seed"] == 7 and meta["sizes"]["smp"]["test"] > 0
    assert (out / "sentiment.marshal.3").stat().st_size > 0
    assert (ROOT / "analysis" / "models" / "sentiment.marshal.3").read_bytes() == shipped  # --out respected


def test_train_sentiment_without_data_is_a_clear_error(tmp_path: Path) -> None:
    proc = yuqing("train", "sentiment", "--data", str(tmp_path), "--out", str(tmp_path / "m"))
    assert proc.returncode == 2
    assert "找不到训练数据" in proc.stderr.decode()
