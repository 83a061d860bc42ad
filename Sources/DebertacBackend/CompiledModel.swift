#if canImport(Glibc)
import Glibc
#endif

/// A compiled model loaded in-process with `dlopen`, called through its C ABI
/// (include/debertac.h). Used by `debertac run nli.so` and by the tests.
///
///     let model = try CompiledModel(path: "nli.so")
///     let session = try model.session(maxBatch: 8, maxLength: 128)
///     let logits = try session.classify(inputIds: [[1, 85, 95, 2]])   // [B][num_labels]
public final class CompiledModel: @unchecked Sendable {
    /// The `.so` path.
    public let path: String
    private let handle: UnsafeMutableRawPointer
    let api: API
    let model: OpaquePointer

    /// The C entry points, resolved once.
    struct API {
        typealias Status = Int32
        let abiVersion: @convention(c) () -> UInt32
        let statusString: @convention(c) (Status) -> UnsafePointer<CChar>?
        let openError: @convention(c) () -> UnsafePointer<CChar>?
        let modelOpen: @convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<OpaquePointer?>?) -> Status
        let modelClose: @convention(c) (OpaquePointer?) -> Void
        let numLabels: @convention(c) (OpaquePointer?) -> Int32
        let label: @convention(c) (OpaquePointer?, Int32) -> UnsafePointer<CChar>?
        let maxSequenceLength: @convention(c) (OpaquePointer?) -> Int32
        let vocabSize: @convention(c) (OpaquePointer?) -> Int32
        let info: @convention(c) (OpaquePointer?) -> UnsafePointer<CChar>?
        let sessionCreate: @convention(c) (OpaquePointer?, Int32, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Status
        let sessionDestroy: @convention(c) (OpaquePointer?) -> Void
        let lastError: @convention(c) (OpaquePointer?) -> UnsafePointer<CChar>?
        let classify: @convention(c) (OpaquePointer?, Int32, Int32, UnsafePointer<Int32>?, UnsafePointer<Int32>?,
                                      UnsafePointer<Int32>?, UnsafeMutablePointer<Float>?) -> Status
        /// ABI version 2: the text calls (nil in a version-1 .so).
        let text: TextAPI?

        struct TextAPI {
            typealias CStrings = UnsafePointer<UnsafePointer<CChar>?>?
            let hasTokenizer: @convention(c) (OpaquePointer?) -> Int32
            let tokenize: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, Int32,
                                          UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<Int32>?, Int32,
                                          UnsafeMutablePointer<Int32>?) -> Status
            let classifyText: @convention(c) (OpaquePointer?, Int32, CStrings, CStrings, UnsafeMutablePointer<Float>?) -> Status
            let zeroShot: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, Int32, CStrings, UnsafePointer<CChar>?, Int32,
                                          UnsafeMutablePointer<Float>?) -> Status
        }

        func text(_ status: Status) -> String { statusString(status).map { String(cString: $0) } ?? "?" }
    }

    /// Opens `path` and its model; `weightsPath` as for `debertac_model_open`.
    public init(path: String, weightsPath: String? = nil) throws(BackendError) {
        self.path = path
        // A bare file name would make dlopen search the library path instead of the folder.
        let loadPath = path.contains("/") ? path : "./" + path
        guard let handle = dlopen(loadPath, RTLD_NOW | RTLD_LOCAL) else {
            throw .load(path: path, message: dlerror().map { String(cString: $0) } ?? "dlopen failed")
        }
        func symbol<T>(_ name: String, _: T.Type) throws(BackendError) -> T {
            guard let p = dlsym(handle, name) else {
                throw .load(path: path, message: "the library does not export '\(name)'")
            }
            return unsafeBitCast(p, to: T.self)
        }
        do throws(BackendError) {
            api = API(
                abiVersion: try symbol("debertac_abi_version", (@convention(c) () -> UInt32).self),
                statusString: try symbol("debertac_status_string", (@convention(c) (Int32) -> UnsafePointer<CChar>?).self),
                openError: try symbol("debertac_open_error", (@convention(c) () -> UnsafePointer<CChar>?).self),
                modelOpen: try symbol("debertac_model_open", (@convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<OpaquePointer?>?) -> Int32).self),
                modelClose: try symbol("debertac_model_close", (@convention(c) (OpaquePointer?) -> Void).self),
                numLabels: try symbol("debertac_model_num_labels", (@convention(c) (OpaquePointer?) -> Int32).self),
                label: try symbol("debertac_model_label", (@convention(c) (OpaquePointer?, Int32) -> UnsafePointer<CChar>?).self),
                maxSequenceLength: try symbol("debertac_model_max_sequence_length", (@convention(c) (OpaquePointer?) -> Int32).self),
                vocabSize: try symbol("debertac_model_vocab_size", (@convention(c) (OpaquePointer?) -> Int32).self),
                info: try symbol("debertac_model_info", (@convention(c) (OpaquePointer?) -> UnsafePointer<CChar>?).self),
                sessionCreate: try symbol("debertac_session_create", (@convention(c) (OpaquePointer?, Int32, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Int32).self),
                sessionDestroy: try symbol("debertac_session_destroy", (@convention(c) (OpaquePointer?) -> Void).self),
                lastError: try symbol("debertac_session_last_error", (@convention(c) (OpaquePointer?) -> UnsafePointer<CChar>?).self),
                classify: try symbol("debertac_classify", (@convention(c) (OpaquePointer?, Int32, Int32, UnsafePointer<Int32>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?, UnsafeMutablePointer<Float>?) -> Int32).self),
                text: dlsym(handle, "debertac_model_has_tokenizer") == nil ? nil : API.TextAPI(
                    hasTokenizer: try symbol("debertac_model_has_tokenizer", (@convention(c) (OpaquePointer?) -> Int32).self),
                    tokenize: try symbol("debertac_tokenize", (@convention(c) (OpaquePointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, Int32, UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<Int32>?, Int32, UnsafeMutablePointer<Int32>?) -> Int32).self),
                    classifyText: try symbol("debertac_classify_text", (@convention(c) (OpaquePointer?, Int32, API.TextAPI.CStrings, API.TextAPI.CStrings, UnsafeMutablePointer<Float>?) -> Int32).self),
                    zeroShot: try symbol("debertac_zero_shot", (@convention(c) (OpaquePointer?, UnsafePointer<CChar>?, Int32, API.TextAPI.CStrings, UnsafePointer<CChar>?, Int32, UnsafeMutablePointer<Float>?) -> Int32).self)
                )
            )
        } catch {
            dlclose(handle)
            throw error
        }
        var opened: OpaquePointer?
        let status = api.modelOpen(weightsPath, &opened)
        guard status == 0, let opened else {
            let message = api.openError().map { String(cString: $0) } ?? ""
            let text = api.text(status)
            dlclose(handle)
            throw .runtime(status: text, message: message)
        }
        self.handle = handle
        model = opened
    }

    deinit {
        api.modelClose(model)
        dlclose(handle)
    }

    public var abiVersion: UInt32 { api.abiVersion() }
    public var numLabels: Int { Int(api.numLabels(model)) }
    public var labels: [String] { (0..<numLabels).map { String(cString: api.label(model, Int32($0))!) } }
    public var maxSequenceLength: Int { Int(api.maxSequenceLength(model)) }
    public var vocabSize: Int { Int(api.vocabSize(model)) }
    /// `debertac_model_info`: JSON with config, precision, target, compiler, weights digest.
    public var info: String { String(cString: api.info(model)!) }

    /// A session for batches up to `maxBatch` × `maxLength`.
    public func session(maxBatch: Int, maxLength: Int) throws(BackendError) -> Session {
        var session: OpaquePointer?
        let status = api.sessionCreate(model, Int32(clamping: maxBatch), Int32(clamping: maxLength), &session)
        guard status == 0, let session else {
            throw .runtime(status: api.text(status), message: api.openError().map { String(cString: $0) } ?? "")
        }
        return Session(model: self, session: session)
    }

    /// A session: scratch arena and thread pool; use it from one thread at a time.
    public final class Session: @unchecked Sendable {
        let model: CompiledModel
        let session: OpaquePointer

        init(model: CompiledModel, session: OpaquePointer) {
            self.model = model
            self.session = session
        }

        deinit { model.api.sessionDestroy(session) }

        /// Logits `[B][num_labels]` for rectangular `[B][T]` inputs (mask and token types optional).
        public func classify(inputIds: [[Int32]], attentionMask: [[Int32]]? = nil,
                             tokenTypeIds: [[Int32]]? = nil) throws(BackendError) -> [[Float]] {
            let batch = inputIds.count, length = inputIds.first?.count ?? 0
            let labels = model.numLabels
            var logits = [Float](repeating: .nan, count: max(batch * labels, 1))
            let ids = inputIds.flatMap { $0 }
            let mask = attentionMask?.flatMap { $0 }
            let types = tokenTypeIds?.flatMap { $0 }
            let status = ids.withUnsafeBufferPointer { idp in
                withOptionalBuffer(mask) { mp in
                    withOptionalBuffer(types) { tp in
                        logits.withUnsafeMutableBufferPointer { lp in
                            model.api.classify(session, Int32(batch), Int32(length), idp.baseAddress, mp, tp, lp.baseAddress)
                        }
                    }
                }
            }
            guard status == 0 else {
                throw .runtime(status: model.api.text(status), message: lastError)
            }
            return (0..<batch).map { Array(logits[($0 * labels)..<(($0 + 1) * labels)]) }
        }

        /// `debertac_session_last_error`.
        public var lastError: String { String(cString: model.api.lastError(session)!) }
    }
}

private func withOptionalBuffer<R>(_ values: [Int32]?, _ body: (UnsafePointer<Int32>?) -> R) -> R {
    guard let values else { return body(nil) }
    return values.withUnsafeBufferPointer { body($0.baseAddress) }
}
