"""What the calls return: a classification's label and probabilities, a tokenization, and the
zero-shot dictionary of Hugging Face's pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, NamedTuple, Sequence, Union

import numpy as np


class Encoding(NamedTuple):
    """A tokenized text or pair: `input_ids` and `token_type_ids`, int32 arrays of the same length."""

    input_ids: np.ndarray
    token_type_ids: np.ndarray


@dataclass(frozen=True)
class Prediction:
    """One sequence's classification.

    `label` is the best class's name (id2label) and `score` its probability; `scores` maps every label to
    its probability and `logits` holds the raw outputs in label order. Probabilities are what Hugging
    Face's text-classification pipeline computes: a softmax over the logits, or a sigmoid for a model
    with a single output."""

    label: str
    score: float
    scores: Dict[str, float]
    logits: np.ndarray


def probabilities(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of [batch, labels] logits (a sigmoid when there is one label), as the pipeline does."""
    x = logits.astype(np.float32, copy=False)
    if x.shape[-1] == 1:
        return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=np.float32)
    shifted = np.exp(x - x.max(axis=-1, keepdims=True))
    return np.asarray(shifted / shifted.sum(axis=-1, keepdims=True), dtype=np.float32)


def predictions(logits: np.ndarray, labels: Sequence[str]) -> List[Prediction]:
    """One `Prediction` per row of `logits` [batch, len(labels)]."""
    probs = probabilities(logits)
    out = []
    for row, p in zip(logits, probs):
        best = int(np.argmax(p))
        out.append(Prediction(label=labels[best], score=float(p[best]),
                              scores={name: float(v) for name, v in zip(labels, p)}, logits=row.copy()))
    return out


ZeroShotResult = Dict[str, Union[str, List[str], List[float]]]


def zero_shot_result(sequence: str, candidate_labels: Sequence[str], scores: np.ndarray) -> ZeroShotResult:
    """The pipeline's dictionary: labels sorted by descending score, ordered exactly as
    `ZeroShotClassificationPipeline.postprocess` orders them (reversed `argsort`)."""
    order = list(reversed(scores.argsort()))
    return {"sequence": sequence, "labels": [candidate_labels[i] for i in order],
            "scores": scores[order].tolist()}
