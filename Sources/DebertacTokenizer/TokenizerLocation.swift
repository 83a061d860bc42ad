extension TokenizerModel {
    /// File names a checkpoint folder may hold a tokenizer in, in order of preference.
    public static let folderCandidates = ["spm.model", "tokenizer.json", "vocab.json"]

    /// Reads the tokenizer at `path`:
    /// - a folder: its `spm.model` if present, else its `tokenizer.json`, else its `vocab.json`
    ///   with the `merges.txt` beside it (byte-level BPE, DeBERTa v1); nil when it has none
    ///   (the model compiles ids-only);
    /// - a file: a SentencePiece model or a tokenizer.json, recognised by content (a protobuf
    ///   ModelProto field first, or a JSON object), whatever its name.
    ///
    /// `tokenizer_config.json`, `added_tokens.json` and `special_tokens_map.json` are read from
    /// the folder of the tokenizer file when present (for tokenizer.json only
    /// `model_max_length` is used; the file itself has the rest).
    public static func load(path: String) throws(TokenizerError) -> TokenizerModel? {
        let file: String
        var isJSON: Bool?
        if isDirectory(path) {
            // The first name that is there; one that is there but not a file is an error, not skipped.
            var found: String?
            for name in folderCandidates where try tokenizerFileExists(path.appendingPath(name)) {
                found = name
                break
            }
            guard let name = found else { return nil }
            file = path.appendingPath(name)
            if name == "vocab.json" { return try readByteLevelBPE(vocabPath: file) }
            isJSON = name == "tokenizer.json"
        } else {
            guard try tokenizerFileExists(path) else { throw TokenizerError.notFound(path: path, message: "no such file or folder") }
            file = path
            if path.hasSuffix("vocab.json") { return try readByteLevelBPE(vocabPath: file) }
        }
        let config = try TokenizerConfig.load(directory: file.parentDirectory)
        // The reader's own limit when the name says which; else the larger one, then each reader applies its own.
        let limit = switch isJSON {
        case true?: TokenizerJSONReader.maximumFileBytes
        case false?: SentencePieceModelReader.maximumFileBytes
        case nil: max(SentencePieceModelReader.maximumFileBytes, TokenizerJSONReader.maximumFileBytes)
        }
        let bytes = try readFileBytes(path: file, limit: limit)
        if isJSON == nil {
            if TokenizerJSONReader.looksLikeJSON(bytes) {
                isJSON = true
            } else if SentencePieceModelReader.looksLikeModel(bytes) {
                isJSON = false
            } else {
                throw TokenizerError.unknownFormat(file: file)
            }
        }
        if isJSON == true {
            return try TokenizerJSONReader.read(bytes: bytes, path: file, config: config)
        }
        return try SentencePieceModelReader.read(bytes: bytes, path: file, config: config)
    }

    /// `vocab.json` and the `merges.txt` beside it, with the folder's configuration.
    private static func readByteLevelBPE(vocabPath: String) throws(TokenizerError) -> TokenizerModel {
        let merges = vocabPath.parentDirectory.appendingPath("merges.txt")
        guard try tokenizerFileExists(merges) else {
            throw TokenizerError.notFound(path: merges, message: "no such file, expected the merges of \(quoted(vocabPath))")
        }
        let config = try TokenizerConfig.load(directory: vocabPath.parentDirectory)
        return try ByteLevelBPEReader.read(vocabPath: vocabPath, mergesPath: merges, config: config)
    }
}
