@testable import DebertacTokenizer
import DebertacFrontend
import Foundation
import Testing

/// Every fixture folder read with `TokenizerModel.load(path:)`, compared with what the
/// sentencepiece package, transformers' slow tokenizer or the tokenizers library read from it
/// (Tests/Fixtures/tokenizer-readers/<name>.json).
@Suite struct FixtureReaderTests {
    @Test func everyFixtureHasExpectations() {
        #expect(TokenizerFixtures.names.count >= 5)
    }

    @Test(arguments: TokenizerFixtures.names)
    func fixtureMatchesTheReferenceLibraries(name: String) throws {
        let expect = try TokenizerFixtures.expectations(name)
        let model = try #require(try TokenizerModel.load(path: TokenizerFixtures.folder(name)))
        #expect(model.pieces.count == expect["pieces"]?.intValue)
        #expect(Int(model.unkId) == expect["unk_id"]?.intValue)
        #expect(model.pieces[Int(model.unkId)].type == .unknown)
        #expect(model.byteFallback == expect["byte_fallback"]?.boolValue)
        #expect(model.precompiledCharsmap.count == expect["charsmap_bytes"]?.intValue)
        #expect(Int(model.clsId) == expect["cls_id"]?.intValue)
        #expect(Int(model.sepId) == expect["sep_id"]?.intValue)
        #expect(Int(model.padId) == expect["pad_id"]?.intValue)
        for entry in expect["sample"]?.arrayValue ?? [] {
            let row = try #require(entry.arrayValue)
            let id = try #require(row[0].intValue)
            let piece = model.pieces[id]
            #expect(piece.text == row[1].stringValue, "piece \(id)")
            #expect(Double(piece.score) == row[2].doubleValue, "score of piece \(id)")
            if row.count > 3 { #expect(Int(piece.type.rawValue) == row[3].intValue, "type of piece \(id)") }
        }
        let specials = (expect["special_tokens"]?.arrayValue ?? []).compactMap { row -> TokenizerModel.SpecialToken? in
            guard let r = row.arrayValue, let text = r[0].stringValue, let id = r[1].intValue else { return nil }
            return .init(text: text, id: Int32(id), lstrip: r[2].boolValue ?? false, rstrip: r[3].boolValue ?? false, singleWord: r[4].boolValue ?? false,
                         normalized: r.count > 5 ? r[5].boolValue ?? false : false)
        }
        #expect(model.specialTokens == specials)
        if expect["format"]?.stringValue == "spm.model" {
            for (key, value) in [("add_dummy_prefix", model.addDummyPrefix), ("remove_extra_whitespaces", model.removeExtraWhitespaces),
                                 ("escape_whitespaces", model.escapeWhitespaces), ("treat_whitespace_as_suffix", model.treatWhitespaceAsSuffix),
                                 ("do_lower_case", model.doLowerCase), ("split_by_punct", model.splitByPunct)] {
                #expect(value == expect[key]?.boolValue, "\(key)")
            }
            let counts = Dictionary(grouping: model.pieces, by: \.type.rawValue).mapValues(\.count)
            for (type, count) in expect["type_counts"]?.objectValue ?? [] {
                #expect(counts[UInt8(type) ?? 0] == count.intValue, "pieces of type \(type)")
            }
            #expect(model.modelMaxLength.map(Int.init) == expect["model_max_length"]?.intValue)
        }
    }

    @Test(arguments: TokenizerFixtures.names)
    func fixtureRoundTripsThroughTheBlob(name: String) throws {
        let model = try #require(try TokenizerModel.load(path: TokenizerFixtures.folder(name)))
        let blob = try model.serialized()
        #expect(try TokenizerModel(blob: blob, source: model.source) == model)
        // The C encoder accepts what we write.
        _ = try Tokenizer(blob: blob)
    }

    /// The tokenizer.json fixtures that scripts/make_tokenizer_fixtures.py converted from one
    /// of the spm.model fixtures (its manifest.json says which), with the converter's flags.
    static var convertedFixtures: [(json: String, spm: String, lower: Bool, punct: Bool)] {
        guard let manifest = try? JSONParser.parse(TokenizerFixtures.bytes(TokenizerFixtures.root + "/tokenizers/manifest.json")) else { return [] }
        return (manifest["fixtures"]?.objectValue ?? []).compactMap { name, entry in
            guard let source = entry["converted_from"]?.stringValue, let flags = entry["converter_flags"] else { return nil }
            return (name, String(source.prefix { $0 != "/" }), flags["do_lower_case"]?.boolValue ?? false, flags["split_by_punct"]?.boolValue ?? false)
        }
    }

    /// A converted tokenizer.json reads back onto the same SentencePiece model, up to what a
    /// tokenizer.json cannot say: transformers' converter drops byte fallback (so `<0xNN>`
    /// pieces become NORMAL) and the flags are the converter's.
    @Test(arguments: convertedFixtures.map(\.json))
    func convertedTokenizerJSONMatchesItsSPMModel(name: String) throws {
        let fixture = try #require(Self.convertedFixtures.first { $0.json == name })
        let spm = try #require(try TokenizerModel.load(path: TokenizerFixtures.folder(fixture.spm)))
        let json = try #require(try TokenizerModel.load(path: TokenizerFixtures.folder(fixture.json)))
        #expect(json.pieces.map(\.text) == spm.pieces.map(\.text))
        #expect(json.pieces.map(\.score) == spm.pieces.map(\.score))
        #expect(json.pieces.map(\.type) == spm.pieces.map { $0.type == .byte ? .normal : $0.type })
        #expect(json.precompiledCharsmap == spm.precompiledCharsmap)
        #expect(json.doLowerCase == fixture.lower && json.splitByPunct == fixture.punct)
        #expect(json.removeExtraWhitespaces && json.addDummyPrefix && json.escapeWhitespaces && !json.byteFallback)
        #expect((json.clsId, json.sepId, json.padId, json.unkId) == (spm.clsId, spm.sepId, spm.padId, spm.unkId))
    }

    /// The fuzz targets start from seeds the readers accept (Fuzz/make_tokenizer_seeds.py).
    @Test(arguments: ["spm-model", "tokenizer-json"])
    func fuzzSeedsAreAccepted(target: String) throws {
        let folder = TokenizerFixtures.root + "/../../Fuzz/seeds/" + target
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(names.count >= 5)
        for name in names {
            let model = try #require(try TokenizerModel.load(path: folder + "/" + name), "\(name)")
            #expect(try TokenizerModel(blob: model.serialized(), source: model.source) == model, "\(name)")
        }
    }

    @Test func folderWithoutATokenizerGivesNil() throws {
        let folder = try ScratchFolder()
        try folder.write("config.json", "{}")
        #expect(try TokenizerModel.load(path: folder.path) == nil)
        #expect(throws: TokenizerError.notFound(path: folder.path + "/nope", message: "no such file or folder")) {
            _ = try TokenizerModel.load(path: folder.path + "/nope")
        }
    }

    /// A tokenizer name that is there but is not a regular file is an error, not skipped (which
    /// would compile an ids-only model, or one without its config, and a FIFO would block).
    @Test func namesThatAreNotFilesAreErrors() throws {
        let folder = try ScratchFolder()
        try folder.write("tokenizer.json", try TokenizerFixtures.bytes(TokenizerFixtures.folder("tokjson-lower-punct") + "/tokenizer.json"))
        try FileManager.default.createDirectory(atPath: folder.path + "/spm.model", withIntermediateDirectories: false)
        #expect(throws: TokenizerError.io(file: folder.path + "/spm.model", message: "is a folder, expected a regular file")) {
            _ = try TokenizerModel.load(path: folder.path)
        }
        try FileManager.default.removeItem(atPath: folder.path + "/spm.model")
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/spm.model", withDestinationPath: "nowhere")
        #expect(throws: TokenizerError.io(file: folder.path + "/spm.model", message: "is a symbolic link that cannot be followed: No such file or directory")) {
            _ = try TokenizerModel.load(path: folder.path)
        }
        try FileManager.default.removeItem(atPath: folder.path + "/spm.model")
        #expect(mkfifo(folder.path + "/tokenizer_config.json", 0o644) == 0)
        #expect(throws: TokenizerError.io(file: folder.path + "/tokenizer_config.json", message: "is a FIFO, expected a regular file")) {
            _ = try TokenizerModel.load(path: folder.path)
        }
        #expect(throws: TokenizerError.io(file: folder.path + "/tokenizer_config.json", message: "is a FIFO, expected a regular file")) {
            _ = try TokenizerModel.load(path: folder.path + "/tokenizer_config.json")
        }
    }

    /// A file the folder names spm.model gets that reader's limit (64 MiB), not tokenizer.json's
    /// (256 MiB), before anything is copied.
    @Test func spmModelHasItsOwnSizeLimit() throws {
        let folder = try ScratchFolder()
        let path = folder.path + "/spm.model"
        #expect(FileManager.default.createFile(atPath: path, contents: nil) && truncate(path, off_t(SentencePieceModelReader.maximumFileBytes + 1)) == 0)
        #expect(throws: TokenizerError.tooLarge(file: path, size: SentencePieceModelReader.maximumFileBytes + 1, limit: SentencePieceModelReader.maximumFileBytes)) {
            _ = try TokenizerModel.load(path: folder.path)
        }
    }

    @Test func filesAreRecognisedByContent() throws {
        let folder = try ScratchFolder()
        try folder.write("model.bin", SPMBuilder().bytes)
        try folder.write("tok", try TokenizerFixtures.bytes(TokenizerFixtures.folder("tokjson-lower-punct") + "/tokenizer.json"))
        try folder.write("junk", "hello")
        #expect(try TokenizerModel.load(path: folder.path + "/model.bin")?.pieces.count == 9)
        #expect(try TokenizerModel.load(path: folder.path + "/tok")?.pieces.count == 4000)
        #expect(throws: TokenizerError.unknownFormat(file: folder.path + "/junk")) { _ = try TokenizerModel.load(path: folder.path + "/junk") }
    }

    @Test func spmModelIsPreferredAndConfigIsReadFromBeside() throws {
        let folder = try ScratchFolder()
        try folder.write("spm.model", SPMBuilder().bytes)
        try folder.write("tokenizer.json", "not even json")
        try folder.write("tokenizer_config.json", #"{"do_lower_case": true, "model_max_length": 256}"#)
        try folder.write("added_tokens.json", #"{"[MASK]": 9}"#)
        let model = try #require(try TokenizerModel.load(path: folder.path))
        #expect(model.doLowerCase && model.modelMaxLength == 256)
        #expect(model.specialTokens.map(\.text) == ["[CLS]", "[MASK]", "[PAD]", "[SEP]", "[UNK]"])
        #expect(model.vocabLimit == 10)
        #expect(model.source.hasSuffix("spm.model, \(folder.path)/tokenizer_config.json, \(folder.path)/added_tokens.json"))
    }
}
