extension TokenizerModel {
    /// File names a checkpoint folder may hold a tokenizer in, in order of preference.
    public static let folderCandidates = ["spm.model", "tokenizer.json"]

    /// Reads the tokenizer at `path`:
    /// - a folder: its `spm.model` if present, else its `tokenizer.json`; nil when it has neither
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
            guard let name = folderCandidates.first(where: { isRegularFile(path.appendingPath($0)) }) else { return nil }
            file = path.appendingPath(name)
            isJSON = name == "tokenizer.json"
        } else {
            guard isRegularFile(path) else { throw TokenizerError.notFound(path: path, message: "no such file or folder") }
            file = path
        }
        let config = try TokenizerConfig.load(directory: file.parentDirectory)
        // The larger limit first; each reader then applies its own.
        let bytes = try readFileBytes(path: file, limit: max(SentencePieceModelReader.maximumFileBytes, TokenizerJSONReader.maximumFileBytes))
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
}
