@testable import DebertacTokenizer
import Foundation
import Testing

/// Inputs that fuzzing found slipping through the tokenizer readers (docs/security.md). Each is
/// also kept under `Fuzz/regressions/<target>/`, where `scripts/fuzz.sh` replays it.
@Suite struct TokenizerFuzzRegressionTests {
    static let regressions = TokenizerFixtures.root + "/../../Fuzz/regressions/"

    /// A charsmap whose targets ended in the middle of a string ("…\0\xC3\0\x81"): every target
    /// the trie reaches was NUL-terminated, so the reader accepted it, but the C encoder's
    /// `dtok_open` refuses targets that do not end with a NUL, so the compiler wrote a blob its
    /// own encoder rejects. (Fuzz/regressions/spm-model/charsmap-targets-without-final-nul.model)
    @Test func charsmapTargetsMustEndWithANUL() throws {
        let path = Self.regressions + "spm-model/charsmap-targets-without-final-nul.model"
        #expect {
            _ = try SentencePieceModelReader.read(path: path)
        } throws: { error in
            guard case let .malformed(_, _, message) = error as? TokenizerError else { return false }
            return message == "precompiled charsmap: the 13 bytes of targets do not end with a NUL"
        }
    }
}
