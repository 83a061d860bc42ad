"""Texts per second of zero-shot classification with 1 and 2 threads, each with its own session
(DEBERTAC_NUM_THREADS=1 per session), to see that calls run in parallel (ctypes releases the GIL).

    python python/thread_scaling.py nli.so    # a model with its tokenizer, e.g. examples/synthetic-nli compiled
"""

import os
import sys
import threading
import time
from pathlib import Path

os.environ["DEBERTAC_NUM_THREADS"] = "1"   # one core per session: the threads are the parallelism
import debertac  # noqa: E402

CORPUS = Path(__file__).resolve().parent.parent / "examples" / "ray" / "corpus.txt"
LABELS = ["sports", "politics", "cooking", "music", "technology", "weather", "travel", "health", "finance"]


def main() -> None:
    model = debertac.load(sys.argv[1])
    texts = [line.strip() for line in CORPUS.open(encoding="utf-8") if line.strip()]

    def work(count: int) -> None:
        with model.session(max_batch=len(LABELS)) as session:
            for i in range(count):
                session.zero_shot(texts[i % len(texts)], LABELS)

    work(20)   # warm up
    for threads in (1, 2, 1, 2):
        start = time.perf_counter()
        pool = [threading.Thread(target=work, args=(200,)) for _ in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        seconds = time.perf_counter() - start
        print(f"{threads} thread(s): {200 * threads} texts in {seconds:.2f} s, {200 * threads / seconds:.0f} texts/s")


if __name__ == "__main__":
    main()
