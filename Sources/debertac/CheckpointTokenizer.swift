import DebertacFrontend
import DebertacTokenizer
#if canImport(Glibc)
import Glibc
#endif

/// Finding the tokenizer of a checkpoint: `--tokenizer PATH` when given, else the checkpoint's
/// folder (the folder itself, or the folder of a weights file), as `config.json` is found.
enum CheckpointTokenizer {
    /// Throws when nothing is at `path` (before any other message could mislead).
    static func requireExists(_ path: String) throws {
        guard access(path, F_OK) == 0 else {
            throw TokenizerLookupError(message: "'\(path)' does not exist: \(String(cString: strerror(errno)))")
        }
    }

    /// The tokenizer model, or nil when the folder has none (an ids-only model).
    static func load(model: String, override: String?) throws -> TokenizerModel? {
        if let override {
            guard let tokenizer = try TokenizerModel.load(path: override) else {
                throw TokenizerLookupError(message: "'\(override)' has no tokenizer (expected spm.model or tokenizer.json)")
            }
            return tokenizer
        }
        return try TokenizerModel.load(path: isDirectory(model) ? model : directoryName(model))
    }

    /// Like `load`, but a missing tokenizer is an error naming what was looked for.
    static func require(model: String, override: String?) throws -> TokenizerModel {
        guard let tokenizer = try load(model: model, override: override) else {
            throw TokenizerLookupError(message: "'\(model)' has no tokenizer (spm.model or tokenizer.json); name one with --tokenizer")
        }
        return tokenizer
    }

    /// Throws unless every id the tokenizer can produce is a row of the model's word
    /// embeddings (`vocab_size`): a tokenizer from another model would index past them.
    static func checkFits(_ encoder: Tokenizer, source: String, vocabSize: Int) throws {
        guard encoder.vocabLimit <= vocabSize else {
            throw TokenizerLookupError(message: "the tokenizer '\(source)' produces ids up to \(encoder.vocabLimit - 1), "
                                       + "but the model's vocab_size is \(vocabSize)")
        }
    }

    /// The checkpoint's config.json (in the folder, or beside the weights file), nil when absent.
    static func config(model: String) throws -> DebertaConfig? {
        let path = (isDirectory(model) ? model : directoryName(model)) + "/config.json"
        return access(path, F_OK) == 0 ? try DebertaConfig.load(path: path) : nil
    }

    private static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    private static func directoryName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

/// No tokenizer where one is needed.
struct TokenizerLookupError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
