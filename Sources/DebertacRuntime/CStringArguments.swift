#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Swift strings handed to the C ABI as NUL-terminated UTF-8.
enum CStringArguments {
    /// A Swift string may hold U+0000, which C would read as the end of the text: refused,
    /// rather than classifying a silently shortened text.
    static func check(_ text: String, name: String) throws(DebertacError) {
        if let offset = text.utf8.firstIndex(of: 0).map({ text.utf8.distance(from: text.utf8.startIndex, to: $0) }) {
            throw DebertacError(status: .invalidArgument,
                                message: "'\(name)' holds a NUL character at byte \(offset), which the C ABI cannot pass")
        }
    }

    /// Checks every string of `texts`, named `name[i]`.
    static func check(_ texts: [String?], name: String) throws(DebertacError) {
        for (index, text) in texts.enumerated() {
            if let text { try check(text, name: "\(name)[\(index)]") }
        }
    }

    /// Calls `body` with `text` as a C string, or NULL for nil.
    static func withOptional<R>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
        guard let text else { return body(nil) }
        return text.withCString { body($0) }
    }

    /// Calls `body` with a C array of C strings (NULL entries for nil) that live during the call.
    /// The array has at least one entry, so that an empty list reaches the model's own check.
    static func withArray<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
        let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.flatMap { strdup($0) } }
        defer { copies.forEach { free($0) } }
        let pointers = copies.isEmpty ? [nil] : copies.map { UnsafePointer($0) }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
