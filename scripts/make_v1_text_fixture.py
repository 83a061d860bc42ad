#!/usr/bin/env python3
"""Write Tests/Fixtures/text/v1-bpe: a small random DeBERTa v1 checkpoint (DebertaForSequenceClassification,
fp16 safetensors) with the byte-level BPE tokenizer of Tests/Fixtures/tokenizers/bpe-1k, and golden.json:
for text pairs, the ids transformers' DebertaTokenizer gives and the fp32 logits of the model on them.

    python3 scripts/make_v1_text_fixture.py        # needs torch + transformers (5.x); CI does not

The text path end to end for v1: `debertac run FOLDER` (tokenizer + interpreter) and `run nli.so` (the
compiled encoder and kernels) are checked against it by TextCommandTests.
"""
import json
import shutil
from pathlib import Path

import torch
from transformers import DebertaConfig, DebertaForSequenceClassification, DebertaTokenizer

ROOT = Path(__file__).resolve().parent.parent
TOKENIZER = ROOT / "Tests/Fixtures/tokenizers/bpe-1k"
OUT = ROOT / "Tests/Fixtures/text/v1-bpe"
PAIRS = [
    ("A man is playing a guitar on stage.", "A person is making music."),
    ("Héllo wörld, it's 2026!", "[MASK] The  cat sat."),
    ("The cat chased the dog [SEP] twice.", None),
    ("  ", "empty premise"),
]

def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    for f in TOKENIZER.iterdir():
        if f.name in ("vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"):
            shutil.copy(f, OUT / f.name)
    tokenizer = DebertaTokenizer.from_pretrained(OUT)
    config = DebertaConfig(
        vocab_size=len(tokenizer), hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
        max_position_embeddings=128, relative_attention=True, pos_att_type="c2p|p2c", position_biased_input=False,
        type_vocab_size=0, initializer_range=0.2,
        id2label={0: "CONTRADICTION", 1: "NEUTRAL", 2: "ENTAILMENT"}, label2id={"CONTRADICTION": 0, "NEUTRAL": 1, "ENTAILMENT": 2})
    torch.manual_seed(14)
    model = DebertaForSequenceClassification(config).eval().half()
    model.save_pretrained(OUT, safe_serialization=True)
    model = model.float()
    cases = []
    for text, pair in PAIRS:
        encoded = tokenizer(text, pair, return_tensors="pt")
        with torch.no_grad():
            logits = model(input_ids=encoded["input_ids"], attention_mask=encoded["attention_mask"]).logits[0]
        cases.append({"text": text, "text_pair": pair, "input_ids": encoded["input_ids"][0].tolist(),
                      "logits": [float(x) for x in logits]})
    (OUT / "golden.json").write_text(json.dumps({"transformers": __import__("transformers").__version__, "cases": cases}, indent=1) + "\n")
    print(f"wrote {OUT}: {len(cases)} cases")

if __name__ == "__main__":
    main()
