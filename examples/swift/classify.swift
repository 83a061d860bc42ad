// Classifies sentence pairs given as text with a model compiled by debertac, from Swift via dlopen.
//
//   swiftc -O examples/swift/classify.swift -o classify-swift
//   ./classify-swift nli.so "A man plays a guitar.|A person makes music." "The cat sleeps."
//
// As examples/c/classify.c: "PREMISE|HYPOTHESIS" is a pair, anything else a single text; the .so
// tokenizes them itself (debertac_classify_text). Prints the best label and all probabilities.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func fail(_ message: String) -> Never {
    fputs(message + "\n", stderr)
    exit(1)
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else { fail("usage: \(arguments[0]) MODEL.so \"PREMISE|HYPOTHESIS\"...") }
guard let library = dlopen(arguments[1], RTLD_NOW | RTLD_LOCAL) else { fail(String(cString: dlerror())) }
func symbol<T>(_ name: String, as type: T.Type) -> T {
    guard let pointer = dlsym(library, name) else { fail("'\(arguments[1])' does not export \(name) (ABI 2)") }
    return unsafeBitCast(pointer, to: type)
}
typealias Handle = OpaquePointer
typealias CStrings = UnsafePointer<UnsafePointer<CChar>?>?
let modelOpen = symbol("debertac_model_open", as: (@convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<Handle?>) -> Int32).self)
let openError = symbol("debertac_open_error", as: (@convention(c) () -> UnsafePointer<CChar>).self)
let numLabels = symbol("debertac_model_num_labels", as: (@convention(c) (Handle) -> Int32).self)
let label = symbol("debertac_model_label", as: (@convention(c) (Handle, Int32) -> UnsafePointer<CChar>?).self)
let maxLength = symbol("debertac_model_max_sequence_length", as: (@convention(c) (Handle) -> Int32).self)
let hasTokenizer = symbol("debertac_model_has_tokenizer", as: (@convention(c) (Handle) -> Int32).self)
let sessionCreate = symbol("debertac_session_create", as: (@convention(c) (Handle, Int32, Int32, UnsafeMutablePointer<Handle?>) -> Int32).self)
let classifyText = symbol("debertac_classify_text", as: (@convention(c) (Handle, Int32, CStrings, CStrings, UnsafeMutablePointer<Float>) -> Int32).self)
let lastError = symbol("debertac_session_last_error", as: (@convention(c) (Handle) -> UnsafePointer<CChar>).self)
let sessionDestroy = symbol("debertac_session_destroy", as: (@convention(c) (Handle) -> Void).self)
let modelClose = symbol("debertac_model_close", as: (@convention(c) (Handle) -> Void).self)

/// `0.4670` (four decimals).
func fixed4(_ p: Float) -> String {
    let n = Int((p * 10000).rounded())
    let digits = String(n % 10000)
    return "\(n / 10000)." + String(repeating: "0", count: 4 - digits.count) + digits
}

// "premise|hypothesis" → a pair; C strings that live until exit.
let rows = arguments.dropFirst(2).map { $0.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false).map(String.init) }
let premises: [UnsafePointer<CChar>?] = rows.map { UnsafePointer(strdup($0[0])) }
let hypotheses: [UnsafePointer<CChar>?] = rows.map { $0.count > 1 ? UnsafePointer(strdup($0[1])) : nil }

var model: Handle?
guard modelOpen(nil, &model) == 0, let model else { fail(String(cString: openError())) }
guard hasTokenizer(model) == 1 else { fail("\(arguments[1]) was compiled without a tokenizer") }
var session: Handle?
guard sessionCreate(model, Int32(rows.count), maxLength(model), &session) == 0, let session else { fail(String(cString: openError())) }
let labels = Int(numLabels(model))
var logits = [Float](repeating: 0, count: rows.count * labels)
guard classifyText(session, Int32(rows.count), premises, hypotheses, &logits) == 0 else { fail(String(cString: lastError(session))) }
for b in rows.indices {
    let row = Array(logits[(b * labels)..<((b + 1) * labels)])
    let best = row.indices.max { row[$0] < row[$1] }!
    let exps = row.map { expf($0 - row[best]) }
    let total = exps.reduce(0, +)
    var text = "\(b): \(String(cString: label(model, Int32(best))!))"
    if labels == 1 {
        text += " " + String(row[0])
    } else {
        for i in row.indices { text += " \(String(cString: label(model, Int32(i))!))=\(fixed4(exps[i] / total))" }
    }
    print(text)
}
sessionDestroy(session)
modelClose(model)
dlclose(library)
