"""Splitting long texts into utterances for French, English, Chinese and Japanese."""

from tts_alex.textsplit import CLAUSE_PAUSE, PARAGRAPH_PAUSE, SENTENCE_PAUSE, cost, split_text


def texts(text: str, max_cost: int = 300) -> list[str]:
    return [piece.text for piece in split_text(text, max_cost)]


def test_french_sentences_keep_their_punctuation_and_quotes() -> None:
    assert texts("Bonjour. Il fait 3.14 degrés ! « Vraiment ? » Oui… Enfin.") == [
        "Bonjour.", "Il fait 3.14 degrés !", "« Vraiment ? »", "Oui…", "Enfin.",
    ]  # fmt: skip


def test_english_sentences_and_decimal_points() -> None:
    assert texts('He said "stop." Then he left! Version 2.5 is out?') == [
        'He said "stop."', "Then he left!", "Version 2.5 is out?",
    ]  # fmt: skip


def test_chinese_and_japanese_need_no_spaces() -> None:
    assert texts("你好。今天天气很好！我们去公园吧？") == ["你好。", "今天天气很好！", "我们去公园吧？"]
    assert texts("こんにちは。元気ですか？「はい。」") == ["こんにちは。", "元気ですか？", "「はい。」"]


def test_pauses_between_sentences_and_paragraphs_none_at_the_end() -> None:
    pieces = split_text("Un. Deux.\n\nTrois.")
    assert [p.pause_after for p in pieces] == [SENTENCE_PAUSE, PARAGRAPH_PAUSE, 0.0]


def test_long_sentence_is_cut_at_clauses_then_words_then_characters() -> None:
    sentence = ", ".join(["une proposition assez longue"] * 20) + "."
    parts = texts(sentence, max_cost=100)
    assert len(parts) > 1 and all(cost(p) <= 100 for p in parts)
    assert " ".join(parts).replace(" ,", ",") == sentence
    words = "mot " * 100
    assert all(cost(p) <= 50 for p in texts(words, max_cost=50))
    assert "".join(texts("x" * 250, max_cost=100)) == "x" * 250
    cjk = "中文" * 100
    parts = texts(cjk, max_cost=90)
    assert "".join(parts) == cjk and all(cost(p) <= 90 for p in parts)


def test_clause_cut_inside_a_long_chinese_sentence() -> None:
    sentence = "，".join(["这是一个相当长的句子"] * 12) + "。"
    parts = split_text(sentence, max_cost=100)
    assert "".join(p.text for p in parts) == sentence
    assert all(cost(p.text) <= 100 for p in parts)
    assert parts[0].pause_after == CLAUSE_PAUSE and parts[-1].pause_after == 0.0


def test_cost_counts_cjk_as_three() -> None:
    assert cost("abc") == 3 and cost("中文") == 6
