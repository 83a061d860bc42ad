#!/usr/bin/env python3
"""Accuracy of reduced-precision .so files against the fp32 one (docs/precision.md).

    python3 scripts/precision_accuracy.py text  FP32.so BF16.so INT8.so [--limit N]
    python3 scripts/precision_accuracy.py ids   FP32.so BF16.so INT8.so [--n 200] [--length 128]

`text`: the held-out test split of examples/synthetic-nli (scripts/train_example_nli.py's
build_corpus: pairs whose content key or template training never saw), classified through each
.so's own tokenizer (debertac_classify_text); `ids`: seeded random token ids ([CLS] ... [SEP] ...
[SEP], bench/shapes.make_inputs style) for the random-weight benchmark checkpoints, which have no
tokenizer. For each reduced-precision .so prints, against the fp32 .so (which matches Hugging Face
to ~1e-5): argmax agreement, max and mean |Δlogit|; for `text` also accuracy against the labels.
No torch needed: the .so files are driven through their C ABI with ctypes.
"""

import argparse
import ctypes
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


class Model:
    def __init__(self, path, batch, length):
        vp, i32 = ctypes.c_void_p, ctypes.c_int32
        lib = self.lib = ctypes.CDLL(str(path))
        lib.debertac_model_open.argtypes = [ctypes.c_char_p, ctypes.POINTER(vp)]
        lib.debertac_open_error.restype = ctypes.c_char_p
        lib.debertac_model_num_labels.argtypes = [vp]
        lib.debertac_model_label.argtypes = [vp, i32]
        lib.debertac_model_label.restype = ctypes.c_char_p
        lib.debertac_session_create.argtypes = [vp, i32, i32, ctypes.POINTER(vp)]
        lib.debertac_session_last_error.argtypes = [vp]
        lib.debertac_session_last_error.restype = ctypes.c_char_p
        lib.debertac_classify.argtypes = [vp, i32, i32, vp, vp, vp, vp]
        lib.debertac_classify_text.argtypes = [vp, i32, ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_char_p), vp]
        self.model = vp()
        if lib.debertac_model_open(None, ctypes.byref(self.model)):
            sys.exit(f"{path}: {lib.debertac_open_error().decode()}")
        self.labels = [lib.debertac_model_label(self.model, i).decode() for i in range(lib.debertac_model_num_labels(self.model))]
        self.session = vp()
        if lib.debertac_session_create(self.model, batch, length, ctypes.byref(self.session)):
            sys.exit(f"{path}: cannot create a session")

    def check(self, status):
        if status:
            sys.exit(self.lib.debertac_session_last_error(self.session).decode())

    def classify_text(self, premises, hypotheses):
        n = len(premises)
        texts = (ctypes.c_char_p * n)(*[p.encode() for p in premises])
        pairs = (ctypes.c_char_p * n)(*[h.encode() for h in hypotheses])
        out = np.zeros((n, len(self.labels)), np.float32)
        self.check(self.lib.debertac_classify_text(self.session, n, texts, pairs, out.ctypes.data))
        return out

    def classify_ids(self, ids):
        ids = np.ascontiguousarray(ids, np.int32)
        out = np.zeros((ids.shape[0], len(self.labels)), np.float32)
        self.check(self.lib.debertac_classify(self.session, ids.shape[0], ids.shape[1], ids.ctypes.data, None, None,
                                              out.ctypes.data))
        return out


def report(name, reference, logits, labels=None, names=None):
    diff = np.abs(logits - reference)
    agree = (logits.argmax(1) == reference.argmax(1))
    line = (f"{name}: argmax agrees with fp32 on {agree.sum()} of {len(agree)} ({100 * agree.mean():.2f} %), "
            f"max |Δlogit| {diff.max():.4g}, mean |Δlogit| {diff.mean():.3g}")
    if labels is not None:
        correct = np.array([names[i] for i in logits.argmax(1)]) == np.array(labels)
        line += f"; accuracy {100 * correct.mean():.2f} %"
    print(line, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["text", "ids"])
    parser.add_argument("fp32", type=Path)
    parser.add_argument("reduced", type=Path, nargs="+")
    parser.add_argument("--limit", type=int, help="text: only the first N test pairs")
    parser.add_argument("--n", type=int, default=200, help="ids: sequences")
    parser.add_argument("--length", type=int, default=128, help="ids: tokens per sequence")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    batch = 32
    models = [Model(p, batch, 128 if args.mode == "text" else args.length) for p in [args.fp32] + args.reduced]
    if args.mode == "text":
        sys.path.insert(0, str(REPO / "scripts"))
        import train_example_nli as example
        _, test = example.build_corpus(200000, example.SEED)
        if args.limit:
            test = test[:args.limit]
        print(f"{len(test)} held-out pairs of examples/synthetic-nli", flush=True)
        results = [[] for _ in models]
        for start in range(0, len(test), batch):
            rows = test[start:start + batch]
            for m, out in zip(models, results):
                out.append(m.classify_text([r[0] for r in rows], [r[1] for r in rows]))
        logits = [np.concatenate(r) for r in results]
        labels = [r[2] for r in test]
        report(args.fp32.name, logits[0], logits[0], labels, models[0].labels)
        for path, l in zip(args.reduced, logits[1:]):
            report(path.name, logits[0], l, labels, models[0].labels)
    else:
        rng = np.random.default_rng(args.seed)
        vocab = 128000
        ids = rng.integers(5, vocab, size=(args.n, args.length))
        ids[:, 0], ids[:, args.length // 2], ids[:, -1] = 1, 2, 2
        logits = [np.concatenate([m.classify_ids(ids[s:s + batch]) for s in range(0, args.n, batch)]) for m in models]
        print(f"{args.n} random sequences of {args.length} tokens (seed {args.seed})", flush=True)
        for path, l in zip(args.reduced, logits[1:]):
            report(path.name, logits[0], l)


if __name__ == "__main__":
    main()
