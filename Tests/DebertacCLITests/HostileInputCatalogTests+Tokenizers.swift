import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The tokenizer part of the hostile-input catalogue (docs/security.md): a valid checkpoint
/// (examples/tiny-nli, vocab_size 96) with a malformed or hostile spm.model, tokenizer.json or
/// tokenizer config file beside it, fed to every command that reads a checkpoint's tokenizer.
/// Each must exit with status 1 (no signal, no hang), print nothing on stdout, print exactly one
/// `error: ` line naming the offending file and the problem, and leave no file behind (no
/// nli.so, no temporary file, nothing new in the model folder).
extension HostileInputCatalogTests {
    /// Every command that reads a checkpoint folder's tokenizer. Adding one is one line.
    static let tokenizerCommands: [Command] = [
        Command(name: "compile") { model, output in ["compile", model, "-o", output + "/nli.so"] },
        Command(name: "tokenize") { model, _ in ["tokenize", model, "--input", "-"] },
        Command(name: "run") { model, _ in ["run", model, "--input", "-"] },
    ]

    /// What `tokenize` and `run` read on standard input: a text and a pair.
    static let textRequest = #"{"text": ["a b c ab"], "text_pair": ["ab c"]}"#

    /// One entry of a tokenizer case's model folder.
    enum Entry: Sendable {
        case bytes([UInt8])
        /// A file of this many bytes made with truncate(2): sparse, so it costs no disk.
        case sparse(Int)
        case folder
        /// A symbolic link to this path.
        case link(String)
        /// A file with mode 000 (only meaningful when not running as root, who reads it anyway).
        case unreadable([UInt8])
    }

    /// One malformed tokenizer: the files beside the tiny-nli checkpoint, `--tokenizer` when
    /// the case names one, the file the error must name, and what else stderr must say.
    struct TokenizerCase: Sendable, CustomTestStringConvertible {
        let name: String
        let files: [String: Entry]
        var tokenizerOption: String?
        /// The file the error names (a name in the folder).
        let file: String
        let expected: [String]
        var testDescription: String { name }

        init(_ name: String, _ files: [String: Entry], names file: String, tokenizerOption: String? = nil, _ expected: String...) {
            self.name = name
            self.files = files
            self.file = file
            self.tokenizerOption = tokenizerOption
            self.expected = expected
        }
    }

    @Test(arguments: tokenizerCases)
    func everyTokenizerCommandRejectsCleanly(_ hostile: TokenizerCase) throws {
        try checkRejected(hostile)
    }

    @Test(.enabled(if: geteuid() != 0, "root reads a file whatever its mode"))
    func unreadableTokenizerFile() throws {
        try checkRejected(TokenizerCase("spm.model unreadable (mode 000)", ["spm.model": .unreadable(SentencePieceWriter().bytes)],
                                        names: "spm.model", "cannot open: Permission denied"))
    }

    /// The valid tokenizers the cases break: each compiles into the .so and tokenizes, so a
    /// rejection above is about the one thing the case changed.
    @Test func unbrokenBytePairTokenizerIsAccepted() throws {
        let folder = try Self.tokenizerFolder(["vocab.json": .bytes(Array(Self.bytePairVocab.utf8)), "merges.txt": .bytes(Array(Self.bytePairMerges.utf8))])
        let compile = try Self.run(["compile", folder.path, "-o", folder.path + "/nli.so", "--quiet"])
        #expect(compile.exited && compile.status == 0, "\(compile.stderr)")
        let tokenize = try Self.run(["tokenize", folder.path + "/nli.so", "--input", "-"], stdin: Self.textRequest)
        #expect(tokenize.exited && tokenize.status == 0, "\(tokenize.stderr)")
        // [CLS] a Ġb Ġc Ġab [SEP] [SEP] ab Ġc [SEP] ("Ġb" and "Ġc" are not tokens: Ġ, then the letter).
        #expect(tokenize.stdout.hasPrefix(#"{"input_ids": [[1, 4, 7, 5, 7, 6, 9, 2, 2, 8, 7, 6, 2]]"#), "\(tokenize.stdout)")
    }

    @Test(arguments: [("spm.model", SentencePieceWriter().bytes), ("tokenizer.json", TokenizerJSONWriter().bytes)])
    func unbrokenTokenizersAreAccepted(_ name: String, _ bytes: [UInt8]) throws {
        let folder = try Self.tokenizerFolder([name: .bytes(bytes)])
        let compile = try Self.run(["compile", folder.path, "-o", folder.path + "/nli.so", "--quiet"])
        #expect(compile.exited && compile.status == 0, "\(compile.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder.path + "/nli.so"))
        let tokenize = try Self.run(["tokenize", folder.path, "--input", "-"], stdin: Self.textRequest)
        #expect(tokenize.exited && tokenize.status == 0, "\(tokenize.stderr)")
        // [CLS] ▁a ▁ b ▁ c ▁ab [SEP] ▁ab ▁ c [SEP], with the ids of the writers' pieces.
        #expect(tokenize.stdout.hasPrefix(#"{"input_ids": [[1, 5, 4, 6, 4, 8, 7, 2, 7, 4, 8, 2]]"#), "\(tokenize.stdout)")
        let run = try Self.run(["run", folder.path, "--input", "-"], stdin: Self.textRequest)
        #expect(run.exited && run.status == 0, "\(run.stderr)")
    }

    @Test func tokenizerCatalogueCoversEveryClass() {
        #expect(Self.tokenizerCases.count >= 30)
        #expect(Set(Self.tokenizerCases.map(\.name)).count == Self.tokenizerCases.count, "case names must be unique")
    }

    /// Runs every tokenizer command on `hostile` and checks the outcome.
    private func checkRejected(_ hostile: TokenizerCase) throws {
        let folder = try Self.tokenizerFolder(hostile.files)
        defer { Self.restorePermissions(folder.path, hostile.files) }
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: folder.path))
        for command in Self.tokenizerCommands {
            let output = folder.path + "/out-" + command.name
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: false)
            let arguments = command.arguments(folder.path, output) + (hostile.tokenizerOption.map { ["--tokenizer", folder.path + "/" + $0] } ?? [])
            let result = try Self.run(arguments, stdin: Self.textRequest)
            let context = "\(command.name) on \(hostile.name)"
            #expect(result.exited && result.status == 1, "\(context): \(result.exited ? "exit status" : "killed by signal") \(result.status)\n\(result.stderr)")
            #expect(result.stdout.isEmpty, "\(context): stdout \(result.stdout.prefix(300))")
            let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("error: ") }
            #expect(errors.count == 1, "\(context): expected one 'error: ' line in \(result.stderr.prefix(800))")
            let error = errors.first.map(String.init) ?? ""
            #expect(error.contains(folder.path + "/" + hostile.file), "\(context): the error does not name '\(hostile.file)': \(error.prefix(500))")
            for fragment in hostile.expected {
                #expect(error.contains(fragment), "\(context): '\(fragment)' not in \(error.prefix(500))")
            }
            let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: output)) ?? []
            #expect(leftovers.isEmpty, "\(context): left \(leftovers) behind")
            try FileManager.default.removeItem(atPath: output)
            let after = Set(try FileManager.default.contentsOfDirectory(atPath: folder.path))
            #expect(after == before, "\(context): the model folder now holds \(after.sorted())")
        }
    }

    /// A scratch folder with the tiny-nli checkpoint and `files`.
    static func tokenizerFolder(_ files: [String: Entry]) throws -> Scratch {
        let folder = try Scratch()
        let write = { (name: String, bytes: [UInt8]) in try Data(bytes).write(to: URL(fileURLWithPath: folder.path + "/" + name)) }
        try write("config.json", fixture("examples/tiny-nli/config.json"))
        try write("pytorch_model.bin", fixture("examples/tiny-nli/pytorch_model.bin"))
        for (name, entry) in files {
            let path = folder.path + "/" + name
            switch entry {
            case let .bytes(bytes):
                try write(name, bytes)
            case let .sparse(size):
                guard FileManager.default.createFile(atPath: path, contents: nil), truncate(path, off_t(size)) == 0 else {
                    throw CocoaError(.fileWriteUnknown)
                }
            case .folder:
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            case let .link(target):
                try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
            case let .unreadable(bytes):
                try write(name, bytes)
                guard chmod(path, 0) == 0 else { throw CocoaError(.fileWriteNoPermission) }
            }
        }
        return folder
    }

    /// Makes mode-000 files removable again (Scratch removes the folder).
    static func restorePermissions(_ folder: String, _ files: [String: Entry]) {
        for (name, entry) in files {
            if case .unreadable = entry { chmod(folder + "/" + name, 0o644) }
        }
    }
}

// MARK: - The cases

extension HostileInputCatalogTests {
    static let tokenizerCases: [TokenizerCase] = spmCases + tokenizerJSONCases + tokenizerConfigCases + bytePairCases

    /// A byte-level BPE vocabulary (DeBERTa v1's kind) small enough for tiny-nli's 96 ids: the
    /// four specials, the letters a-c and space as byte characters, and two merges.
    static let bytePairVocab = #"{"[PAD]": 0, "[CLS]": 1, "[SEP]": 2, "[UNK]": 3, "a": 4, "b": 5, "c": 6, "Ġ": 7, "ab": 8, "Ġab": 9, "[MASK]": 10}"#
    static let bytePairMerges = "#version: 0.2\na b\nĠ ab\n"

    static var bytePairCases: [TokenizerCase] {
        let vocab = { (text: String) in Entry.bytes(Array(text.utf8)) }
        let pair = { (name: String, vocabText: String, mergesText: String, file: String, expected: String) in
            TokenizerCase("vocab.json + merges.txt \(name)", ["vocab.json": vocab(vocabText), "merges.txt": vocab(mergesText)], names: file, expected)
        }
        let bpeJSON = { (merges: String) in
            #"{"version": "1.0", "model": {"type": "BPE", "vocab": \#(bytePairVocab), "merges": \#(merges)}}"#
        }
        return [
            pair("vocab that is not JSON", "{\"a\": 4,", bytePairMerges, "vocab.json", "invalid JSON"),
            pair("vocab that is a list", "[\"a\", \"b\"]", bytePairMerges, "vocab.json", "expected an object of token ids"),
            pair("vocab with a gap in its ids", #"{"[PAD]": 0, "[CLS]": 1, "[SEP]": 2, "a": 7}"#, "", "vocab.json", "without gaps"),
            pair("vocab with an id twice", #"{"[PAD]": 0, "[CLS]": 1, "[SEP]": 1}"#, "", "vocab.json", "both have id 1"),
            pair("vocab with a token twice", #"{"[PAD]": 0, "[CLS]": 1, "[CLS]": 2}"#, "", "vocab.json", "duplicate key '[CLS]'"),
            pair("vocab with a negative id", #"{"[PAD]": 0, "[CLS]": -1}"#, "", "vocab.json", "has id -1"),
            pair("vocab with a fractional id", #"{"[PAD]": 0.5}"#, "", "vocab.json", "not an integer"),
            pair("vocab with an empty token", #"{"": 0, "[CLS]": 1, "[SEP]": 2, "[PAD]": 3}"#, "", "vocab.json", "token 0 has 0 bytes"),
            pair("that is empty", "{}", "", "vocab.json", "is empty, expected the tokens"),
            pair("merges naming an unknown token", bytePairVocab, "a z\n", "merges.txt", "'line 1': merges into or from 'z', which is not in the vocabulary"),
            pair("merges whose result is not a token", bytePairVocab, "b c\n", "merges.txt", "'bc', which is not in the vocabulary"),
            pair("merges with three tokens on a line", bytePairVocab, "#version: 0.2\na b c\n", "merges.txt", "'line 2': is not two tokens"),
            pair("merges with an empty line", bytePairVocab, "a b\n\nĠ ab\n", "merges.txt", "'line 2': is not two tokens"),
            TokenizerCase("merges.txt that is not UTF-8", ["vocab.json": vocab(bytePairVocab), "merges.txt": .bytes(Array("a b\n".utf8) + [0xC3, 0x28])],
                          names: "merges.txt", "at byte 4: merges file is not valid UTF-8"),
            TokenizerCase("vocab.json without merges.txt", ["vocab.json": vocab(bytePairVocab)], names: "merges.txt", "no such file"),
            TokenizerCase("vocab.json of 100 MB (sparse)", ["vocab.json": .sparse(100 << 20), "merges.txt": vocab(bytePairMerges)],
                          names: "vocab.json", "more than the 67108864-byte limit"),
            TokenizerCase("BPE tokenizer.json with an unknown merge", ["tokenizer.json": vocab(bpeJSON(#"["a z"]"#))],
                          names: "tokenizer.json", "model.merges[0]", "'z', which is not in the vocabulary"),
            TokenizerCase("BPE tokenizer.json with a merge of one token", ["tokenizer.json": vocab(bpeJSON(#"["ab"]"#))],
                          names: "tokenizer.json", "model.merges[0]", "is not two tokens"),
            TokenizerCase("BPE tokenizer.json without merges", ["tokenizer.json": vocab(#"{"model": {"type": "BPE", "vocab": {"a": 0}}}"#)],
                          names: "tokenizer.json", "model.merges", "is missing"),
        ]
    }

    static var spmCases: [TokenizerCase] {
        let valid = SentencePieceWriter()
        let spm = { (name: String, bytes: [UInt8], expected: String) in
            TokenizerCase("spm.model \(name)", ["spm.model": .bytes(bytes)], names: "spm.model", expected)
        }
        var random = UInt64(0x9E37_79B9_7F4A_7C15)
        let garbage = (0..<4096).map { _ in
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: random >> 56)
        }
        // Piece 5 ("▁a") starts after the first five piece fields; cut in the middle of it.
        let fifth = SentencePieceWriter(pieces: Array(valid.pieces.prefix(5))).pieceFields.count
        var invalidUTF8 = valid
        invalidUTF8.pieces[5].text = [0x61, 0xC3, 0x28]
        var hugeLength = ProtobufWriter()
        hugeLength.tag(1, 2)
        hugeLength.varint(1 << 31)
        hugeLength.bytes += Array("abc".utf8)
        var hugePiece = ProtobufWriter()
        hugePiece.bytesField(1, hugeLength.bytes)
        // 5,000,000 empty piece fields, and a trainer_spec that claims them (vocab_size 5,000,000).
        var claim = ProtobufWriter()
        claim.varintField(4, 5_000_000)
        var manyPieces = ProtobufWriter(bytes: [UInt8](repeating: 0, count: 2 * 5_000_000))
        manyPieces.bytes.withUnsafeMutableBufferPointer { buffer in
            for index in stride(from: 0, to: buffer.count, by: 2) { buffer[index] = 0x0A }
        }
        manyPieces.bytesField(2, claim.bytes)
        var duplicate = valid
        duplicate.pieces.append((Array("▁a".utf8), -7, 1))
        var noUnknown = valid
        noUnknown.pieces[3].type = 3
        var bpe = valid
        bpe.modelType = 2
        var charsmap = valid
        charsmap.charsmap = le32(1 << 20) + [UInt8](repeating: 0, count: 8)
        var tooManyIds = valid
        tooManyIds.pieces += (0..<91).map { (Array("▁w\($0)".utf8), -10, 1) }

        return [
            spm("truncated inside a piece", Array(valid.bytes.prefix(fifth + 6)), "truncated at byte \(fifth + 1)"),
            spm("of random bytes", garbage, "at byte 0: field 5 is a group (wire type 4), which is not supported"),
            spm("that is a text file", Array("this is not a model\n".utf8), "field 14 is a group (wire type 4), which is not supported"),
            spm("that is empty", [], "has no pieces"),
            spm("with a varint overflow", [0x0A] + [UInt8](repeating: 0xFF, count: 9) + [0x7F], "at byte 1: varint overflows 64 bits"),
            spm("with a piece that is not UTF-8", invalidUTF8.bytes, "piece 5 is not valid UTF-8"),
            spm("with a piece length of 2^31", hugePiece.bytes + valid.bytes, "length 2147483648 runs past the 3 bytes left in the message"),
            spm("claiming 5 million pieces", manyPieces.bytes, "at byte 8388608: more than 4194304 pieces"),
            spm("with duplicate pieces", duplicate.bytes, "piece 9 '▁a' is already defined by piece 5"),
            spm("without an UNKNOWN piece", noUnknown.bytes, "no piece has type UNKNOWN, expected exactly one"),
            spm("of a BPE model", bpe.bytes, "field 'trainer_spec.model_type': is BPE, only UNIGRAM (1) models are supported"),
            spm("with a charsmap trie larger than the charsmap", charsmap.bytes,
                "precompiled charsmap: trie size 1048576 runs past the 8 bytes that follow it"),
            spm("with ids beyond the model's vocab_size", tooManyIds.bytes, "produces ids up to 100, but the model's vocab_size is 96"),
            TokenizerCase("spm.model larger than 64 MiB (sparse)", ["spm.model": .sparse((64 << 20) + 1)], names: "spm.model",
                          "file has 67108865 bytes, more than the 67108864-byte limit for a tokenizer"),
            TokenizerCase("spm.model that is a folder", ["spm.model": .folder], names: "spm.model", "is a folder, expected a regular file"),
            TokenizerCase("spm.model that is a symbolic link to nothing", ["spm.model": .link("no-such-file.model")], names: "spm.model",
                          "is a symbolic link that cannot be followed: No such file or directory"),
            TokenizerCase("--tokenizer naming a file that is no tokenizer", ["other.bin": .bytes(Array("GIF89a".utf8))], names: "other.bin",
                          tokenizerOption: "other.bin", "not a tokenizer (expected a SentencePiece model or a tokenizer.json object)"),
        ]
    }

    static var tokenizerJSONCases: [TokenizerCase] {
        let json = { (name: String, text: String, expected: String) in
            TokenizerCase("tokenizer.json \(name)", ["tokenizer.json": .bytes(Array(text.utf8))], names: "tokenizer.json", expected)
        }
        let change = { (edit: (inout TokenizerJSONWriter) -> Void) -> String in
            var writer = TokenizerJSONWriter()
            edit(&writer)
            return writer.text
        }
        return [
            json("that is not JSON", #"{"model": }"#, "invalid JSON at byte 10"),
            json("nested 300 deep", #"{"model": "# + String(repeating: "[", count: 300) + String(repeating: "]", count: 300) + "}",
                 "nesting deeper than 256"),
            json("with a score that is not a number", change { $0.vocab[6] = #"["b", "-4.0"]"# },
                 #"field 'model.vocab': entry 6 is ["b", "-4.0"], expected [piece, score]"#),
            json("with bad base64 in precompiled_charsmap",
                 change { $0.normalizer = #"{"type": "Precompiled", "precompiled_charsmap": "AAAA!AAA"}"# },
                 "field 'normalizer.precompiled_charsmap': invalid base64 at character 4: character 0x21 is not base64"),
            json("with an unsupported normalizer", change { $0.normalizer = #"{"type": "Sequence", "normalizers": [{"type": "NFD"}]}"# },
                 "field 'normalizer.normalizers[0]': normalizer 'NFD' is not supported"),
            // A BPE model is read as DeBERTa v1's (ByteLevelBPEReader), which wants a {token: id} vocab.
            json("of a BPE model with a Unigram vocab list", change { $0.modelType = "BPE" }, "field 'model.vocab': is a array, expected an object of token ids"),
            json("with an added token beyond the model's vocab_size", change { $0.addedTokens[4] = (500, "[MASK]") },
                 "produces ids up to 500, but the model's vocab_size is 96"),
            TokenizerCase("tokenizer.json larger than 256 MiB (sparse)", ["tokenizer.json": .sparse((256 << 20) + 1)], names: "tokenizer.json",
                          "file has 268435457 bytes, more than the 268435456-byte limit for a tokenizer"),
        ]
    }

    static var tokenizerConfigCases: [TokenizerCase] {
        let spm = SentencePieceWriter().bytes
        let config = { (name: String, file: String, text: String, expected: String) in
            TokenizerCase("\(file) \(name)", ["spm.model": .bytes(spm), file: .bytes(Array(text.utf8))], names: file, expected)
        }
        return [
            config("with do_lower_case of the wrong type", "tokenizer_config.json", #"{"do_lower_case": "yes"}"#,
                   "field 'do_lower_case': is a string, expected true or false"),
            config("that is not JSON", "tokenizer_config.json", #"{"do_lower_case": tru}"#, "invalid JSON at byte 18"),
            config("with a negative added_tokens_decoder id", "tokenizer_config.json",
                   #"{"added_tokens_decoder": {"-1": {"content": "[X]", "special": true}}}"#,
                   "field 'added_tokens_decoder.-1': key is not a token id, expected an integer from 0 to 2147483646"),
            config("with an added_tokens_decoder id beyond 32 bits", "tokenizer_config.json",
                   #"{"added_tokens_decoder": {"4294967296": {"content": "[X]", "special": true}}}"#,
                   "field 'added_tokens_decoder.4294967296': key is not a token id"),
            config("with an added_tokens_decoder id beyond the model's vocab_size", "tokenizer_config.json",
                   #"{"added_tokens_decoder": {"5000": {"content": "[X]", "special": true}}}"#,
                   "produces ids up to 5000, but the model's vocab_size is 96"),
            config("with an id beyond the model's vocab_size", "added_tokens.json", #"{"[X]": 1000}"#,
                   "produces ids up to 1000, but the model's vocab_size is 96"),
            config("with a negative id", "added_tokens.json", #"{"[X]": -1}"#,
                   "field '[X]': is -1, expected a token id from 0 to 2147483646"),
            config("with a cls_token of the wrong type", "special_tokens_map.json", #"{"cls_token": 7}"#,
                   "field 'cls_token': is a number, expected a string or an AddedToken object"),
            TokenizerCase("tokenizer_config.json that is a folder", ["spm.model": .bytes(spm), "tokenizer_config.json": .folder],
                          names: "tokenizer_config.json", "is a folder, expected a regular file"),
            TokenizerCase("tokenizer_config.json larger than 16 MiB (sparse)", ["spm.model": .bytes(spm), "tokenizer_config.json": .sparse((16 << 20) + 1)],
                          names: "tokenizer_config.json", "file has 16777217 bytes, more than the 16777216-byte limit for a tokenizer"),
        ]
    }
}
