import DebertacFrontend

/// Builds safetensors files in memory, correct or deliberately broken, for tests.
struct SafetensorsBuilder {
    struct Tensor {
        var name: String
        var dtype = "F32"
        var shape: [Int]
        var values: [Float]
    }

    var tensors: [Tensor] = []

    /// A well-formed file: header with data_offsets in order, then little-endian data.
    func bytes() -> [UInt8] {
        var data: [UInt8] = []
        var members: [String] = []
        for tensor in tensors {
            let begin = data.count
            for v in tensor.values {
                switch tensor.dtype {
                case "F16": data += littleEndianBytes(Float16(v).bitPattern)
                case "BF16": data += littleEndianBytes(UInt16(v.bitPattern >> 16))
                default: data += littleEndianBytes(v.bitPattern)
                }
            }
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            members.append("\"\(tensor.name)\":{\"dtype\":\"\(tensor.dtype)\",\"shape\":[\(shape)],\"data_offsets\":[\(begin),\(data.count)]}")
        }
        return SafetensorsBuilder.file(header: "{" + members.joined(separator: ",") + "}", data: data)
    }

    /// A file made of an arbitrary header text and data bytes.
    static func file(header: String, data: [UInt8], declaredLength: UInt64? = nil) -> [UInt8] {
        let headerBytes = Array(header.utf8)
        return littleEndianBytes(declaredLength ?? UInt64(headerBytes.count)) + headerBytes + data
    }

    /// Zero-valued F32 tensors with every name and shape `config` needs.
    static func complete(for config: DebertaConfig) -> SafetensorsBuilder {
        var builder = SafetensorsBuilder()
        for entry in ExpectedTensors.entries(for: config) {
            let count = entry.shape.reduce(1, *)
            builder.tensors.append(Tensor(name: entry.name, shape: entry.shape, values: (0..<count).map { Float($0 % 7) - 3 }))
        }
        return builder
    }
}

func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
}

/// A small but complete config.json: 1 layer, relative attention with buckets, conv, 3 labels.
let tinyConfigJSON = """
    {"model_type": "deberta-v2", "vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1,
     "num_attention_heads": 2, "intermediate_size": 16, "max_position_embeddings": 16,
     "relative_attention": true, "position_buckets": 4, "norm_rel_ebd": "layer_norm",
     "share_att_key": true, "pos_att_type": "p2c|c2p", "position_biased_input": false,
     "conv_kernel_size": 3, "conv_act": "gelu", "type_vocab_size": 0,
     "id2label": {"0": "CONTRADICTION", "1": "NEUTRAL", "2": "ENTAILMENT"}}
    """
