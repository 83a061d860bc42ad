// Fuzz target: the textual IR (`Graph.parse`) and the verifier (`Graph.verify`). A graph
// that parses must print to text that parses back and prints identically (docs/ir.md:
// print → parse → print is the identity), whether or not it verifies.
import DebertacIR

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIR(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let text = String(decoding: input(data, count), as: UTF8.self)
    guard let graph = try? Graph.parse(text) else { return 0 }
    let diagnostics = graph.verificationDiagnostics()
    _ = diagnostics.map(\.description)
    let printed = graph.printed()
    let again: Graph
    do {
        again = try Graph.parse(printed)
    } catch {
        invariant(false, "printed graph does not parse back: \(error)\n\(printed)")
        return 0
    }
    invariant(again.printed() == printed, "print → parse → print differs:\n\(printed)\n---\n\(again.printed())")
    invariant(again.verificationDiagnostics().count == diagnostics.count, "verifier disagrees on the reparsed graph:\n\(printed)")
    return 0
}
