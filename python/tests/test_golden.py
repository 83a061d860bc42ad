"""The package against Hugging Face: examples/synthetic-nli/golden.json (pair logits within 1e-4, zero-shot
pipeline outputs within 1e-5, tokenization exact)."""

from __future__ import annotations

import numpy as np
import pytest

import debertac

LOGITS_TOLERANCE = 1e-4
SCORES_TOLERANCE = 1e-5


def test_model_facts(model: debertac.Model, golden: dict) -> None:
    assert model.abi_version == debertac.ABI_VERSION
    assert model.labels == [golden["id2label"][str(i)] for i in range(len(golden["id2label"]))]
    assert model.num_labels == 3
    assert model.max_length == 128
    assert model.vocab_size == model.info["config"]["vocab_size"]
    assert model.has_tokenizer
    assert model.info["precision"] == "fp32"


def test_tokenize_matches_hugging_face(model: debertac.Model, golden: dict) -> None:
    for pair in golden["pairs"]:
        encoding = model.tokenize(pair["premise"], pair["hypothesis"])
        assert encoding.input_ids.dtype == np.int32
        assert encoding.input_ids.tolist() == pair["input_ids"]
        assert encoding.token_type_ids.tolist() == pair["token_type_ids"]
    assert len(model.tokenize(golden["pairs"][0]["premise"] * 40).input_ids) == model.max_length
    assert len(model.tokenize(golden["pairs"][0]["premise"], max_length=5).input_ids) == 5


def test_session_tokenize_truncates_to_the_session(model: debertac.Model, golden: dict) -> None:
    pair = golden["pairs"][0]
    with model.session(max_batch=1, max_length=12) as short:
        encoding = short.tokenize(pair["premise"], pair["hypothesis"])
        assert len(encoding.input_ids) == 12
        assert encoding.input_ids.tolist() == model.tokenize(pair["premise"], pair["hypothesis"], 12).input_ids.tolist()
        assert short.tokenize(pair["premise"], pair["hypothesis"], max_length=0).input_ids.tolist() == pair["input_ids"]


def test_classify_text_pairs(session: debertac.Session, golden: dict) -> None:
    pairs = golden["pairs"]  # more than max_batch (4): runs in chunks
    predictions = session.classify([p["premise"] for p in pairs], [p["hypothesis"] for p in pairs])
    assert len(predictions) == len(pairs)
    for prediction, pair in zip(predictions, pairs):
        np.testing.assert_allclose(prediction.logits, pair["logits"], rtol=0, atol=LOGITS_TOLERANCE)
        assert prediction.label == pair["label"]
        assert abs(sum(prediction.scores.values()) - 1) < 1e-5
        assert prediction.score == max(prediction.scores.values()) == prediction.scores[prediction.label]
    logits = session.classify_logits([pairs[0]["premise"]], [pairs[0]["hypothesis"]])
    assert logits.shape == (1, 3) and logits.dtype == np.float32


def test_single_texts_and_none_pairs(session: debertac.Session, golden: dict) -> None:
    premise = golden["pairs"][0]["premise"]
    alone = session.classify_logits([premise])
    mixed = session.classify_logits([premise, golden["pairs"][0]["premise"]], [None, golden["pairs"][0]["hypothesis"]])
    np.testing.assert_allclose(mixed[0], alone[0], atol=1e-5)
    np.testing.assert_allclose(mixed[1], golden["pairs"][0]["logits"], atol=LOGITS_TOLERANCE)


def test_classify_ids_padded_batch(session: debertac.Session, golden: dict) -> None:
    pairs = golden["pairs"][:4]
    length = max(len(p["input_ids"]) for p in pairs)
    ids = np.zeros((len(pairs), length), dtype=np.int64)   # int64 in: converted to int32
    mask = np.zeros((len(pairs), length), dtype=bool)      # booleans accepted for the mask
    for row, pair in enumerate(pairs):
        ids[row, :len(pair["input_ids"])] = pair["input_ids"]
        mask[row, :len(pair["input_ids"])] = True
    logits = session.classify_ids(ids, mask)
    assert logits.shape == (4, 3) and logits.dtype == np.float32
    np.testing.assert_allclose(logits, [p["logits"] for p in pairs], rtol=0, atol=LOGITS_TOLERANCE)
    out = np.full((4, 3), np.nan, dtype=np.float32)
    assert session.classify_ids(ids.astype(np.int32), mask.astype(np.int32), out=out) is out
    np.testing.assert_array_equal(out, logits)


@pytest.mark.parametrize("index", range(9))
def test_zero_shot_matches_pipeline(session: debertac.Session, golden: dict, index: int) -> None:
    case = golden["zero_shot"][index]
    result = session.zero_shot(case["text"], case["candidate_labels"], hypothesis_template=case["hypothesis_template"],
                               multi_label=case["multi_label"])
    assert set(result) == {"sequence", "labels", "scores"}
    assert result["sequence"] == case["text"]
    assert result["labels"] == case["labels"]
    assert all(isinstance(s, float) for s in result["scores"])
    np.testing.assert_allclose(result["scores"], case["scores"], rtol=0, atol=SCORES_TOLERANCE)


def test_zero_shot_list_and_comma_labels(session: debertac.Session, golden: dict) -> None:
    cases = [c for c in golden["zero_shot"] if c["hypothesis_template"] == "This example is {}." and not c["multi_label"]
             and c["candidate_labels"] == golden["zero_shot"][0]["candidate_labels"]]
    results = session.zero_shot([c["text"] for c in cases], ", ".join(cases[0]["candidate_labels"]))
    assert isinstance(results, list) and len(results) == len(cases)
    for result, case in zip(results, cases):
        assert result["labels"] == case["labels"]
        np.testing.assert_allclose(result["scores"], case["scores"], rtol=0, atol=SCORES_TOLERANCE)
