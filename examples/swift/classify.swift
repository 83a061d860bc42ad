// Classifies token-id sequences with a model compiled by debertac, from Swift via dlopen.
//
//   swiftc -O examples/swift/classify.swift -o classify-swift
//   ./classify-swift nli.so "85 95 40|17 23" "1 85 2 95 2"      # or: ./classify-swift nli.so -f pairs.txt
//
// As examples/c/classify.c: "PREMISE|HYPOTHESIS" ids become [CLS] premise [SEP] hypothesis [SEP]
// (ids 1 and 2); other sequences are used as given. Prints the best label and all probabilities.
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
guard arguments.count >= 3 else { fail("usage: \(arguments[0]) MODEL.so SEQUENCE... | -f FILE") }
guard let library = dlopen(arguments[1], RTLD_NOW | RTLD_LOCAL) else { fail(String(cString: dlerror())) }
func symbol<T>(_ name: String, as type: T.Type) -> T {
    guard let pointer = dlsym(library, name) else { fail("'\(arguments[1])' does not export \(name)") }
    return unsafeBitCast(pointer, to: type)
}
typealias Handle = OpaquePointer
let modelOpen = symbol("debertac_model_open", as: (@convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<Handle?>) -> Int32).self)
let openError = symbol("debertac_open_error", as: (@convention(c) () -> UnsafePointer<CChar>).self)
let numLabels = symbol("debertac_model_num_labels", as: (@convention(c) (Handle) -> Int32).self)
let label = symbol("debertac_model_label", as: (@convention(c) (Handle, Int32) -> UnsafePointer<CChar>?).self)
let sessionCreate = symbol("debertac_session_create", as: (@convention(c) (Handle, Int32, Int32, UnsafeMutablePointer<Handle?>) -> Int32).self)
let classify = symbol("debertac_classify", as: (@convention(c) (Handle, Int32, Int32, UnsafePointer<Int32>, UnsafePointer<Int32>?,
                                                                UnsafePointer<Int32>?, UnsafeMutablePointer<Float>) -> Int32).self)
let lastError = symbol("debertac_session_last_error", as: (@convention(c) (Handle) -> UnsafePointer<CChar>).self)
let sessionDestroy = symbol("debertac_session_destroy", as: (@convention(c) (Handle) -> Void).self)
let modelClose = symbol("debertac_model_close", as: (@convention(c) (Handle) -> Void).self)

/// "85 95|17" → [1, 85, 95, 2, 17, 2]; "1 85 2" → [1, 85, 2].
func parse(_ text: String) -> [Int32] {
    let parts = text.split(separator: "|", omittingEmptySubsequences: false)
    let ids = parts.map { $0.split(whereSeparator: \.isWhitespace).compactMap { Int32($0) } }
    return parts.count == 1 ? ids[0] : [1] + ids.joined(separator: [2]) + [2]
}

var lines = Array(arguments.dropFirst(2))
if lines.first == "-f", lines.count > 1 {
    guard let file = fopen(lines[1], "r") else { fail("cannot open \(lines[1])") }
    lines = []
    while let line = readLine(file) { lines.append(line) }
    fclose(file)
}
func readLine(_ file: UnsafeMutablePointer<FILE>) -> String? {
    var buffer = [CChar](repeating: 0, count: 8192)
    guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
    return String(cString: buffer)
}
/// `0.4670` (four decimals).
func fixed4(_ p: Float) -> String {
    let n = Int((p * 10000).rounded())
    let digits = String(n % 10000)
    return "\(n / 10000)." + String(repeating: "0", count: 4 - digits.count) + digits
}
let sequences = lines.map(parse).filter { !$0.isEmpty }
guard !sequences.isEmpty else { fail("no sequences") }
let length = sequences.map(\.count).max()!
let ids = sequences.flatMap { $0 + Array(repeating: 0, count: length - $0.count) }
let mask = sequences.flatMap { Array(repeating: Int32(1), count: $0.count) + Array(repeating: 0, count: length - $0.count) }

var model: Handle?
guard modelOpen(nil, &model) == 0, let model else { fail(String(cString: openError())) }
var session: Handle?
guard sessionCreate(model, Int32(sequences.count), Int32(length), &session) == 0, let session else { fail(String(cString: openError())) }
let labels = Int(numLabels(model))
var logits = [Float](repeating: 0, count: sequences.count * labels)
guard classify(session, Int32(sequences.count), Int32(length), ids, mask, nil, &logits) == 0 else {
    fail(String(cString: lastError(session)))
}
for b in sequences.indices {
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
