from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.features import tokenizer, words
from analysis.normalize import normalize
from analysis.segment import FastCutter

EVAL_DIR = Path(__file__).resolve().parents[2] / "analysis" / "eval"
TRICKY = [
    "",
    "   ",
    "ＡＢＣ abc 123 4.5% C++ #话题# 😡 ",
    "covid-19 疫情 PM2.5超标，12345热线打不通",
    "不满意不满意不满意！！！没有回复？？",
    "南京市长江大桥欢迎您",
    "a1b2 c3 测试x测试 y",
    "\r\n换行\t制表\u3000全角空格",
]


def eval_texts() -> list[str]:
    return [
        json.loads(line)["text"]
        for f in sorted(EVAL_DIR.glob("*.jsonl"))
        for line in f.open(encoding="utf-8")
    ]


@pytest.mark.parametrize("text", TRICKY)
def test_same_words_as_jieba(text: str) -> None:
    tk = tokenizer()
    assert list(FastCutter(tk).cut(text)) == list(tk.cut(text, HMM=False))


def test_same_words_as_jieba_on_all_eval_messages() -> None:
    tk = tokenizer()
    cutter = FastCutter(tk)
    for text in eval_texts():
        for variant in (text, normalize(text)):
            assert list(cutter.cut(variant)) == list(tk.cut(variant, HMM=False)), variant


def test_domain_dictionary_is_used() -> None:
    assert "农民工工资" in words("拖欠农民工工资")
    assert "推诿扯皮" in words("部门推诿扯皮")
