import DebertacFrontend

/// What transformers reads beside `spm.model`: `tokenizer_config.json`, and the legacy
/// `added_tokens.json` and `special_tokens_map.json`. All are optional; a missing field takes
/// `DebertaV2Tokenizer`'s default. Ids are assigned by `resolveSpecialTokens`
/// (TokenizerConfig+SpecialTokens.swift).
public struct TokenizerConfig: Sendable, Equatable {
    /// transformers' `AddedToken`: a string with matching options (all false by default).
    public struct AddedToken: Sendable, Equatable {
        /// The token's text.
        public var content: String
        /// Eat the white space on the left / on the right; match only as a whole word.
        public var lstrip = false
        public var rstrip = false
        public var singleWord = false
        /// Whether the token is special (`nil`: not stated, the reader decides).
        public var special: Bool?

        /// A token; flags default to false, `special` to "not stated".
        public init(content: String, lstrip: Bool = false, rstrip: Bool = false, singleWord: Bool = false, special: Bool? = nil) {
            self.content = content
            self.lstrip = lstrip
            self.rstrip = rstrip
            self.singleWord = singleWord
            self.special = special
        }
    }

    /// The special-token attributes, in transformers' `SPECIAL_TOKENS_ATTRIBUTES` order (the
    /// order in which tokens missing from the vocabulary get new ids).
    public enum Role: String, Sendable, CaseIterable {
        case bos = "bos_token", eos = "eos_token", unk = "unk_token", sep = "sep_token"
        case pad = "pad_token", cls = "cls_token", mask = "mask_token"

        /// `DebertaV2Tokenizer.__init__`'s default.
        public var defaultContent: String {
            switch self {
            case .bos, .cls: "[CLS]"
            case .eos, .sep: "[SEP]"
            case .unk: "[UNK]"
            case .pad: "[PAD]"
            case .mask: "[MASK]"
            }
        }
    }

    /// An added token with the id a file gave it.
    public struct NumberedToken: Sendable, Equatable {
        /// The id the file gives the token.
        public var id: Int32
        public var token: AddedToken
    }

    /// `do_lower_case` (default false).
    public var doLowerCase = false
    /// `split_by_punct` (default false).
    public var splitByPunct = false
    /// `add_prefix_space` (default false; byte-level BPE tokenizers only).
    public var addPrefixSpace = false
    /// Each role's token; nil when a file sets it to null (the role then has no token).
    public var roles: [Role: AddedToken?] = [:]
    /// `additional_special_tokens`, in file order.
    public var additionalSpecialTokens: [AddedToken] = []
    /// `added_tokens_decoder` of tokenizer_config.json, when it has one (transformers ≥ 4.34 saves it).
    public var addedTokensDecoder: [NumberedToken]?
    /// `added_tokens.json` ({"[MASK]": 128000}), in file order.
    public var addedTokensFile: [NumberedToken] = []
    /// `model_max_length` when it is a positive integer that fits an Int32 (transformers saves
    /// the sentinel 1e30 for "no limit").
    public var modelMaxLength: Int32?
    /// The files read, for messages ("" when none).
    public var source = ""

    /// No files: every field at `DebertaV2Tokenizer`'s default.
    public init() {}

    /// The token of `role`: the file's, else the default; nil when a file set it to null.
    public func token(_ role: Role) -> AddedToken? {
        if let stated = roles[role] { return stated }
        return AddedToken(content: role.defaultContent)
    }

    /// Reads whichever of `tokenizer_config.json`, `special_tokens_map.json` and
    /// `added_tokens.json` exist in `directory`.
    public static func load(directory: String) throws(TokenizerError) -> TokenizerConfig {
        func json(_ name: String) throws(TokenizerError) -> (JSONValue, String)? {
            let path = directory.appendingPath(name)
            guard try tokenizerFileExists(path) else { return nil }
            return (try readJSON(path: path, limit: maximumConfigBytes), path)
        }
        return try TokenizerConfig(
            tokenizerConfig: try json("tokenizer_config.json"), specialTokensMap: try json("special_tokens_map.json"),
            addedTokens: try json("added_tokens.json"))
    }

    /// Largest config file accepted (16 MiB; they are usually under 10 KB).
    public static let maximumConfigBytes = 16 << 20

    /// Interprets parsed files, each with the path that labels its errors. As transformers
    /// (4.x `_from_pretrained`), `special_tokens_map.json` overrides tokenizer_config.json's
    /// special tokens only when tokenizer_config.json has no `added_tokens_decoder`.
    public init(
        tokenizerConfig: (JSONValue, String)?, specialTokensMap: (JSONValue, String)? = nil, addedTokens: (JSONValue, String)? = nil
    ) throws(TokenizerError) {
        source = [tokenizerConfig?.1, specialTokensMap?.1, addedTokens?.1].compactMap { $0 }.joined(separator: ", ")
        if let (json, file) = tokenizerConfig {
            let reader = try FieldReader(json: json, file: file)
            doLowerCase = try reader.bool("do_lower_case") ?? false
            splitByPunct = try reader.bool("split_by_punct") ?? false
            addPrefixSpace = try reader.bool("add_prefix_space") ?? false
            if let value = reader.value("model_max_length") {
                guard value.doubleValue != nil else {
                    throw reader.fail("model_max_length", "is a \(value.kindName), expected a number")
                }
                // Anything else (1e30, a fraction, ≤ 0) means "no limit" to us.
                if let int = value.intValue, int > 0, int <= Int(Int32.max) { modelMaxLength = Int32(int) }
            }
            try readRoles(reader)
            if let decoder = reader.value("added_tokens_decoder") {
                addedTokensDecoder = try reader.numberedTokens("added_tokens_decoder", decoder)
            }
        }
        if addedTokensDecoder == nil, let (json, file) = specialTokensMap {
            try readSpecialTokensMap(try FieldReader(json: json, file: file))
        }
        if let (json, file) = addedTokens {
            let reader = try FieldReader(json: json, file: file)
            addedTokensFile = try reader.addedTokensFile()
        }
    }

    private mutating func readRoles(_ reader: FieldReader) throws(TokenizerError) {
        for role in Role.allCases where reader.has(role.rawValue) {
            roles.updateValue(try reader.token(role.rawValue), forKey: role)
        }
        if let list = reader.value("additional_special_tokens") {
            additionalSpecialTokens = try reader.tokenList("additional_special_tokens", list)
        }
    }

    /// transformers' legacy merge: each role is replaced (a dict value becomes a special
    /// AddedToken); additional tokens are appended to tokenizer_config.json's when new.
    private mutating func readSpecialTokensMap(_ reader: FieldReader) throws(TokenizerError) {
        for role in Role.allCases where reader.has(role.rawValue) {
            roles.updateValue(try reader.token(role.rawValue), forKey: role)
        }
        if let list = reader.value("additional_special_tokens") {
            for token in try reader.tokenList("additional_special_tokens", list)
            where !additionalSpecialTokens.contains(where: { $0.content == token.content }) {
                additionalSpecialTokens.append(token)
            }
        }
    }
}

/// Typed access to the members of a tokenizer config file, with errors naming the field.
struct FieldReader {
    let json: JSONValue
    let file: String

    init(json: JSONValue, file: String) throws(TokenizerError) {
        guard json.objectValue != nil else {
            throw TokenizerError.field(file: file, field: "(top level)", message: "is a \(json.kindName), expected an object")
        }
        self.json = json
        self.file = file
    }

    func fail(_ field: String, _ message: String) -> TokenizerError {
        .field(file: file, field: field, message: message)
    }

    func has(_ field: String) -> Bool { json[field] != nil }

    /// The member, or nil when absent or JSON null (transformers treats null as unset).
    func value(_ field: String) -> JSONValue? {
        guard let value = json[field], value != .null else { return nil }
        return value
    }

    func bool(_ field: String) throws(TokenizerError) -> Bool? {
        guard let value = value(field) else { return nil }
        guard let bool = value.boolValue else { throw fail(field, "is a \(value.kindName), expected true or false") }
        return bool
    }

    /// A role's token: a string, an AddedToken object (with or without `"__type"`), or null (nil).
    func token(_ field: String) throws(TokenizerError) -> TokenizerConfig.AddedToken? {
        guard let value = value(field) else { return nil }
        return try addedToken(value, field: field)
    }

    func addedToken(_ value: JSONValue, field: String) throws(TokenizerError) -> TokenizerConfig.AddedToken {
        if let text = value.stringValue { return TokenizerConfig.AddedToken(content: text) }
        guard value.objectValue != nil else {
            throw fail(field, "is a \(value.kindName), expected a string or an AddedToken object")
        }
        if let type = value["__type"], type != .string("AddedToken") {
            throw fail(field, "has '__type' \(type.serialized()), expected \"AddedToken\"")
        }
        guard let content = value["content"]?.stringValue else {
            throw fail(field, "has no string 'content', expected an AddedToken object")
        }
        func flag(_ name: String) throws(TokenizerError) -> Bool? {
            guard let member = value[name], member != .null else { return nil }
            guard let bool = member.boolValue else { throw fail(field, "has '\(name)' of type \(member.kindName), expected true or false") }
            return bool
        }
        return TokenizerConfig.AddedToken(
            content: content, lstrip: try flag("lstrip") ?? false, rstrip: try flag("rstrip") ?? false,
            singleWord: try flag("single_word") ?? false, special: try flag("special"))
    }

    func tokenList(_ field: String, _ value: JSONValue) throws(TokenizerError) -> [TokenizerConfig.AddedToken] {
        guard let elements = value.arrayValue else { throw fail(field, "is a \(value.kindName), expected a list") }
        var tokens: [TokenizerConfig.AddedToken] = []
        for (index, element) in elements.enumerated() {
            tokens.append(try addedToken(element, field: "\(field)[\(index)]"))
        }
        return tokens
    }

    /// `added_tokens_decoder`: {"128000": AddedToken, ...}.
    func numberedTokens(_ field: String, _ value: JSONValue) throws(TokenizerError) -> [TokenizerConfig.NumberedToken] {
        guard let members = value.objectValue else { throw fail(field, "is a \(value.kindName), expected an object") }
        var tokens: [TokenizerConfig.NumberedToken] = []
        for (key, member) in members {
            guard let id = Int32(key), id >= 0, id < Int32.max else {
                throw fail("\(field).\(key)", "key is not a token id, expected an integer from 0 to \(Int32.max - 1)")
            }
            tokens.append(.init(id: id, token: try addedToken(member, field: "\(field).\(key)")))
        }
        return tokens
    }

    /// `added_tokens.json`: {"[MASK]": 128000, ...}.
    func addedTokensFile() throws(TokenizerError) -> [TokenizerConfig.NumberedToken] {
        var tokens: [TokenizerConfig.NumberedToken] = []
        for (content, value) in json.objectValue ?? [] {
            guard let id = value.intValue, id >= 0, id < Int(Int32.max) else {
                throw fail(content, "is \(value.serialized()), expected a token id from 0 to \(Int32.max - 1)")
            }
            tokens.append(.init(id: Int32(id), token: .init(content: content)))
        }
        return tokens
    }
}
