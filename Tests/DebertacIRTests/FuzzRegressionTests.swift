import DebertacIR
import Foundation
import Testing

/// IR texts the fuzzer found that once trapped in the verifier's type rules (integer overflow on
/// sizes near 2^63). They must now be rejected with a parse error, never a crash.
@Suite struct FuzzRegressionTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz/regressions/ir").path
    static let inputs = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".ir") }.sorted()

    @Test func regressionInputsArePresent() {
        #expect(Self.inputs.count >= 4)
    }

    @Test(arguments: inputs)
    func hugeIntegersAreRejectedByTheParser(file: String) throws {
        let text = try String(contentsOfFile: Self.folder + "/" + file, encoding: .utf8)
        #expect(throws: IRParseError.self) { _ = try Graph.parse(text) }
    }

    @Test func largestAcceptedIntegerIsInt32Max() throws {
        let ok = "// debertac IR\ngraph @g(%x: tensor<2147483647xf32>) -> tensor<2147483647xf32> {\n  return %x\n}\n"
        #expect(throws: Never.self) { _ = try Graph.parse(ok) }
        let tooBig = ok.replacingOccurrences(of: "2147483647", with: "2147483648")
        #expect(throws: IRParseError.self) { _ = try Graph.parse(tooBig) }
        // Int.min has no positive counterpart: bounding it must not trap.
        let intMin = "// debertac IR\ngraph @g(%x: tensor<4xf32>) -> tensor<4xf32> {\n  %y = scale(%x) {factor = -9223372036854775808} : tensor<4xf32>\n  return %y\n}\n"
        #expect(throws: IRParseError.self) { _ = try Graph.parse(intMin) }
    }
}
