extension DebertaConfig {
    /// Largest magnitude of an integer field (`Int32.max`): ids and relative positions are i32
    /// in compiled models, and a product of two sizes (e.g. heads × head size) fits in 64 bits.
    public static let maximumInteger = Int(Int32.max)
    /// Most encoder layers accepted (the largest DeBERTa has 48): validation lists about 16
    /// tensors per layer, so a hostile config must not make it list billions.
    public static let maximumLayers = 1024
    /// Most labels accepted from `num_labels` (one name is made for each when `id2label` is absent).
    public static let maximumLabels = 1 << 20

    /// Reads and parses a Hugging Face `config.json`.
    public static func load(path: String) throws -> DebertaConfig {
        let file = try MappedFile(path: path)
        let json: JSONValue
        do {
            json = try JSONParser.parse(file.bytes)
        } catch {
            throw CheckpointError.json(file: path, offset: error.offset, message: error.message)
        }
        return try DebertaConfig(json: json, file: path)
    }

    /// Builds a configuration from parsed config.json content. Missing fields take
    /// transformers' defaults; fields of the wrong type or with impossible values are
    /// errors naming the field. `file` only labels errors.
    public init(json: JSONValue, file: String) throws {
        guard json.objectValue != nil else {
            throw CheckpointError.config(file: file, field: "(top level)", message: "expected a JSON object, found \(json.kindName)")
        }
        let reader = ConfigFieldReader(json: json, file: file)
        self.init()
        modelType = try reader.string("model_type") ?? reader.modelTypeFromArchitectures() ?? modelType
        guard modelType == "deberta-v2" || modelType == "deberta" else {
            throw CheckpointError.config(file: file, field: "model_type", message: "is '\(modelType)', expected 'deberta-v2' (DeBERTa-v2 and v3 checkpoints) or 'deberta' (DeBERTa v1)")
        }
        if family == .v1 { applyV1Defaults() }
        vocabSize = try reader.int("vocab_size", min: 1) ?? vocabSize
        hiddenSize = try reader.int("hidden_size", min: 1) ?? hiddenSize
        numHiddenLayers = try reader.int("num_hidden_layers", min: 1, max: DebertaConfig.maximumLayers) ?? numHiddenLayers
        numAttentionHeads = try reader.int("num_attention_heads", min: 1) ?? numAttentionHeads
        intermediateSize = try reader.int("intermediate_size", min: 1) ?? intermediateSize
        hiddenAct = try reader.string("hidden_act") ?? hiddenAct
        maxPositionEmbeddings = try reader.int("max_position_embeddings", min: 1) ?? maxPositionEmbeddings
        typeVocabSize = try reader.int("type_vocab_size", min: 0) ?? typeVocabSize
        layerNormEps = try reader.double("layer_norm_eps") ?? layerNormEps
        relativeAttention = try reader.bool("relative_attention") ?? relativeAttention
        maxRelativePositions = try reader.int("max_relative_positions") ?? maxRelativePositions
        posAttType = try reader.posAttType() ?? posAttType
        positionBiasedInput = try reader.bool("position_biased_input") ?? positionBiasedInput
        embeddingSize = try reader.int("embedding_size", min: 1)
        poolerHiddenSize = try reader.int("pooler_hidden_size", min: 1)
        poolerHiddenAct = try reader.string("pooler_hidden_act") ?? poolerHiddenAct
        padTokenId = try reader.int("pad_token_id") ?? padTokenId
        labels = try reader.labels()
        entailmentId = try reader.entailmentId(labels: labels)
        switch family {
        case .v2:
            // Keys of DebertaV2Config only: DebertaConfig (v1) ignores them, and so do we.
            attentionHeadSize = try reader.int("attention_head_size", min: 1)
            positionBuckets = try reader.int("position_buckets") ?? positionBuckets
            if let norm = try reader.string("norm_rel_ebd") {
                normRelEbd = norm.lowercased().split(separator: "|").map { $0.trimmingSpaces() }
            }
            shareAttKey = try reader.bool("share_att_key") ?? shareAttKey
            convKernelSize = try reader.int("conv_kernel_size", min: 0) ?? convKernelSize
            convGroups = try reader.int("conv_groups", min: 1) ?? convGroups
            convAct = try reader.string("conv_act") ?? convAct
        case .v1:
            // modeling_deberta.py reads it with getattr(config, "talking_head", False).
            talkingHead = try reader.bool("talking_head") ?? talkingHead
        }

        guard layerNormEps > 0, layerNormEps.isFinite else {
            throw CheckpointError.config(file: file, field: "layer_norm_eps", message: "is \(layerNormEps), expected a positive number")
        }
    }
}

extension DebertaConfig {
    /// `DebertaConfig`'s defaults (configuration_deberta.py, transformers 5.25) where they differ
    /// from `DebertaV2Config`'s: the deberta-base shape. (`relative_attention` false and
    /// `position_biased_input` true are both classes' defaults.)
    mutating func applyV1Defaults() {
        vocabSize = 50_265
        hiddenSize = 768
        numHiddenLayers = 12
        numAttentionHeads = 12
        intermediateSize = 3072
    }
}

/// Typed access to config.json members with errors that name the field.
private struct ConfigFieldReader {
    let json: JSONValue
    let file: String

    func fail(_ field: String, _ message: String) -> CheckpointError {
        .config(file: file, field: field, message: message)
    }

    /// The member, or nil when absent or JSON null (transformers treats null as "unset").
    func value(_ field: String) -> JSONValue? {
        guard let value = json[field], value != .null else { return nil }
        return value
    }

    /// An integer in `min...max`; both default to the 32-bit range (`DebertaConfig.maximumInteger`).
    func int(_ field: String, min: Int? = nil, max: Int = DebertaConfig.maximumInteger) throws -> Int? {
        guard let value = value(field) else { return nil }
        guard let int = value.intValue else { throw fail(field, "expected an integer, found \(value.kindName)") }
        let min = min ?? -DebertaConfig.maximumInteger - 1
        if int < min { throw fail(field, "is \(int), expected at least \(min)") }
        if int > max { throw fail(field, "is \(int), expected at most \(max)") }
        return int
    }

    func double(_ field: String) throws -> Double? {
        guard let value = value(field) else { return nil }
        guard let double = value.doubleValue else { throw fail(field, "expected a number, found \(value.kindName)") }
        return double
    }

    func bool(_ field: String) throws -> Bool? {
        guard let value = value(field) else { return nil }
        guard let bool = value.boolValue else { throw fail(field, "expected true or false, found \(value.kindName)") }
        return bool
    }

    func string(_ field: String) throws -> String? {
        guard let value = value(field) else { return nil }
        guard let string = value.stringValue else { throw fail(field, "expected a string, found \(value.kindName)") }
        return string
    }

    /// "deberta" when `model_type` is absent but `architectures` names a v1 class
    /// (`DebertaForSequenceClassification`, `DebertaModel`, ...); nil otherwise.
    func modelTypeFromArchitectures() -> String? {
        guard let names = value("architectures")?.arrayValue?.compactMap(\.stringValue), let first = names.first else { return nil }
        return first.hasPrefix("Deberta") && !first.hasPrefix("DebertaV2") ? "deberta" : nil
    }

    /// `pos_att_type` is a "p2c|c2p" string in older configs and a list in newer ones.
    func posAttType() throws -> [String]? {
        let field = "pos_att_type"
        guard let value = value(field) else { return nil }
        if let string = value.stringValue {
            return string.lowercased().split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingSpaces() }
        }
        guard let array = value.arrayValue else { throw fail(field, "expected a string or a list of strings, found \(value.kindName)") }
        return try array.map { element in
            guard let s = element.stringValue else { throw fail(field, "expected a list of strings, found a \(element.kindName) element") }
            return s
        }
    }

    /// The first `label2id` entry whose name starts with "entail" (any case), else the first such
    /// label of `id2label`; nil when no label does. A `label2id` id outside the labels is an error.
    func entailmentId(labels: [String]) throws -> Int? {
        let isEntailment = { (name: String) in name.lowercased().hasPrefix("entail") }
        guard let map = value("label2id") else { return labels.firstIndex(where: isEntailment) }
        guard let members = map.objectValue else { throw fail("label2id", "expected an object, found \(map.kindName)") }
        for (name, id) in members where isEntailment(name) {
            guard let index = id.intValue, index >= 0, index < labels.count else {
                throw fail("label2id", "'\(name)' maps to \(id), expected a class index in 0..<\(labels.count)")
            }
            return index
        }
        return nil
    }

    /// Labels from `id2label` (keys "0"..."n-1"), else `num_labels` generic names, else two.
    func labels() throws -> [String] {
        let numLabels = try int("num_labels", min: 1, max: DebertaConfig.maximumLabels)
        guard let map = value("id2label") else {
            return (0..<(numLabels ?? 2)).map { "LABEL_\($0)" }
        }
        guard let members = map.objectValue else { throw fail("id2label", "expected an object, found \(map.kindName)") }
        var labels = [String?](repeating: nil, count: members.count)
        for (key, value) in members {
            guard let index = Int(key), index >= 0, index < members.count else {
                throw fail("id2label", "key '\(key)' is not a class index in 0..<\(members.count)")
            }
            guard let name = value.stringValue else { throw fail("id2label", "label of '\(key)' is a \(value.kindName), expected a string") }
            labels[index] = name
        }
        let result = labels.compactMap { $0 }
        guard result.count == members.count, !result.isEmpty else { throw fail("id2label", "expected keys 0..<n with no gaps") }
        if let numLabels, numLabels != result.count {
            throw fail("num_labels", "is \(numLabels) but id2label has \(result.count) labels")
        }
        return result
    }
}

extension Substring {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
