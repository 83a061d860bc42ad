#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The C entry points of a compiled model (include/debertac.h), resolved once with `dlsym`.
///
/// The signatures are declared here rather than imported from the header, so this module
/// needs no C target and no build flags: a package that depends on `DebertacRuntime` builds it
/// as plain Swift. `package` so that the repository's ABI tests can call the raw functions
/// with the arguments the Swift API never passes (NULL pointers, negative sizes).
package struct DebertacABI {
    /// A `debertac_status` value.
    package typealias Status = Int32
    /// `const char *const *`: an array of C strings.
    package typealias CStrings = UnsafePointer<UnsafePointer<CChar>?>?

    /// The newest `DEBERTAC_ABI_VERSION` this module knows: it refuses a .so of a later one.
    package static let newestVersion: UInt32 = 3

    package let abiVersion: @convention(c) () -> UInt32
    package let statusString: @convention(c) (Status) -> UnsafePointer<CChar>?
    package let openError: @convention(c) () -> UnsafePointer<CChar>?
    package let modelOpen: @convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<OpaquePointer?>?) -> Status
    package let modelClose: @convention(c) (OpaquePointer?) -> Void
    package let numLabels: @convention(c) (OpaquePointer?) -> Int32
    package let label: @convention(c) (OpaquePointer?, Int32) -> UnsafePointer<CChar>?
    package let maxSequenceLength: @convention(c) (OpaquePointer?) -> Int32
    package let vocabSize: @convention(c) (OpaquePointer?) -> Int32
    package let info: @convention(c) (OpaquePointer?) -> UnsafePointer<CChar>?
    package let sessionCreate: @convention(c) (OpaquePointer?, Int32, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Status
    package let sessionDestroy: @convention(c) (OpaquePointer?) -> Void
    package let lastError: @convention(c) (OpaquePointer?) -> UnsafePointer<CChar>?
    package let classify: @convention(c) (OpaquePointer?, Int32, Int32, UnsafePointer<Int32>?, UnsafePointer<Int32>?,
                                          UnsafePointer<Int32>?, UnsafeMutablePointer<Float>?) -> Status
    /// The text calls of ABI version 2; nil for a version-1 .so.
    package let text: Text?

    /// The text calls (ABI version 2).
    package struct Text {
        package let hasTokenizer: @convention(c) (OpaquePointer?) -> Int32
        package let tokenize: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, Int32,
                                              UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<Int32>?, Int32,
                                              UnsafeMutablePointer<Int32>?) -> Status
        package let classifyText: @convention(c) (OpaquePointer?, Int32, CStrings, CStrings, UnsafeMutablePointer<Float>?) -> Status
        package let zeroShot: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, Int32, CStrings, UnsafePointer<CChar>?, Int32,
                                              UnsafeMutablePointer<Float>?) -> Status
    }

    /// Resolves every entry point of `handle` (a `dlopen`ed .so at `path`), after checking
    /// that its ABI version is one this module knows: a later version may have changed any
    /// declaration, so nothing else is looked up in it.
    init(handle: UnsafeMutableRawPointer, path: String) throws(DebertacError) {
        func symbol<T>(_ name: String, _: T.Type) throws(DebertacError) -> T {
            guard let pointer = dlsym(handle, name) else {
                throw .cannotLoad(path, "it does not export '\(name)', so it is not a model compiled by debertac")
            }
            return unsafeBitCast(pointer, to: T.self)
        }
        abiVersion = try symbol("debertac_abi_version", (@convention(c) () -> UInt32).self)
        let version = abiVersion()
        guard (1...Self.newestVersion).contains(version) else {
            throw .cannotLoad(path, "its ABI version is \(version), expected 1 to \(Self.newestVersion) "
                + (version > Self.newestVersion ? "(it was compiled by a newer debertac: update DebertacRuntime)" : "(it is not a valid debertac model)"))
        }
        statusString = try symbol("debertac_status_string", (@convention(c) (Status) -> UnsafePointer<CChar>?).self)
        openError = try symbol("debertac_open_error", (@convention(c) () -> UnsafePointer<CChar>?).self)
        modelOpen = try symbol("debertac_model_open", (@convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<OpaquePointer?>?) -> Status).self)
        modelClose = try symbol("debertac_model_close", (@convention(c) (OpaquePointer?) -> Void).self)
        numLabels = try symbol("debertac_model_num_labels", (@convention(c) (OpaquePointer?) -> Int32).self)
        label = try symbol("debertac_model_label", (@convention(c) (OpaquePointer?, Int32) -> UnsafePointer<CChar>?).self)
        maxSequenceLength = try symbol("debertac_model_max_sequence_length", (@convention(c) (OpaquePointer?) -> Int32).self)
        vocabSize = try symbol("debertac_model_vocab_size", (@convention(c) (OpaquePointer?) -> Int32).self)
        info = try symbol("debertac_model_info", (@convention(c) (OpaquePointer?) -> UnsafePointer<CChar>?).self)
        sessionCreate = try symbol("debertac_session_create", (@convention(c) (OpaquePointer?, Int32, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Status).self)
        sessionDestroy = try symbol("debertac_session_destroy", (@convention(c) (OpaquePointer?) -> Void).self)
        lastError = try symbol("debertac_session_last_error", (@convention(c) (OpaquePointer?) -> UnsafePointer<CChar>?).self)
        classify = try symbol("debertac_classify", (@convention(c) (OpaquePointer?, Int32, Int32, UnsafePointer<Int32>?, UnsafePointer<Int32>?,
                                                                    UnsafePointer<Int32>?, UnsafeMutablePointer<Float>?) -> Status).self)
        text = version < 2 ? nil : Text(
            hasTokenizer: try symbol("debertac_model_has_tokenizer", (@convention(c) (OpaquePointer?) -> Int32).self),
            tokenize: try symbol("debertac_tokenize", (@convention(c) (OpaquePointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, Int32,
                                                                       UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<Int32>?, Int32,
                                                                       UnsafeMutablePointer<Int32>?) -> Status).self),
            classifyText: try symbol("debertac_classify_text", (@convention(c) (OpaquePointer?, Int32, CStrings, CStrings, UnsafeMutablePointer<Float>?) -> Status).self),
            zeroShot: try symbol("debertac_zero_shot", (@convention(c) (OpaquePointer?, UnsafePointer<CChar>?, Int32, CStrings, UnsafePointer<CChar>?, Int32,
                                                                        UnsafeMutablePointer<Float>?) -> Status).self))
    }

    /// `debertac_status_string(status)`.
    package func name(of status: Status) -> String {
        statusString(status).map { String(cString: $0) } ?? "unknown status"
    }

    /// `debertac_open_error()` of the calling thread.
    package var lastOpenError: String { openError().map { String(cString: $0) } ?? "" }
}
