"""The peers' int8 models, made from the fp32 ONNX export. Run as a child process of bench.py (so that the
quantizers' memory is returned when it exits); each writes OUTDIR/ as a whole, then OUTDIR/info.json:

    python3 bench/quantize.py ort-int8 SRC/model.onnx OUTDIR     # ONNX Runtime: OUTDIR/model.onnx (+ .data)
    python3 bench/quantize.py ov-int8 SRC/model.onnx OUTDIR --shape base [--samples 32]   # OUTDIR/model.xml

ort-int8: ONNX Runtime's recipe for transformers on CPU (onnxruntime.ai/docs/performance/model-optimizations/
quantization.html): `quant_pre_process` (symbolic shape inference, ORT's basic graph optimisation, ONNX shape
inference; the optimisation is skipped above 2 GB, where ORT cannot write its result), then `quantize_dynamic`
with every op type ORT can quantize dynamically (MatMul with a constant weight, Conv, Gather, ...), weights
int8 (QInt8) per output channel, activations uint8 quantized at run time (the only dynamic choice): U8S8,
the fast path on AVX512-VNNI, where the 7-bit `reduce_range` is not needed. ORT's transformer optimizer is
not run first: its attention fusion (QAttention) does not match DeBERTa's disentangled attention, and the
LayerNorm and GELU fusions it would add are applied anyway when the session loads (ORT_ENABLE_ALL).

ov-int8: OpenVINO's recipe for BERT-family models: NNCF post-training quantization of the OpenVINO model
read from the ONNX file, `nncf.quantize(model, dataset, model_type=TRANSFORMER, preset=MIXED,
target_device=CPU)` (symmetric int8 weights, asymmetric int8 activations; the transformer patterns keep
LayerNorm, softmax and GELU in floating point and add SmoothQuant), calibrated on `--samples` random-id
inputs of the shape's timed lengths (shapes.make_inputs with seeds other than the measured inputs'),
saved as OpenVINO IR. If PTQ fails (or --compress-because says why it is not attempted: bench.py passes
it when PTQ would not fit in memory), `nncf.compress_weights` (int8 weights, floating-point activations)
instead, and info.json says so ("method", "fallback_reason").
"""

import argparse
import json
import shutil
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from shapes import SHAPES, Case, make_inputs  # noqa: E402

TWO_GB = 2 * 10**9
CALIBRATION_SEED = 10_000     # make_inputs seeds of the calibration set start here (measured inputs use 0)


def fresh(out: Path) -> Path:
    """An empty OUT.tmp directory, renamed to OUT by `publish` once complete."""
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    return tmp


def publish(tmp: Path, out: Path, info: dict) -> None:
    (tmp / "info.json").write_text(json.dumps(info, indent=1))
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)


def ort_int8(source: Path, out: Path) -> None:
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process
    start = time.time()
    tmp = fresh(out)
    size = sum(p.stat().st_size for p in source.parent.iterdir())
    prepared = tmp / "preprocessed.onnx"
    skip_optimization = size > TWO_GB
    try:
        quant_pre_process(str(source), str(prepared), skip_optimization=skip_optimization,
                          save_as_external_data=True, all_tensors_to_one_file=True,
                          external_data_location=prepared.name + ".data")
        preprocess = "quant_pre_process" + (" (optimisation skipped: over 2 GB)" if skip_optimization else "")
    except Exception as error:  # the quantizer works without it, with a warning
        traceback.print_exc()
        preprocess = f"none (quant_pre_process failed: {type(error).__name__})"
        prepared = source
    quantize_dynamic(str(prepared), str(tmp / "model.onnx"), per_channel=True, reduce_range=False,
                     weight_type=QuantType.QInt8, use_external_data_format=True)
    for p in tmp.glob("preprocessed.onnx*"):
        p.unlink()
    import onnx
    graph = onnx.load(str(tmp / "model.onnx"), load_external_data=False)
    ops = {}
    for node in graph.graph.node:
        if "Integer" in node.op_type or "Quant" in node.op_type:
            ops[node.op_type] = ops.get(node.op_type, 0) + 1
    method = "quantize_dynamic"
    info = {"method": method, "onnxruntime": onnxruntime.__version__, "preprocess": preprocess,
            "settings": "per_channel, QInt8 weights, dynamic QUInt8 activations, all dynamic op types",
            "quantized_ops": ops, "seconds": time.time() - start}
    publish(tmp, out, info)
    print(f"ort-int8: {ops} in {info['seconds']:.1f} s ({preprocess}) -> {out}", file=sys.stderr)


def calibration_inputs(shape, samples: int) -> list:
    """`samples` single sequences cycling through the shape's timed lengths, random ids."""
    lengths = sorted({c.length for c in shape.cases if c.timed})
    items = []
    for i in range(samples):
        ids, mask = make_inputs(Case("calibration", 1, lengths[i % len(lengths)]), shape.config["vocab_size"],
                                seed=CALIBRATION_SEED + i)
        items.append({"input_ids": ids, "attention_mask": mask})
    return items


def ov_int8(source: Path, out: Path, shape_name: str, samples: int, compress_because: str | None) -> None:
    import nncf
    import openvino as ov
    start = time.time()
    tmp = fresh(out)
    model = ov.Core().read_model(str(source))
    items = calibration_inputs(SHAPES[shape_name], samples)
    try:
        if compress_because:
            raise RuntimeError(compress_because)
        quantized = nncf.quantize(model, nncf.Dataset(items), model_type=nncf.ModelType.TRANSFORMER,
                                  preset=nncf.QuantizationPreset.MIXED, target_device=nncf.TargetDevice.CPU,
                                  subset_size=len(items))
        method, fallback = "NNCF PTQ", None
    except Exception as error:
        if compress_because:
            fallback = f"nncf.quantize not attempted: {compress_because}"
        else:
            traceback.print_exc()
            fallback = f"nncf.quantize failed: {type(error).__name__}: {str(error).splitlines()[0][:200]}"
        print(f"ov-int8: {fallback}; compressing weights instead", file=sys.stderr)
        model = ov.Core().read_model(str(source))
        quantized = nncf.compress_weights(model, mode=nncf.CompressWeightsMode.INT8_ASYM)
        method = "NNCF weight compression"
    ov.save_model(quantized, str(tmp / "model.xml"))
    ops = {}
    for op in quantized.get_ops():
        if op.get_type_name() in ("FakeQuantize", "FakeConvert"):
            ops[op.get_type_name()] = ops.get(op.get_type_name(), 0) + 1
    info = {"method": method, "fallback_reason": fallback, "nncf": nncf.__version__,
            "openvino": ov.__version__.split("-")[0], "calibrated_on": len(items) if fallback is None else 0,
            "lengths": sorted({int(i["input_ids"].shape[1]) for i in items}),
            "settings": "model_type TRANSFORMER, preset MIXED, target_device CPU" if fallback is None else
                        "compress_weights INT8_ASYM", "quantized_ops": ops, "seconds": time.time() - start}
    publish(tmp, out, info)
    print(f"ov-int8: {method}, {ops} in {info['seconds']:.1f} s -> {out}", file=sys.stderr)


def main(argv) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["ort-int8", "ov-int8"])
    parser.add_argument("source", type=Path, help="the fp32 ONNX export")
    parser.add_argument("out", type=Path, help="output directory (replaced as a whole)")
    parser.add_argument("--shape", choices=sorted(SHAPES), help="ov-int8: the shape whose lengths calibrate")
    parser.add_argument("--samples", type=int, default=32, help="ov-int8: calibration inputs")
    parser.add_argument("--compress-because", metavar="REASON",
                        help="ov-int8: skip post-training quantization for this reason, compress weights only")
    args = parser.parse_args(argv)
    try:    # if memory runs out, the kernel's OOM killer takes this process first, not someone else's
        Path("/proc/self/oom_score_adj").write_text("1000")
    except OSError:
        pass
    if args.kind == "ort-int8":
        ort_int8(args.source, args.out)
    else:
        if not args.shape:
            parser.error("ov-int8 needs --shape")
        ov_int8(args.source, args.out, args.shape, args.samples, args.compress_because)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
