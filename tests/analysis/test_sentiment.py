from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import analysis
from analysis.features import sentiment_features, words
from analysis.sentiment import MODELS_DIR, NEUTRAL, SentimentModel, default_model, load_model
from analysis.training import is_held_out, prune, save_model, train_classifier


@pytest.mark.parametrize(
    "text", ["不满意", "没有回复", "毫无作为", "对处理结果很不满意", "反映了三次都没有回复"]
)
def test_negated_phrases_do_not_read_as_positive(text: str) -> None:
    assert default_model().score(text) < 0.5


def test_negation_flips_the_word() -> None:
    model = default_model()
    assert model.score("满意") > 0.5 > model.score("不满意")


def test_negator_joins_the_next_content_word() -> None:
    assert list(sentiment_features(words("很不满意"))) == ["不_满意", "不_满意", "不"]
    assert "不_回复" in list(sentiment_features(words("没有人回复")))


def test_citizen_complaint_is_negative_and_thanks_positive() -> None:
    model = default_model()
    assert model.score("市民反映道路积水严重") < 0.5
    assert model.score("问题当天就解决了，感谢工作人员，为你们点赞") > 0.5


@pytest.mark.parametrize("text", ["", "   ", "\u200b\u200b", "\n\t"])
def test_empty_text_is_neutral(text: str) -> None:
    assert default_model().score(text) == NEUTRAL
    (result,) = analysis.analyze([text])
    assert result.sentiment == NEUTRAL
    assert result.label == "positive"
    assert result.category == "other"
    assert result.simhash == 0


def test_very_long_input() -> None:
    text = ("小区门口道路积水严重，多次反映没有回复。" * 5000)[:100_000]
    (result,) = analysis.analyze([text])
    assert 0.0 <= result.sentiment <= 1.0
    assert result.label == "negative"
    assert result.category == "urban_management"


def test_traditional_and_simplified_score_the_same() -> None:
    simp, trad, mixed = analysis.analyze(
        ["某公司拖欠员工工资已经三个月", "某公司拖欠員工工資已經三個月", "某公司拖欠員工工资已经三個月"]
    )
    assert simp.sentiment == trad.sentiment == mixed.sentiment
    assert simp.category == trad.category == mixed.category == "wage_arrears"


def test_emoji_and_zero_width_characters() -> None:
    plain, decorated = analysis.analyze(
        ["拖欠农民工工资半年了没人管", "拖欠\u200b农民工工资半年了没人管😡😡\u200d"]
    )
    assert decorated.category == plain.category == "wage_arrears"
    assert decorated.sentiment < 0.5
    assert decorated.simhash == plain.simhash


def test_every_result_records_the_model_version() -> None:
    meta = json.loads((MODELS_DIR / "sentiment.json").read_text(encoding="utf-8"))
    results = analysis.analyze(["好", "差"])
    assert {r.model for r in results} == {meta["version"]}
    assert results[0].to_json()["model"] == meta["version"]


def test_to_json_shape() -> None:
    (result,) = analysis.analyze(["学校食堂饭菜变质，多名学生腹泻送医"])
    data = result.to_json()
    assert set(data) == {"sentiment", "label", "category", "categories", "model", "simhash", "key_terms"}
    assert data["category"] == "food_drug_safety"
    first = data["categories"][0]  # type: ignore[index]
    assert first["code"] == "food_drug_safety" and first["name"] == "食品药品安全" and first["evidence"]
    assert 0 <= int(data["simhash"]) < 2**64  # type: ignore[call-overload]
    assert {"学校食堂", "变质", "腹泻"} <= set(data["key_terms"])  # type: ignore[call-overload]


def test_import_stays_light_and_snownlp_package_is_not_loaded() -> None:
    code = (
        "import sys, analysis, analysis.taxonomy\n"
        "assert 'jieba' not in sys.modules, 'jieba loaded at import'\n"
        "analysis.analyze(['测试'])\n"
        "assert 'snownlp' not in sys.modules, 'snownlp/__init__ ran'\n"
        "assert 'snownlp.sentiment' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


def test_held_out_split_is_fixed_and_about_a_fifth() -> None:
    texts = [f"第{i}条测试文本" for i in range(5000)]
    held = [t for t in texts if is_held_out(t)]
    assert 0.18 < len(held) / len(texts) < 0.22
    assert held == [t for t in texts if is_held_out(t)]


def _tiny_classifier() -> object:
    pos = ["服务很好非常满意", "处理及时点赞", "感谢工作人员热情"]
    neg = ["道路积水没人管", "拖欠工资不发", "噪音扰民很严重"]
    docs = [(list(sentiment_features(words(t))), 1, 1) for t in pos]
    docs += [(list(sentiment_features(words(t))), 0, 1) for t in neg]
    return train_classifier(docs, min_count=1)


def test_save_and_load_roundtrip(tmp_path: Path) -> None:
    saved = save_model(_tiny_classifier(), tmp_path, {"note": "test"})
    loaded = load_model(tmp_path)
    assert loaded.version == saved.version
    assert loaded.score("点赞") > 0.5 > loaded.score("积水")


def test_saving_is_byte_reproducible(tmp_path: Path) -> None:
    a = save_model(_tiny_classifier(), tmp_path / "a", {})
    b = save_model(_tiny_classifier(), tmp_path / "b", {})
    assert a.version == b.version


def test_prune_drops_rare_features() -> None:
    docs = [(["积水", "积水", "路灯"], 0, 1), (["点赞"], 1, 1), (["点赞", "及时"], 1, 1)]
    classifier = train_classifier(docs, min_count=2)
    kept = {word for prob in classifier.d.values() for word in prob.d}
    assert kept == {"积水", "点赞"}
    # totals are recomputed so that probabilities still sum up
    assert classifier.total == sum(sum(p.d.values()) for p in classifier.d.values())
    prune(classifier, 3)
    assert {word for prob in classifier.d.values() for word in prob.d} == set()


def test_tampered_model_is_refused(tmp_path: Path) -> None:
    for name in ("sentiment.json", "sentiment.marshal.3"):
        shutil.copy(MODELS_DIR / name, tmp_path / name)
    with (tmp_path / "sentiment.marshal.3").open("ab") as f:
        f.write(b"x")
    with pytest.raises(ValueError, match="校验和"):
        load_model(tmp_path)


def test_missing_model_names_the_command(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="yuqing train sentiment"):
        load_model(tmp_path)


def test_fast_path_equals_snownlp_bayes_classify() -> None:
    model = default_model()
    assert model.odds is not None
    slow = SentimentModel(classifier=model.classifier, version=model.version)  # no precomputed table
    texts = [
        "不满意",
        "市民反映道路积水严重",
        "感谢政府及时处理",
        "这家店的菜一般般，送餐还算快",
        "完全没见过的词汇组合",
    ]
    for text in texts:
        assert model.score(text) == pytest.approx(slow.score(text), abs=1e-9)
