#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A model compiled by `debertac compile`, loaded in-process with `dlopen` and called through
/// its C ABI (include/debertac.h, docs/abi.md).
///
///     let model = try CompiledModel(path: "nli.so")
///     let session = try model.makeSession(maxBatch: 8, maxLength: 256)
///     let predictions = try session.classify(texts: ["A man plays a guitar."], pairs: ["A person makes music."])
///     print(predictions[0].label, predictions[0].probabilities)
///
/// A model is immutable once open, so one instance may be shared by any number of threads
/// (the ABI's rule); each thread makes its own `Session`. The .so stays loaded while the model
/// or any of its sessions is alive.
public final class CompiledModel: @unchecked Sendable {
    // @unchecked: the stored C pointers are not Sendable to the compiler, but the ABI makes a
    // `debertac_model` immutable after `debertac_model_open` and every model call thread-safe;
    // everything else stored here is immutable Swift values read once at load.

    /// The path of the .so, as given.
    public let path: String
    /// `debertac_abi_version()` of the .so (1 to 3; a later version is refused at load).
    public let abiVersion: Int
    /// The class names, `id2label` in index order; `labels.count` logits per sequence (one for
    /// a regression head).
    public let labels: [String]
    /// The longest sequence the model accepts, in tokens (`max_position_embeddings`).
    public let maxSequenceLength: Int
    /// Token ids must lie in `0..<vocabSize`.
    public let vocabSize: Int
    /// Whether the .so carries its tokenizer (compiled from a folder with one; ABI 2), so the
    /// text calls work.
    public let hasTokenizer: Bool

    /// The resolved C entry points.
    package let api: DebertacABI
    /// The `debertac_model *`.
    package let rawModel: OpaquePointer
    private let library: UnsafeMutableRawPointer

    /// Loads the .so at `path` and opens its model. `weightsPath` names the external weights
    /// file of a .so compiled with `--external-weights` (nil: `PATH.weights` beside it, or the
    /// weights inside the .so).
    ///
    /// Throws `cannotLoad` when `dlopen` fails, the file is not a debertac model, or its ABI
    /// version is newer than this library knows; otherwise the status and message of
    /// `debertac_model_open` (for example `ioError` for missing weights, `unsupportedCPU`).
    public init(path: String, weightsPath: String? = nil) throws(DebertacError) {
        self.path = path
        // A bare file name would make dlopen search the library path instead of the folder.
        let loadPath = path.contains("/") ? path : "./" + path
        guard let library = dlopen(loadPath, RTLD_NOW | RTLD_LOCAL) else {
            throw .cannotLoad(path, dlerror().map { String(cString: $0) } ?? "dlopen failed")
        }
        let api: DebertacABI
        do {
            api = try DebertacABI(handle: library, path: path)
        } catch {
            dlclose(library)
            throw error
        }
        var opened: OpaquePointer?
        let status = api.modelOpen(weightsPath, &opened)
        guard status == 0, let opened else {
            let error = DebertacError(status: .init(raw: status), message: api.lastOpenError)
            dlclose(library)
            throw error
        }
        self.library = library
        self.api = api
        rawModel = opened
        abiVersion = Int(api.abiVersion())
        labels = (0..<api.numLabels(opened)).map { index in api.label(opened, index).map { String(cString: $0) } ?? "LABEL_\(index)" }
        maxSequenceLength = Int(api.maxSequenceLength(opened))
        vocabSize = Int(api.vocabSize(opened))
        hasTokenizer = (api.text?.hasTokenizer(opened) ?? 0) == 1
    }

    deinit {
        api.modelClose(rawModel)
        dlclose(library)
    }

    /// The number of logits per sequence (`labels.count`).
    public var numLabels: Int { labels.count }

    /// `debertac_model_info`: one JSON object with the model's configuration, precision,
    /// tokenizer, target CPU, compiler and weights digest (docs/abi.md, "Model info").
    public var info: String { api.info(rawModel).map { String(cString: $0) } ?? "{}" }

    /// A session for batches of up to `maxBatch` sequences of up to `maxLength` tokens (nil:
    /// the model's maximum): its scratch memory and threads, allocated here once. Use it from
    /// one thread at a time; it keeps this model alive.
    ///
    /// Throws `invalidArgument` for maxima below 1, `outOfRange` for a length above the model's,
    /// `outOfMemory` when the arena cannot be allocated.
    public func makeSession(maxBatch: Int = 1, maxLength: Int? = nil) throws(DebertacError) -> Session {
        var session: OpaquePointer?
        let status = api.sessionCreate(rawModel, Int32(clamping: maxBatch), Int32(clamping: maxLength ?? maxSequenceLength), &session)
        guard status == 0, let session else {
            throw DebertacError(status: .init(raw: status), message: api.lastOpenError)
        }
        return Session(model: self, rawSession: session)
    }

    /// The text calls, or `invalidArgument` for a .so of ABI version 1, which has none.
    func requireText() throws(DebertacError) -> DebertacABI.Text {
        guard let text = api.text else {
            throw DebertacError(status: .invalidArgument,
                                message: "'\(path)' has ABI version \(abiVersion), which has no text calls (version 2 added them)")
        }
        return text
    }
}
