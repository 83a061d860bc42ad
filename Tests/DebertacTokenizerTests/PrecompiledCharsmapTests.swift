@testable import DebertacTokenizer
import Testing

@Suite struct PrecompiledCharsmapTests {
    /// A hand-made Darts-clone trie of 512 units with one key, "a" → target 0 ("b\0"): the root
    /// (unit 0) has its children's block at 256, so "a" is unit 256 ^ 0x61 = 353, whose leaf
    /// value is at 353 ^ 225 = 384.
    static func oneRule(rootOffset: UInt32 = 256, value: UInt32 = 0, targets: [UInt8] = Array("b\0".utf8)) -> [UInt8] {
        var units = [UInt32](repeating: 0, count: 512)
        units[0] = rootOffset << 10
        units[353] = 225 << 10 | 1 << 8 | 0x61
        units[384] = 1 << 31 | value
        var writer = BlobWriter()
        writer.u32(UInt32(units.count * 4))
        for unit in units { writer.u32(unit) }
        return writer.bytes + targets
    }

    func validate(_ charsmap: [UInt8]) throws(TokenizerError) {
        try PrecompiledCharsmap.validate(charsmap, file: "spm.model", offset: 100)
    }

    func message(_ charsmap: [UInt8]) -> String? {
        guard case let .malformed(_, _, message) = tokenizerError({ try validate(charsmap) }) else { return nil }
        return message
    }

    @Test func handMadeTrieIsValid() throws {
        try validate(Self.oneRule())
    }

    @Test func fixtureCharsmapsAreValid() throws {
        for name in ["v3-nfkc-16k", "nfkc-cf-bytefb-3k"] {
            let model = try SentencePieceModelReader.read(path: TokenizerFixtures.folder(name) + "/spm.model")
            #expect(!model.precompiledCharsmap.isEmpty)
            try validate(model.precompiledCharsmap)
        }
    }

    @Test func trieSizeMustBeAPositiveMultipleOfFourThatFits() {
        let good = Self.oneRule()
        #expect(message([1, 2, 3]) == "precompiled charsmap: has 3 bytes, expected a 4-byte trie size first")
        var odd = good
        odd[0] = 0x02
        #expect(message(odd)?.contains("is not a positive multiple of 4") == true)
        #expect(message([0, 0, 0, 0, 0]) == "precompiled charsmap: trie size 0 is not a positive multiple of 4")
        #expect(message(Array(good[..<1000])) == "precompiled charsmap: trie size 2048 runs past the 996 bytes that follow it")
        if case let .malformed(_, offset, _) = tokenizerError({ try validate(odd) }) { #expect(offset == 100) }
    }

    @Test func valuesMustPointAtNULTerminatedUTF8Targets() {
        #expect(message(Self.oneRule(value: 2))?.contains("points at target byte 2, past the 2-byte targets") == true)
        #expect(message(Self.oneRule(targets: Array("b".utf8))) == "precompiled charsmap: the 1 bytes of targets do not end with a NUL")
        #expect(message(Self.oneRule(targets: [])) == "precompiled charsmap: the 0 bytes of targets do not end with a NUL")
        // The C encoder bounds every target, reached or not.
        let long = Self.oneRule(targets: Array("b\0".utf8) + [UInt8](repeating: 0x61, count: 1025) + [0])
        #expect(message(long) == "precompiled charsmap: a target is longer than the limit of 1024 bytes")
        #expect(message(Self.oneRule(targets: [0xFF, 0])) == "precompiled charsmap: target at byte 0 of the targets is not valid UTF-8")
        // Targets nobody reaches are not checked (real tables have them).
        #expect(message(Self.oneRule(targets: Array("b\0".utf8) + [0xFF, 0])) == nil)
    }

    @Test func nodesWhoseChildrenLieOutsideTheTrieAreRejected() {
        #expect(message(Self.oneRule(rootOffset: 1024))?.contains("unit 0 leads to units 1024...1279, past the 512-unit trie") == true)
        // A trie that is not a whole number of 256-unit blocks: the root's block does not fit.
        var short = Self.oneRule()
        short.replaceSubrange(4 + 4 * 300..<4 + 4 * 512, with: [])
        short.replaceSubrange(0..<4, with: [0xB0, 0x04, 0, 0])  // 300 units
        #expect(message(short)?.contains("unit 0 leads to units 256...511, past the 300-unit trie") == true)
        // Every unit's byte pointing to a base past the end must not trip the grouping either.
        var units = [UInt8](repeating: 0xFF, count: 4 * 300)
        units.replaceSubrange(0..<4, with: [0, 0, 0, 0])
        _ = message([0xB0, 0x04, 0, 0] + units + [0])
    }

    @Test func corruptedFixtureCharsmapIsRejectedNotTrusted() throws {
        let model = try SentencePieceModelReader.read(path: TokenizerFixtures.folder("v3-nfkc-16k") + "/spm.model")
        let charsmap = model.precompiledCharsmap
        // Drop most of the targets: leaves now point past them.
        #expect(message(Array(charsmap[..<(charsmap.count - 2000)])) != nil)
        // Flip bits all over the trie: each result is accepted or rejected, never a crash.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<100 {
            var copy = charsmap
            for _ in 0..<4 {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let index = 4 + Int(state >> 33) % (copy.count - 4)
                copy[index] ^= UInt8(truncatingIfNeeded: state >> 13) | 1
            }
            _ = tokenizerError { try validate(copy) }
        }
    }
}
