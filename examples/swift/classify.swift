// Classifies sentence pairs given as text with a model compiled by debertac, from Swift, through
// the DebertacRuntime library (Package.swift beside this file depends on the repository by path).
//
//   swift build -c release --package-path examples/swift
//   examples/swift/.build/release/classify-swift nli.so "A man plays a guitar.|A person makes music." "The cat sleeps."
//
// As examples/c/classify.c: "PREMISE|HYPOTHESIS" is a pair, anything else a single text; the .so
// tokenizes them itself. Prints the best label and all probabilities.
import DebertacRuntime
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Prints `message` on standard error and exits with status 1.
func fail(_ message: String) -> Never {
    let line = message + "\n"
    _ = write(2, line, line.utf8.count)
    exit(1)
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else { fail("usage: \(arguments[0]) MODEL.so \"PREMISE|HYPOTHESIS\"...") }

/// `0.4670` (four decimals).
func fixed4(_ p: Float) -> String {
    let n = Int((p * 10000).rounded())
    let digits = String(n % 10000)
    return "\(n / 10000)." + String(repeating: "0", count: 4 - digits.count) + digits
}

do {
    let model = try CompiledModel(path: arguments[1])
    guard model.hasTokenizer else { fail("\(arguments[1]) was compiled without a tokenizer") }
    // "premise|hypothesis" -> a pair.
    let rows = arguments.dropFirst(2).map { $0.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false).map(String.init) }
    let session = try model.makeSession(maxBatch: rows.count)
    let predictions = try session.classify(texts: rows.map { $0[0] }, pairs: rows.map { $0.count > 1 ? $0[1] : nil })
    for (b, prediction) in predictions.enumerated() {
        var line = "\(b): \(prediction.label)"
        if model.numLabels == 1 {
            line += " " + String(prediction.logits[0])
        } else {
            for (label, p) in zip(model.labels, prediction.probabilities) { line += " \(label)=\(fixed4(p))" }
        }
        print(line)
    }
} catch {
    fail("\(error)")  // for example "out of range: batch size 9 exceeds the session's maximum batch (8)"
}
