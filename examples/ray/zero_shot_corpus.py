"""Zero-shot-classifies a text corpus (one text a line) with Ray Data and a model compiled by debertac.

    pip install ./python 'ray[data]'      # on every node: the debertac package and Ray (Ray is not a dependency of debertac)
    python examples/ray/zero_shot_corpus.py nli.so examples/ray/corpus.txt --labels sports,politics,cooking \
        --actors 2 --output results/      # JSON lines: {"text", "labels", "scores"} as Hugging Face's pipeline
    python examples/ray/zero_shot_corpus.py ... --actors 0   # the same work in a plain loop, without Ray

Each actor loads the .so once and keeps one session (map_batches with a callable class, `--actors` of them,
each given `--cpus` CPUs, which is also its session's thread count). Texts are sorted by length first, so a
batch holds texts of similar cost. `--address` joins a running cluster (docs/scaling.md); default: a
local one. Prints the throughput.
"""

import argparse
import json
import os
import time
from pathlib import Path
from typing import Dict, List

import debertac


class ZeroShot:
    """The per-actor state of map_batches: one model and one session, loaded once per actor."""

    def __init__(self, model_path: str, labels: List[str], template: str, threads: int) -> None:
        os.environ["DEBERTAC_NUM_THREADS"] = str(threads)   # read when the session is created
        self.model = debertac.load(model_path)
        self.session = self.model.session(max_batch=len(labels))   # one forward pass per text
        self.labels, self.template = labels, template

    def __call__(self, batch: Dict[str, object]) -> Dict[str, list]:
        results = self.session.zero_shot(list(batch["text"]), self.labels, hypothesis_template=self.template)
        return {"text": [r["sequence"] for r in results], "labels": [r["labels"] for r in results],
                "scores": [r["scores"] for r in results]}


def with_ray(args: argparse.Namespace, labels: List[str]) -> int:
    import ray  # optional: only this path needs it

    # A local cluster gets one logical CPU more than the actors take: reading and sorting need one too.
    ray.init(address=args.address, num_cpus=None if args.address else args.actors * args.cpus + 1,
             include_dashboard=False, log_to_driver=False)
    ds = ray.data.read_text([str(args.corpus)] * args.repeat)
    # Similar lengths together. The sort is a shuffle: it is materialised before the actors start, in blocks
    # of one batch, so that every block is ready for whichever actor is free (streamed, its reduce tasks wait
    # for CPUs the actors hold and the blocks reach the actors one at a time; in a few large blocks, the last
    # one keeps one actor busy while the others idle).
    ds = ds.add_column("length", lambda df: df["text"].str.len()).sort("length")
    ds = ds.repartition(target_num_rows_per_block=args.batch_size).materialize()
    ds = ds.map_batches(ZeroShot, batch_size=args.batch_size, batch_format="numpy", concurrency=args.actors,
                        num_cpus=args.cpus, fn_constructor_kwargs=dict(
                            model_path=str(Path(args.model).resolve()), labels=labels,
                            template=args.template, threads=args.cpus))
    ds.write_json(str(args.output), double_precision=15)
    ray.shutdown()
    return sum(len(path.read_text(encoding="utf-8").splitlines()) for path in args.output.glob("*.json"))


def plain_loop(args: argparse.Namespace, labels: List[str]) -> int:
    classify = ZeroShot(args.model, labels, args.template, args.cpus)
    texts = [line.rstrip("\n") for line in open(args.corpus, encoding="utf-8") if line.strip()] * args.repeat
    args.output.mkdir(parents=True, exist_ok=True)
    with open(args.output / "loop.json", "w", encoding="utf-8") as out:
        for start in range(0, len(texts), args.batch_size):
            batch = classify({"text": texts[start:start + args.batch_size]})
            for text, ls, ss in zip(batch["text"], batch["labels"], batch["scores"]):
                out.write(json.dumps({"text": text, "labels": ls, "scores": ss}) + "\n")
    return len(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="a .so compiled by debertac, with its tokenizer, at the same path on every node")
    parser.add_argument("corpus", type=Path, help="UTF-8 text, one text a line (empty lines are skipped)")
    parser.add_argument("--labels", required=True, help="comma-separated candidate labels")
    parser.add_argument("--template", default=debertac.DEFAULT_HYPOTHESIS_TEMPLATE)
    parser.add_argument("--output", type=Path, required=True, help="a folder for the JSON-lines results")
    parser.add_argument("--actors", type=int, default=2, help="model replicas (0: a plain loop without Ray)")
    parser.add_argument("--cpus", type=int, default=1, help="CPUs (and session threads) per actor")
    parser.add_argument("--batch-size", type=int, default=32, help="texts per map_batches call")
    parser.add_argument("--repeat", type=int, default=1, help="read the corpus this many times (for measuring)")
    parser.add_argument("--address", help="a running Ray cluster ('auto', or host:port); default: start a local one")
    args = parser.parse_args()
    labels = [label.strip() for label in args.labels.split(",") if label.strip()]
    if args.output.exists() and any(args.output.iterdir()):
        parser.error(f"the output folder '{args.output}' is not empty")
    start = time.perf_counter()
    count = with_ray(args, labels) if args.actors > 0 else plain_loop(args, labels)
    seconds = time.perf_counter() - start
    how = f"{args.actors} Ray actor(s) x {args.cpus} CPU" if args.actors else f"plain loop, {args.cpus} thread(s)"
    print(f"{count} texts in {seconds:.2f} s ({count / seconds:.1f} texts/s), {how}")


if __name__ == "__main__":
    main()
