"""One inference engine in its own process, driven by bench.py over a pipe (one JSON object a line).

    python3 bench/engines.py ENGINE --checkpoint DIR [--model FILE] --threads N

ENGINE is a key of catalogue.ENGINES (debertac, debertac-bf16, onnxruntime-int8, openvino-default, ...);
its worker class here (torch, onnxruntime, openvino or debertac, the last through the python/ package) loads
--model (a .so, an ONNX file or an OpenVINO IR .xml) with the catalogue's settings. A worker imports only its own engine's library (so its
peak RSS is that engine's), loads the model when told, and answers commands:

    {"cmd": "load"}                                   -> load_s, import_s, rss_kb, info, precision
    {"cmd": "prepare", "batch": B, "length": T}       -> sizes per-shape state (a debertac session)
    {"cmd": "run", "case": {...}, "logits": true}     -> seconds (the call alone), logits
    {"cmd": "stats"}                                  -> maxrss_kb (ru_maxrss), rss_kb (now)
    {"cmd": "quit"}

Inputs are built here from the case (shapes.make_inputs), converted to the engine's own types once, and
kept, so a timed call measures the engine and nothing else. Replies go to a private copy of stdout;
fd 1 is pointed at stderr so that libraries printing to stdout cannot break the protocol.
"""

import argparse
import json
import os
import resource
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from catalogue import ENGINES  # noqa: E402
from shapes import Case, make_inputs  # noqa: E402


def current_rss_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def maxrss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux


class Engine:
    """Subclasses import their library in `import_library`, load in `load`, and run converted inputs.
    `precision` is what the loaded engine says it computes in (fp32, bf16, int8), for the report."""
    name = ""

    def __init__(self, args, spec):
        self.args, self.spec = args, spec
        self.precision = spec.precision
        self.inputs = {}

    def import_library(self) -> None: ...

    def load(self) -> str:
        """Loads the model; returns a short description (versions, settings)."""
        raise NotImplementedError

    def prepare(self, batch: int, length: int) -> None:
        """Called before the first call at a new maximum shape; most engines need nothing."""

    def convert(self, ids, mask):
        return ids, mask

    def run(self, inputs):
        """Classifies; returns the logits as a numpy array [batch, labels]."""
        raise NotImplementedError


class TorchEngine(Engine):
    name = "torch"

    def import_library(self):
        global torch
        import torch
        torch.set_num_threads(self.args.threads)
        torch.set_num_interop_threads(1)
        import transformers  # part of the import cost
        self.versions = f"torch {torch.__version__}, transformers {transformers.__version__}"

    def load(self):
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from checkpoints import load_torch_model
        self.model = load_torch_model(self.args.checkpoint)
        return f"{self.versions}, eager fp32, inference_mode, {torch.get_num_threads()} threads"

    def convert(self, ids, mask):
        return torch.from_numpy(ids), torch.from_numpy(mask)

    def run(self, inputs):
        with torch.inference_mode():
            return self.model(input_ids=inputs[0], attention_mask=inputs[1]).logits.numpy()


class OnnxRuntimeEngine(Engine):
    name = "onnxruntime"

    def import_library(self):
        global ort
        import onnxruntime as ort

    def load(self):
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = self.args.threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        self.session = ort.InferenceSession(str(self.args.model), options, providers=["CPUExecutionProvider"])
        return f"onnxruntime {ort.__version__}, CPUExecutionProvider, ORT_ENABLE_ALL, " \
               f"intra_op_num_threads {self.args.threads}"

    def run(self, inputs):
        return self.session.run(["logits"], {"input_ids": inputs[0], "attention_mask": inputs[1]})[0]


class OpenVinoEngine(Engine):
    name = "openvino"

    def import_library(self):
        global ov
        import openvino as ov

    def load(self):
        """The catalogue's options on top of ours: openvino sets INFERENCE_PRECISION_HINT f32;
        openvino-default and openvino-int8 leave the precision to OpenVINO (bf16 where the CPU has it)."""
        core = ov.Core()
        config = {"INFERENCE_NUM_THREADS": self.args.threads, "PERFORMANCE_HINT": "LATENCY", "NUM_STREAMS": 1,
                  **self.spec.options}
        self.compiled = core.compile_model(core.read_model(str(self.args.model)), "CPU", config)
        self.request = self.compiled.create_infer_request()
        hint = self.compiled.get_property("INFERENCE_PRECISION_HINT")
        hint = hint.get_type_name() if hasattr(hint, "get_type_name") else str(hint)
        got = {"INFERENCE_PRECISION_HINT": hint,
               **{k: str(self.compiled.get_property(k)) for k in ("INFERENCE_NUM_THREADS", "NUM_STREAMS")}}
        if self.spec.precision != "int8":   # int8 models keep int8 where NNCF quantized, the hint elsewhere
            self.precision = {"f32": "fp32", "f16": "fp16"}.get(hint, hint)
        return f"openvino {ov.__version__.split('-')[0]}, CPU, dynamic shapes, " + \
               ", ".join(f"{k} {v}" for k, v in got.items())

    def run(self, inputs):
        self.request.infer({"input_ids": inputs[0], "attention_mask": inputs[1]})
        return self.request.get_output_tensor(0).data.copy()


class DebertacEngine(Engine):
    """The compiled .so through the debertac Python package (python/src/debertac: ctypes over the C ABI of
    include/debertac.h, imported from this tree). Load = dlopen + debertac_model_open; a run is one
    debertac_classify into a preallocated logits array (Session.classify_ids with out=)."""
    name = "debertac"

    def import_library(self):
        global np, debertac
        import numpy as np
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python" / "src"))
        import debertac

    def load(self):
        self.model, self.session = debertac.load(self.args.model), None
        info = self.model.info
        self.precision = info.get("precision", "fp32")
        return f"{info.get('compiler')}, LLVM {info.get('llvm')}, {info.get('precision')}, " \
               f"cpu {info.get('target', {}).get('cpu')}, DEBERTAC_NUM_THREADS {os.environ.get('DEBERTAC_NUM_THREADS')}"

    def prepare(self, batch, length):
        if self.session:
            self.session.close()
        self.session = self.model.session(max_batch=batch, max_length=length)

    def convert(self, ids, mask):
        """int32 C-contiguous arrays, which classify_ids passes to the library without a copy."""
        ids, mask = np.ascontiguousarray(ids, dtype=np.int32), np.ascontiguousarray(mask, dtype=np.int32)
        return ids, mask, np.zeros((ids.shape[0], self.model.num_labels), dtype=np.float32)

    def run(self, inputs):
        ids, mask, logits = inputs
        self.session.classify_ids(ids, mask, out=logits)
        return logits.copy()


WORKERS = {e.name: e for e in (TorchEngine, OnnxRuntimeEngine, OpenVinoEngine, DebertacEngine)}


def serve(engine: Engine, replies) -> None:
    def reply(**fields):
        replies.write(json.dumps(fields) + "\n")
        replies.flush()

    for line in sys.stdin:
        request = json.loads(line)
        cmd = request["cmd"]
        try:
            if cmd == "load":
                start = time.perf_counter()
                engine.import_library()
                imported = time.perf_counter()
                rss_import = current_rss_kb()
                info = engine.load()
                loaded = time.perf_counter()
                reply(ok=True, import_s=imported - start, load_s=loaded - imported, rss_after_import_kb=rss_import,
                      rss_kb=current_rss_kb(), maxrss_kb=maxrss_kb(), info=info, precision=engine.precision)
            elif cmd == "prepare":
                start = time.perf_counter()
                engine.prepare(request["batch"], request["length"])
                reply(ok=True, seconds=time.perf_counter() - start)
            elif cmd == "run":
                case = Case(**request["case"])
                key = (case.batch, case.length, case.padded)
                if key not in engine.inputs:
                    engine.inputs[key] = engine.convert(*make_inputs(case, request["vocab"]))
                inputs = engine.inputs[key]
                start = time.perf_counter_ns()
                logits = engine.run(inputs)
                seconds = (time.perf_counter_ns() - start) * 1e-9
                reply(ok=True, seconds=seconds, logits=logits.tolist() if request.get("logits") else None)
            elif cmd == "stats":
                reply(ok=True, maxrss_kb=maxrss_kb(), rss_kb=current_rss_kb())
            elif cmd == "quit":
                reply(ok=True)
                return
            else:
                reply(ok=False, error=f"unknown command '{cmd}'")
        except Exception as error:  # reported to the orchestrator, which decides what is fatal
            traceback.print_exc(file=sys.stderr)
            reply(ok=False, error=f"{type(error).__name__}: {error}")


def main(argv) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("engine", choices=sorted(ENGINES))
    parser.add_argument("--checkpoint", type=Path)
    parser.add_argument("--model", type=Path, help="what the engine loads: a .so, an ONNX file, an OpenVINO .xml")
    parser.add_argument("--threads", type=int, required=True)
    args = parser.parse_args(argv)
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    spec = ENGINES[args.engine]
    serve(WORKERS[spec.worker](args, spec), replies)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
