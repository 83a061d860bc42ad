"""Random-weight checkpoints and their ONNX export. Run as a child process of bench.py, so that torch's
memory is returned to the system when it exits:

    python3 bench/checkpoints.py make SHAPE DIR             # DIR/config.json + DIR/model.safetensors
    python3 bench/checkpoints.py export DIR RAWDIR/model.onnx [--exporter legacy|dynamo] [--opset 17]
    python3 bench/checkpoints.py single-file RAWDIR OUTDIR/model.onnx

An output directory is replaced as a whole and holds nothing but the export. `single-file` rewrites an
export as the .onnx plus one external-data file (and deletes RAWDIR).

Weights: the tensor names and shapes come from a meta-device DebertaV2ForSequenceClassification (or
DebertaForSequenceClassification for a DeBERTa v1 shape) (no
memory); values are windows of one N(0, 1) pool at random offsets (as scripts/make_large_checkpoint.py
does: 1.5 billion fresh normal draws would take minutes on two cores), scaled so activations stay at
unit size through 48 post-LN layers and the logits are O(1): weights N(0, 1/fan_in), embeddings N(0, 1),
biases 0.1 N(0, 1), LayerNorm weights 1 + 0.1 N(0, 1). Hugging Face's own init (N(0, 0.02)) would make
every logit ~0.01, where a wrong kernel hides inside any sensible tolerance.
"""

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from shapes import SHAPES, is_v1  # noqa: E402

POOL_SIZE = 1 << 24


def _scale_and_mean(name: str, shape) -> tuple:
    if "LayerNorm" in name:
        return (0.1, 1.0) if name.endswith("weight") else (0.1, 0.0)
    if name.endswith("bias"):
        return 0.1, 0.0
    if name.endswith("_embeddings.weight"):  # word_embeddings, rel_embeddings
        return 1.0, 0.0
    fan_in = shape[1:].numel()  # Linear [out, in]; Conv1d [out, in / groups, kernel]
    return fan_in ** -0.5, 0.0


def model_classes(config: dict) -> tuple:
    """(config class, model class) of Hugging Face for a config.json: v1 or v2/v3."""
    import transformers
    if is_v1(config):
        return transformers.DebertaConfig, transformers.DebertaForSequenceClassification
    return transformers.DebertaV2Config, transformers.DebertaV2ForSequenceClassification


def make(shape_name: str, out: Path) -> None:
    shape = SHAPES[shape_name]
    dtype = getattr(torch, shape.dtype)
    start = time.time()
    config_class, model_class = model_classes(shape.config)
    config = config_class(**shape.config)
    with torch.device("meta"):
        model = model_class(config)
    model = model.to(dtype).to_empty(device="cpu")
    gen = torch.Generator().manual_seed(0)
    pool = torch.randn(POOL_SIZE, generator=gen).to(dtype)
    with torch.no_grad():
        for name, p in model.named_parameters():
            scale, mean = _scale_and_mean(name, p.shape)  # v1's q_bias / v_bias end in "bias"
            flat, done = p.view(-1), 0
            offset = int(torch.randint(0, POOL_SIZE, (1,), generator=gen))
            while done < flat.numel():
                n = min(flat.numel() - done, POOL_SIZE - offset)
                torch.mul(pool[offset:offset + n], scale, out=flat[done:done + n])
                done, offset = done + n, 0
            if mean:
                p += mean
    tmp = out.with_name(out.name + ".tmp")
    model.save_pretrained(tmp, safe_serialization=True, max_shard_size="100GB")
    # save_pretrained writes config.json from the config object; keep the one we specified verbatim
    # (pos_att_type as a string, as on the Hub) so every engine reads the same file.
    (tmp / "config.json").write_text(json.dumps(shape.config, indent=2) + "\n")
    tmp.rename(out)
    params = sum(p.numel() for p in model.parameters())
    print(f"checkpoint {shape_name}: {params:,} parameters ({shape.dtype}) in {time.time() - start:.1f} s -> {out}",
          file=sys.stderr)


def load_torch_model(directory: Path):
    """The checkpoint as an fp32 eval-mode model, whatever dtype it is stored in."""
    _, model_class = model_classes(json.loads((Path(directory) / "config.json").read_text()))
    model = model_class.from_pretrained(directory, dtype=torch.float32)
    return model.eval()


class _Logits(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        return self.model(input_ids=input_ids, attention_mask=attention_mask).logits


def export(checkpoint: Path, out: Path, exporter: str, opset: int) -> None:
    start = time.time()
    model = _Logits(load_torch_model(checkpoint))
    # Trace at a shape no benchmark case uses, so a length or batch baked in as a constant shows up as a
    # mismatch in bench.py's checks rather than as a silently right answer.
    ids = torch.ones(2, 48, dtype=torch.long)
    mask = torch.ones(2, 48, dtype=torch.long)
    # Each export gets its own directory: the legacy exporter may write one external-data file per
    # tensor beside the .onnx, and ONNX Runtime and OpenVINO find them relative to it.
    directory = out.parent
    tmp = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    with torch.inference_mode(exporter == "legacy"):
        if exporter == "legacy":
            torch.onnx.export(model, (ids, mask), str(tmp / out.name), dynamo=False, opset_version=opset,
                              input_names=["input_ids", "attention_mask"], output_names=["logits"],
                              dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                                            "attention_mask": {0: "batch", 1: "sequence"},
                                            "logits": {0: "batch"}},
                              external_data=True)
        else:
            batch, sequence = torch.export.Dim("batch", min=1, max=64), torch.export.Dim("sequence", min=2, max=512)
            program = torch.onnx.export(model, (ids, mask), dynamo=True, opset_version=opset,
                                        input_names=["input_ids", "attention_mask"], output_names=["logits"],
                                        dynamic_shapes={"input_ids": {0: batch, 1: sequence},
                                                        "attention_mask": {0: batch, 1: sequence}})
            program.save(str(tmp / out.name), external_data=True)
    shutil.rmtree(directory, ignore_errors=True)
    tmp.rename(directory)
    size = sum(p.stat().st_size for p in directory.iterdir())
    print(f"onnx ({exporter}, opset {opset}): {size / 2**20:.0f} MiB in {time.time() - start:.1f} s -> {out}",
          file=sys.stderr)


def single_file(source: Path, out: Path) -> None:
    """Rewrites the export in source/ (any layout) as out: the graph plus one external-data file.

    The legacy exporter embeds the weights in the .onnx below 2 GB and writes one file per tensor above;
    the dynamo exporter writes one .data file. ONNX Runtime maps such a file instead of copying it, so
    storing every export this way keeps its RSS independent of the exporter and of the 2 GB line. A
    separate step (and process) from the export, so torch's copy of the weights is gone by now.
    """
    import onnx
    start = time.time()
    directory = out.parent
    tmp = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    graph = onnx.load(str(source / out.name))
    onnx.save_model(graph, str(tmp / out.name), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=out.name + ".data", size_threshold=1024)
    del graph
    shutil.rmtree(directory, ignore_errors=True)
    tmp.rename(directory)
    shutil.rmtree(source)
    print(f"onnx rewritten with one external-data file in {time.time() - start:.1f} s -> {out}", file=sys.stderr)


def main(argv) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("make")
    p.add_argument("shape", choices=sorted(SHAPES))
    p.add_argument("out", type=Path)
    p = sub.add_parser("export")
    p.add_argument("checkpoint", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--exporter", choices=["legacy", "dynamo"], default="legacy")
    p.add_argument("--opset", type=int, default=17)
    p = sub.add_parser("single-file")
    p.add_argument("source", type=Path)
    p.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    torch.set_num_threads(max(1, len(__import__("os").sched_getaffinity(0))))
    if args.command == "make":
        make(args.shape, args.out)
    elif args.command == "export":
        export(args.checkpoint, args.out, args.exporter, args.opset)
    else:
        single_file(args.source, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
