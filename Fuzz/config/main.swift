// Fuzz target: config.json (`JSONParser` + `DebertaConfig(json:file:)`), then everything
// `debertac inspect` derives from a configuration: the expected tensor list, the summary
// lines and the JSON summary (serialised and parsed back).
@testable import DebertacFrontend

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let json = try? JSONParser.parse(input(data, count)) else { return 0 }
    // Whatever parses must serialise and parse back to the same value (NaN aside).
    let text = json.serialized()
    if let again = try? JSONParser.parse(Array(text.utf8)) {
        invariant(again.serialized() == text, "JSON does not round-trip: \(text)")
    } else {
        invariant(false, "serialised JSON does not parse: \(text)")
    }
    guard let config = try? DebertaConfig(json: json, file: "config.json") else { return 0 }
    let entries = ExpectedTensors.entries(for: config)
    let report = TensorSetReport.check(tensors: [], config: config)
    invariant(report.missing.count == entries.count, "an empty checkpoint misses \(report.missing.count) of \(entries.count) tensors")
    _ = report.description
    _ = config.summaryLines
    _ = config.jsonValue.serialized()
    return 0
}
