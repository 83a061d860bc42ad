#!/usr/bin/env python3
"""Writes the fuzzing seed corpus Fuzz/seeds/<target>/ from the committed fixtures.

    python3 Fuzz/make_seeds.py [--debertac PATH]

Needs the fixture toolchain (torch, safetensors; see Tests/Fixtures/README.md). The output
is committed, so fuzzing itself (scripts/fuzz.sh) needs neither Python nor torch. Seeds are
small on purpose (a few KB): libFuzzer's speed falls with input size, and what matters is
structure, not bulk, so checkpoint seeds keep a handful of the fixtures' tensors.

With --debertac, the IR seeds also get the printed IR of every fixture model
(`debertac compile --config-only CONFIG --emit=ir -o -`).

Nothing here ever unpickles an untrusted file: the hostile fixtures are copied as bytes, and
only pickles this script wrote itself are read back.
"""
import argparse
import hashlib
import io
import json
import pickle
import pickletools
import re
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib
from collections import OrderedDict
from pathlib import Path

import safetensors.torch
import torch

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "Fixtures"
SEEDS = ROOT / "Fuzz" / "seeds"
TARGETS = ["safetensors", "zip", "pickle", "torch-zip", "torch-legacy", "config", "ir"]

# A few tensors of each kind the readers meet: vectors, a matrix, an int64 buffer.
SUBSET = ["deberta.embeddings.LayerNorm.weight", "deberta.embeddings.LayerNorm.bias",
          "classifier.weight", "classifier.bias"]


def write(target: str, name: str, data: bytes):
    path = SEEDS / target / name
    path.write_bytes(data)


def small_state_dict(dtype=torch.float32) -> OrderedDict:
    full = safetensors.torch.load_file(str(FIXTURES / "models" / "xxlarge-toy" / "model.safetensors"))
    sd = OrderedDict((k, full[k].to(dtype)) for k in SUBSET)
    sd["deberta.embeddings.position_ids"] = torch.arange(8).unsqueeze(0)
    return sd


def torch_bytes(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def zip_entries(data: bytes) -> list:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(i.filename, z.read(i)) for i in z.infolist()]


def rezip(entries: list, root=None, compress=False, comment=b"") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as z:
        for name, data in entries:
            if root is not None:
                name = root + name.split("/", 1)[1]
            z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
        z.comment = comment
    return buf.getvalue()


def zip64(entries: list) -> bytes:
    """Every size and offset in zip64 extra fields (as scripts/make_fixtures.py writes
    Tests/Fixtures/formats/torch-zip64), data 64-byte aligned by an 'FB' padding extra."""
    dos_date = (0 << 9) | (1 << 5) | 1
    out, central = bytearray(), bytearray()
    for name, data in entries:
        name_b, crc, size, offset = name.encode(), zlib.crc32(data), len(data), len(out)
        extra = struct.pack("<HHQQ", 0x0001, 16, size, size)
        pad = -(offset + 30 + len(name_b) + len(extra) + 4) % 64
        extra += struct.pack("<HH", 0x4246, pad) + b"Z" * pad
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, dos_date, crc,
                           0xFFFFFFFF, 0xFFFFFFFF, len(name_b), len(extra))
        out += name_b + extra + data
        cextra = struct.pack("<HHQQQ", 0x0001, 24, size, size, offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, dos_date, crc,
                               0xFFFFFFFF, 0xFFFFFFFF, len(name_b), len(cextra), 0, 0, 0, 0, 0xFFFFFFFF)
        central += name_b + cextra
    cd_offset, n = len(out), len(entries)
    out += central
    eocd64_offset = len(out)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n, n, len(central), cd_offset)
    out += struct.pack("<IIQI", 0x07064B50, 0, eocd64_offset, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return bytes(out)


def pickles_in(data: bytes, count: int) -> list:
    """(start, end) of the first `count` concatenated pickles (disassembled, never loaded)."""
    spans, pos = [], 0
    for _ in range(count):
        ops = list(pickletools.genops(io.BytesIO(data[pos:])))
        spans.append((pos, pos + ops[-1][2] + 1))
        pos = spans[-1][1]
    return spans


# A hand-written legacy file, to seed what torch 2.x no longer writes: storage views
# (the sixth persistent-id element `(view_key, offset, size)`), _rebuild_tensor and
# _rebuild_parameter.
class StorageRef:
    def __init__(self, key, storage_type, numel, view=None):
        self.key, self.storage_type, self.numel, self.view = key, storage_type, numel, view


class TensorRef:
    def __init__(self, storage, offset, size, stride, function="v2"):
        self.storage, self.offset, self.size, self.stride, self.function = storage, offset, size, stride, function

    def __reduce__(self):
        if self.function == "v1":
            return torch._utils._rebuild_tensor, (self.storage, self.offset, self.size, self.stride)
        return torch._utils._rebuild_tensor_v2, (self.storage, self.offset, self.size, self.stride, False, OrderedDict())


class ParameterRef:
    def __init__(self, tensor):
        self.tensor = tensor

    def __reduce__(self):
        return torch._utils._rebuild_parameter, (self.tensor, True, OrderedDict())


def legacy_file(tensors: OrderedDict, storages: list) -> bytes:
    """A legacy torch file: magic, 1001, sys_info, the state dict (persistent ids with the
    sixth, view element), the key list, then per storage an int64 count and its bytes.
    `storages` holds (key, storage class, numel, raw bytes). Keys are ours, so the output is
    deterministic (torch keys storages by memory address)."""
    def persistent_id(obj):
        if isinstance(obj, StorageRef):
            return ("storage", obj.storage_type, obj.key, "cpu", obj.numel, obj.view)
        return None

    out = io.BytesIO()
    for header in (0x1950A86A20F9469CFC6C, 1001,
                   {"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}}):
        pickle.dump(header, out, protocol=2)
    pickler = pickle.Pickler(out, protocol=2)
    pickler.persistent_id = persistent_id
    pickler.dump(tensors)
    pickle.dump([key for key, _, _, _ in storages], out, protocol=2)
    for _, _, numel, raw in storages:
        out.write(struct.pack("<q", numel) + raw)
    return out.getvalue()


def legacy_state(state_dict: OrderedDict) -> bytes:
    """What torch.save(..., _use_new_zipfile_serialization=False) writes for contiguous tensors."""
    classes = {torch.float32: torch.FloatStorage, torch.float16: torch.HalfStorage, torch.int64: torch.LongStorage}
    tensors, storages = OrderedDict(), []
    for i, (name, t) in enumerate(state_dict.items()):
        t = t.contiguous()
        key = str(94_000_000_000_000 + 0x1000 * i)
        storage = StorageRef(key, classes[t.dtype], t.numel())
        tensors[name] = TensorRef(storage, 0, tuple(t.shape), tuple(t.stride()))
        storages.append((key, classes[t.dtype], t.numel(), t.reshape(-1).view(torch.uint8).numpy().tobytes()))
    return legacy_file(tensors, storages)


def legacy_with_views() -> bytes:
    f32, f16 = torch.FloatStorage, torch.HalfStorage
    tensors = OrderedDict()
    tensors["whole"] = TensorRef(StorageRef("1000", f32, 12), 0, (3, 4), (4, 1))
    tensors["view"] = TensorRef(StorageRef("1000", f32, 12, ("1000", 4, 8)), 0, (2, 4), (1, 2))
    tensors["old"] = TensorRef(StorageRef("2000", f16, 6), 1, (5,), (1,), function="v1")
    tensors["param"] = ParameterRef(TensorRef(StorageRef("2000", f16, 6, ("2000", 2, 4)), 0, (2, 2), (2, 1)))
    pattern = lambda n: bytes((i * 37 + 11) % 251 for i in range(n))
    return legacy_file(tensors, [("1000", f32, 12, pattern(48)), ("2000", f16, 6, pattern(12))])


def checkpoint_seeds():
    f32 = small_state_dict()
    f16 = OrderedDict((k, v.half() if v.is_floating_point() else v) for k, v in f32.items())
    bf16 = OrderedDict((k, v.bfloat16() if v.is_floating_point() else v) for k, v in f32.items())
    # Views as torch saves them: a transposed matrix, two vectors sharing one storage.
    shared = torch.arange(8, dtype=torch.float32)
    views = OrderedDict([("t", f32["classifier.weight"].t()), ("a", shared[:4]), ("b", shared[4:]),
                         ("scalar", torch.tensor(1.5)), ("empty", torch.zeros(0, 3))])
    params = OrderedDict((k, torch.nn.Parameter(v)) for k, v in f32.items() if v.is_floating_point())

    zips = {
        "small-f32.bin": torch_bytes(f32),
        "small-f16.bin": torch_bytes(f16),
        "small-bf16.bin": torch_bytes(bf16),
        "views.bin": torch_bytes(views),
        "parameters.bin": torch_bytes(params),
        "plain-dict.bin": torch_bytes(dict(f32)),
    }
    base = zip_entries(zips["small-f32.bin"])
    zips["zip64.bin"] = zip64(base)
    zips["renamed-root.bin"] = rezip(base, root="my_checkpoint/")
    zips["with-comment.bin"] = rezip(base, comment=b"a zip comment")
    tiny = torch.load(ROOT / "examples" / "tiny-nli" / "pytorch_model.bin", weights_only=True)
    zips["tiny-nli-subset.bin"] = torch_bytes(OrderedDict((k, tiny[k]) for k in SUBSET))
    for name, data in zips.items():
        write("torch-zip", name, data)
        write("zip", name, data)
    write("zip", "deflated.zip", rezip(base, compress=True))
    write("torch-zip", "hostile-os-system.bin", (FIXTURES / "hostile" / "os-system.bin").read_bytes())
    write("zip", "hostile-os-system.bin", (FIXTURES / "hostile" / "os-system.bin").read_bytes())

    legacy = {
        "small-f32.bin": legacy_state(f32),
        "small-f16.bin": legacy_state(f16),
        "views-and-old-calls.bin": legacy_with_views(),
    }
    for name, data in legacy.items():
        write("torch-legacy", name, data)
    write("torch-legacy", "hostile-builtins-eval.bin", (FIXTURES / "hostile" / "builtins-eval-legacy.bin").read_bytes())

    # Pickles: every data.pkl (ours and the fixtures'), the legacy pickle sequences without
    # their storage bytes, the hostile ones, and protocol-4 / memo-sharing plain data.
    fixture_zips = sorted(FIXTURES.glob("formats/torch-zip*/*.bin")) + [ROOT / "examples" / "tiny-nli" / "pytorch_model.bin"]
    pkls = {}
    for path in fixture_zips:
        for entry, data in zip_entries(path.read_bytes()):
            if entry.endswith("/data.pkl"):
                pkls[hashlib.sha1(data).hexdigest()[:12]] = (f"fixture-{path.parent.name}.pkl", data)
    for name, data in zips.items():
        for entry, pkl in zip_entries(data):
            if entry.endswith("/data.pkl"):
                pkls[hashlib.sha1(pkl).hexdigest()[:12]] = (name.replace(".bin", ".pkl"), pkl)
    for path in sorted(FIXTURES.glob("formats/torch-legacy*/*.bin")):
        data = path.read_bytes()
        pkls["legacy-" + path.parent.name] = (f"fixture-{path.parent.name}.pkls", data[:pickles_in(data, 5)[-1][1]])
    data = legacy["views-and-old-calls.bin"]
    pkls["legacy-views"] = ("views-and-old-calls.pkls", data[:pickles_in(data, 5)[-1][1]])
    recursive = []
    recursive.append(recursive)
    shared_list = [1, 2]
    plain = {
        "protocol4.pkl": pickle.dumps({"a": [1, -2, 300, 70000, 2.5, b"x" * 3, None, True, False, (1, 2, 3)],
                                       "big": 2 ** 70, "neg": -(2 ** 40), "s" * 300: "long key"}, protocol=4),
        "recursive-list.pkl": pickle.dumps(recursive, protocol=2),
        "shared-memo.pkl": pickle.dumps([shared_list, shared_list, (shared_list,)], protocol=2),
        "nested.pkl": pickle.dumps(eval("[" * 60 + "]" * 60), protocol=2),
        "bytes.pkl": pickle.dumps([b"y" * 300, "é€😀"], protocol=3),
    }
    for name, data in plain.items():
        pkls[name] = (name, data)
    pkls["subprocess"] = ("hostile-subprocess-global.pkl", (FIXTURES / "hostile" / "subprocess-global.pkl").read_bytes())
    for name, data in pkls.values():
        write("pickle", name, data)

    # safetensors: fixture subsets in each dtype, plus the shapes a header can take.
    for dtype_name, dtype in (("f32", torch.float32), ("f16", torch.float16), ("bf16", torch.bfloat16)):
        tensors = {k: v.to(dtype) for k, v in small_state_dict().items() if v.is_floating_point()}
        write("safetensors", f"small-{dtype_name}.safetensors",
              safetensors.torch.save(tensors, metadata={"format": "pt"}))
    odd = {"f64": torch.arange(3, dtype=torch.float64), "i64": torch.arange(4), "i32": torch.arange(2, dtype=torch.int32),
           "u8": torch.arange(5, dtype=torch.uint8), "bool": torch.tensor([True, False]), "scalar": torch.tensor(2.0),
           "empty": torch.zeros(0, 4), "i8": torch.arange(3, dtype=torch.int8), "i16": torch.arange(3, dtype=torch.int16)}
    write("safetensors", "dtypes.safetensors", safetensors.torch.save(odd))
    write("safetensors", "no-metadata.safetensors", safetensors.torch.save({"x": torch.ones(2, 2)}))
    header = b'{"__metadata__":{"a":"b"}}'
    write("safetensors", "header-only.safetensors", struct.pack("<Q", len(header)) + header)


def config_seeds():
    seen = set()
    configs = sorted(FIXTURES.glob("**/config.json")) + [ROOT / "examples" / "tiny-nli" / "config.json"]
    for path in configs:
        data = path.read_bytes()
        if data not in seen:
            seen.add(data)
            write("config", f"{path.parent.name}.json", data)
    for path in sorted(FIXTURES.glob("formats/*/*.index.json")):
        write("config", f"index-{path.parent.name}.json", path.read_bytes())
    variants = {
        "nulls-and-lists.json": {"model_type": "deberta-v2", "hidden_size": 8, "num_attention_heads": 2,
                                 "pos_att_type": ["p2c", "c2p"], "conv_act": None, "embedding_size": None,
                                 "num_labels": 4, "relative_attention": True, "position_buckets": 4,
                                 "norm_rel_ebd": "layer_norm|none", "layer_norm_eps": 1e-12},
        "escapes.json": {"model_type": "deberta-v2", "id2label": {"0": "a\"b\\c\u00e9\n", "1": "\ud83d\ude00"}},
    }
    for name, obj in variants.items():
        write("config", name, json.dumps(obj).encode())


def ir_seeds(debertac):
    for path in sorted((FIXTURES / "passes").glob("*.ir")):
        write("ir", path.name, path.read_bytes())
    # The IR tests' snippets: MalformedIRTests bodies inside their program() wrapper, and
    # RoundTripTests' complete programs.
    tests = ROOT / "Tests" / "DebertacIRTests"
    wrapper = ('// debertac IR\ngraph @bad(%x: tensor<BxTx8xf32>, %mask: tensor<BxTxi32>) -> tensor<BxTx8xf32> {\n'
               '{body}\n}\n')
    malformed = (tests / "MalformedIRTests.swift").read_text()
    for i, body in enumerate(re.findall(r'body: """\n(.*?)\n\s*"""', malformed, re.S)):
        body = "\n".join(line[2:] if line.startswith("  ") else line for line in body.split("\n"))
        write("ir", f"malformed-{i:02}.ir", wrapper.replace("{body}", swift_unescape(body)).encode())
    roundtrip = (tests / "RoundTripTests.swift").read_text()
    for i, text in enumerate(re.findall(r'"""\n(\s*// debertac IR.*?)\n\s*"""', roundtrip, re.S)):
        indent = len(text) - len(text.lstrip(" "))
        text = "\n".join(line[indent:] for line in text.split("\n"))
        write("ir", f"roundtrip-{i:02}.ir", (swift_unescape(text) + "\n").encode())
    if debertac:
        for config in sorted(FIXTURES.glob("models/*/config.json")):
            printed = subprocess.run([debertac, "compile", "--config-only", str(config), "--emit=ir", "-o", "-"],
                                     check=True, capture_output=True).stdout
            write("ir", f"model-{config.parent.name}.ir", printed)


def dictionaries():
    """libFuzzer dictionaries (Fuzz/dict/<target>.dict): the keywords each reader looks for,
    taken from the sources so that they follow new ops and fields."""
    def entry(token) -> str:
        raw = token if isinstance(token, bytes) else token.encode()
        return '"' + "".join(chr(b) if 0x20 <= b < 0x7F and b not in b'"\\' else f"\\x{b:02x}" for b in raw) + '"'

    ir_sources = "".join(p.read_text() for p in sorted((ROOT / "Sources" / "DebertacIR").glob("OpKind*.swift")))
    enum = ir_sources[ir_sources.index("enum OpKind"):]
    enum = enum[:enum.index("\n}")]
    ops = [raw or name for name, raw in re.findall(r'\bcase (\w+)(?: = "(\w+)")?', enum)]
    attributes = sorted(set(re.findall(r'AttributeSpec\("(\w+)"', ir_sources)))
    config_source = (ROOT / "Sources" / "DebertacFrontend" / "DebertaConfig+JSON.swift").read_text()
    fields = sorted(set(re.findall(r'\b(?:string|int|double|bool|value)\("(\w+)"', config_source)))
    storages = re.findall(r'"(\w+Storage)"', (ROOT / "Sources" / "DebertacFrontend" / "PickleValue.swift").read_text())
    signatures = [b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06", b"PK\x06\x06", b"PK\x06\x07",
                  b"\x01\x00", b"\xff\xff\xff\xff", b"\xff\xff"]
    globals_ = [b"c" + g + b"\n" for g in (b"collections\nOrderedDict", b"torch._utils\n_rebuild_tensor_v2",
                                          b"torch._utils\n_rebuild_tensor", b"torch._utils\n_rebuild_parameter")]
    globals_ += [b"ctorch\n" + s.encode() + b"\n" for s in storages]
    # Integers at the edges of the 32- and 64-bit ranges, which text mutations rarely reach.
    big = ["2147483647", "2147483648", "-2147483649", "4294967296", "4611686018427387904",
           "9223372036854775807", "-9223372036854775808", "18446744073709551616"]
    words = {
        "ir": ops + attributes + ["graph", "return", "tensor", "constant", "f32", "i32", "->", "inf", "nan",
                                  "// debertac IR", "tensor<BxTx", "xf32>", "xi32>"] + big,
        "config": fields + ["pos_att_type", "weight_map", "deberta-v2", "p2c|c2p", "layer_norm", "gelu", "tanh", "NaN", "Infinity", "\\ud83d\\ude00"] + big,
        "safetensors": ["dtype", "shape", "data_offsets", "__metadata__", "F32", "F16", "BF16", "F64", "I64",
                        "I32", "I16", "I8", "U8", "BOOL", "18446744073709551615", "9223372036854775807"],
        "zip": signatures + ["data.pkl", "archive/", "/data/0", "byteorder"],
        "torch-zip": signatures + globals_ + ["data.pkl", "archive/", "/data/0", "byteorder", "little", "storage", "cpu"],
        "pickle": globals_ + [b"\x80\x02", b"\x80\x04", b"\x95", b"\x94", "storage", "cpu", b"cposix\nsystem\n"],
        "torch-legacy": globals_ + [b"\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", b"M\xe9\x03",
                                    "little_endian", "storage", "cpu", "protocol_version"],
    }
    (ROOT / "Fuzz" / "dict").mkdir(exist_ok=True)
    for target, tokens in words.items():
        lines = ["# Written by Fuzz/make_seeds.py: keywords of the " + target + " reader."]
        lines += [entry(t) for t in tokens]
        (ROOT / "Fuzz" / "dict" / f"{target}.dict").write_text("\n".join(lines) + "\n")


def swift_unescape(text: str) -> str:
    """Undoes the escapes of a Swift multi-line string literal (the tests use only these)."""
    return re.sub(r'\\(["\\nt])', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--debertac", help="built debertac, to add the printed IR of the fixture models")
    args = parser.parse_args()
    torch.manual_seed(0)
    for target in TARGETS:
        shutil.rmtree(SEEDS / target, ignore_errors=True)
        (SEEDS / target).mkdir(parents=True)
    checkpoint_seeds()
    config_seeds()
    ir_seeds(args.debertac)
    dictionaries()
    for target in TARGETS:
        files = list((SEEDS / target).iterdir())
        print(f"{target:14} {len(files):3} seeds, {sum(f.stat().st_size for f in files):7} bytes, "
              f"largest {max(f.stat().st_size for f in files)}", file=sys.stderr)


if __name__ == "__main__":
    main()
