import DebertacFrontend
import Foundation
import Testing

/// The hostile-input catalogue (docs/security.md): every class of malformed checkpoint and
/// config.json, fed to every command that reads one. Each must exit with status 1 (no crash,
/// no hang), print nothing on stdout, print `error: ` and the case's message on stderr, and
/// leave no file behind.
@Suite struct HostileInputCatalogTests {
    /// A command that reads a checkpoint, as run by a user. `arguments(model, outputFolder)`;
    /// the output folder starts empty and must still be empty after a failure.
    struct Command: Sendable {
        let name: String
        let arguments: @Sendable (_ model: String, _ outputFolder: String) -> [String]
    }

    /// Every command that reads untrusted checkpoints. Adding one is one line.
    static let commands: [Command] = [
        Command(name: "inspect") { model, _ in ["inspect", model] },
        Command(name: "compile") { model, output in ["compile", model, "-o", output + "/model.so"] },
    ]

    /// One malformed input: the files of a model folder (config.json is the tiny-nli one
    /// unless the case gives its own), the path passed to the command, and what stderr must say.
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        var files: [String: [UInt8]]
        var model = "weights.bin"
        let expected: [String]
        var testDescription: String { name }

        init(_ name: String, _ weights: [UInt8], _ expected: String...) {
            self.name = name
            self.files = ["weights.bin": weights]
            self.expected = expected
        }

        init(_ name: String, files: [String: [UInt8]], model: String, _ expected: String...) {
            self.name = name
            self.files = files
            self.model = model
            self.expected = expected
        }
    }

    /// Every checkpoint case; the tokenizer cases (spm.model, tokenizer.json and their config
    /// files beside a valid checkpoint) are `tokenizerCases`, in HostileInputCatalogTests+Tokenizers.swift.
    static let cases: [Case] = safetensorsCases + zipCases + pickleCases + legacyCases + configCases

    @Test(arguments: cases)
    func everyCommandRejectsCleanly(_ hostile: Case) throws {
        let folder = try Scratch()
        var files = hostile.files
        if files["config.json"] == nil { files["config.json"] = Self.fixture("examples/tiny-nli/config.json") }
        for (name, bytes) in files { try Data(bytes).write(to: URL(fileURLWithPath: folder.path + "/" + name)) }
        for command in Self.commands {
            let output = folder.path + "/out-" + command.name
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: false)
            let result = try Self.run(command.arguments(folder.path + "/" + hostile.model, output))
            let context = "\(command.name) on \(hostile.name)"
            #expect(result.exited && result.status == 1, "\(context): \(result.exited ? "exit status" : "killed by signal") \(result.status)\n\(result.stderr)")
            #expect(result.stdout.isEmpty, "\(context): stdout \(result.stdout.prefix(300))")
            let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("error: ") }
            #expect(!errors.isEmpty, "\(context): no 'error: ' line in \(result.stderr.prefix(500))")
            for fragment in hostile.expected {
                #expect(result.stderr.contains(fragment), "\(context): '\(fragment)' not in \(result.stderr.prefix(500))")
            }
            let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: output)) ?? []
            #expect(leftovers.isEmpty, "\(context): left \(leftovers) behind")
            let folderFiles = Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)).subtracting(Self.commands.map { "out-" + $0.name })
            #expect(folderFiles == Set(files.keys), "\(context): the model folder now holds \(folderFiles.sorted())")
        }
    }

    /// Well-formed files whose v1 tensors do not match config.json: `compile` fails like any
    /// catalogue case; `inspect` prints its table, then lists the problem on stderr, status 1.
    @Test(arguments: v1Cases)
    func malformedV1CheckpointsAreRejected(_ hostile: Case) throws {
        let folder = try Scratch()
        for (name, bytes) in hostile.files { try Data(bytes).write(to: URL(fileURLWithPath: folder.path + "/" + name)) }
        let output = folder.path + "/out"
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: false)
        let compile = try Self.run(["compile", folder.path + "/" + hostile.model, "-o", output + "/model.so"])
        #expect(compile.exited && compile.status == 1 && compile.stdout.isEmpty, "\(hostile.name): compile \(compile.status)\n\(compile.stderr)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: output)) ?? []).isEmpty, "\(hostile.name): compile left files")
        let inspect = try Self.run(["inspect", folder.path + "/" + hostile.model])
        #expect(inspect.exited && inspect.status == 1 && inspect.stdout.contains("does NOT match"), "\(hostile.name): inspect \(inspect.status)")
        for fragment in hostile.expected {
            #expect(compile.stderr.contains(fragment), "\(hostile.name): '\(fragment)' not in \(compile.stderr.prefix(500))")
            #expect(inspect.stderr.contains(fragment), "\(hostile.name): '\(fragment)' not in \(inspect.stderr.prefix(500))")
        }
    }

    @Test func catalogueCoversEveryClass() {
        #expect(Self.cases.count >= 80)
        #expect(Set(Self.cases.map(\.name)).count == Self.cases.count, "case names must be unique")
        #expect(Self.cases.allSatisfy { $0.files.values.allSatisfy { !$0.isEmpty } || $0.name.contains("empty") }, "a fixture is missing")
    }

    // MARK: - Running with a deadline

    struct Outcome {
        let exited: Bool
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs the built `debertac` with `stdin` (else nothing) as standard input, killing it after
    /// `timeout` seconds (a hang is a failure, not a stuck test run). Input and output go
    /// through files, so no pipe can fill up.
    static func run(_ arguments: [String], stdin: String? = nil, timeout: Double = 60) throws -> Outcome {
        let scratch = try Scratch()
        let out = scratch.path + "/stdout", err = scratch.path + "/stderr", input = scratch.path + "/stdin"
        guard FileManager.default.createFile(atPath: out, contents: nil), FileManager.default.createFile(atPath: err, contents: nil),
              FileManager.default.createFile(atPath: input, contents: Data((stdin ?? "").utf8)) else {
            throw CocoaError(.fileWriteUnknown)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandRunner.executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: CommandRunner.root)
        process.standardInput = stdin == nil ? FileHandle.nullDevice : try FileHandle(forReadingFrom: URL(fileURLWithPath: input))
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(5_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            return Outcome(exited: false, status: -1, stdout: "", stderr: "timed out after \(timeout) s")
        }
        return Outcome(
            exited: process.terminationReason == .exit, status: process.terminationStatus,
            stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }

    static func fixture(_ path: String) -> [UInt8] {
        (try? Array(Data(contentsOf: URL(fileURLWithPath: CommandRunner.root + "/" + path)))) ?? []
    }
}

// MARK: - safetensors

extension HostileInputCatalogTests {
    static var safetensorsCases: [Case] {
        let real = fixture("Tests/Fixtures/formats/safetensors-f32/model.safetensors")
        let headerLength = real.count >= 8 ? Int(real[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }) : 0
        let dataStart = 8 + headerLength
        let tensor = { (name: String, dtype: String, shape: String, begin: String, end: String) in
            "\"\(name)\": {\"dtype\": \"\(dtype)\", \"shape\": [\(shape)], \"data_offsets\": [\(begin), \(end)]}"
        }
        let one = { (dtype: String, shape: String, begin: String, end: String, data: Int) in
            safetensorsFile(header: "{" + tensor("w", dtype, shape, begin, end) + "}", data: [UInt8](repeating: 0, count: data))
        }
        return [
            Case("safetensors truncated inside the length", Array(real.prefix(4)), "truncated at byte 4", "too short to be a checkpoint"),
            Case("safetensors truncated inside the header", Array(real.prefix(8 + headerLength / 2)),
                 "truncated at byte \(8 + headerLength / 2)", "header of \(headerLength) bytes runs past the end"),
            Case("safetensors truncated inside the data", Array(real.prefix(dataStart + (real.count - dataStart) / 2)),
                 "run past the \((real.count - dataStart) / 2)-byte data section"),
            Case("safetensors header length overflows", safetensorsFile(header: "{}", declaredLength: .max), "not a checkpoint"),
            Case("safetensors header length past the end", safetensorsFile(header: "{}", declaredLength: 100_000_000),
                 "header of 100000000 bytes runs past the end"),
            Case("safetensors offsets past the end", one("F32", "1", "0", "4096", 4), "tensor 'w'", "run past the 4-byte data section"),
            Case("safetensors offsets that overflow", one("F32", "1", "0", "9223372036854775807", 4), "tensor 'w'", "run past"),
            Case("safetensors offsets beyond 64 bits", one("F32", "1", "0", "18446744073709551616", 4), "tensor 'w'", "must be two integers"),
            Case("safetensors decreasing offsets", one("F32", "1", "4", "0", 4), "tensor 'w'", "not an increasing range"),
            Case("safetensors overlapping tensors",
                 safetensorsFile(header: "{" + tensor("a", "F32", "2", "0", "8") + ", " + tensor("b", "F32", "2", "4", "12") + "}",
                                 data: [UInt8](repeating: 0, count: 12)),
                 "tensors 'a' and 'b' overlap"),
            Case("safetensors non-UTF-8 tensor name",
                 safetensorsFile(header: Array(#"{"w"#.utf8) + [0xFF] + Array(#"": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#.utf8),
                                 data: [0, 0, 0, 0]),
                 "invalid JSON at byte", "not valid UTF-8"),
            Case("safetensors element count overflows Int64", one("F32", "4294967296, 4294967296, 2", "0", "0", 0),
                 "tensor 'w'", "more elements than fit in 64 bits"),
            Case("safetensors shape and bytes disagree", one("F32", "3", "0", "8", 8), "needs 12 bytes but data_offsets span 8"),
            Case("safetensors negative dimension", one("F32", "-1", "0", "0", 0), "shape entries must be non-negative integers"),
            Case("safetensors unknown dtype", one("F8_E9M9", "1", "0", "1", 1), "unknown dtype 'F8_E9M9'"),
            // Recognition needs '{' after the length, so a non-object header is not a checkpoint at all.
            Case("safetensors header is not an object", safetensorsFile(header: "[1, 2]"), "not a checkpoint"),
            Case("safetensors deeply nested header",
                 safetensorsFile(header: #"{"__metadata__": "# + String(repeating: "[", count: 300) + String(repeating: "]", count: 300) + "}"),
                 "nesting deeper than 256"),
            Case("safetensors duplicate tensor name",
                 safetensorsFile(header: "{" + tensor("w", "F32", "1", "0", "4") + ", " + tensor("w", "F32", "1", "4", "8") + "}",
                                 data: [UInt8](repeating: 0, count: 8)),
                 "duplicate key 'w'"),
        ]
    }
}

// MARK: - zip

extension HostileInputCatalogTests {
    static var zipCases: [Case] {
        // A real torch zip, cut inside each of its parts: every cut loses the end record.
        let real = fixture("Tests/Fixtures/formats/torch-zip-f32/pytorch_model.bin")
        let end = lastIndex(of: [0x50, 0x4B, 0x05, 0x06], in: real) ?? 0
        let directory = real.count > end + 20 ? Int(real[end + 16]) | Int(real[end + 17]) << 8 | Int(real[end + 18]) << 16 | Int(real[end + 19]) << 24 : 0
        let secondLocal = (4..<max(4, real.count - 4)).first { real[$0..<$0 + 4].elementsEqual([0x50, 0x4B, 0x03, 0x04]) } ?? 0
        let largest = real.withUnsafeBytes { raw in
            (try? ZipArchive(file: MappedFile(copying: raw, path: "zip")))?.entries.max { $0.size < $1.size }
        }
        let insideData = largest.map { $0.dataOffset + $0.size / 2 } ?? 0
        let noEnd = "no end of central directory record"

        // A small synthetic torch zip to break one field at a time.
        let state = PickleWriter.tensors([("w", [4], [1], 0)], legacy: false)
        var writer = ZipWriter()
        writer.add("archive/data.pkl", state)
        writer.add("archive/byteorder", Array("little".utf8))
        writer.add("archive/data/0", [UInt8](repeating: 0, count: 16))
        let (base, layout) = writer.write()
        writer.zip64 = true
        let (base64, layout64) = writer.write()
        let entry0 = layout.centralEntries[0], entry2 = layout.centralEntries[2]
        let zip64Extra = layout64.centralEntries[0] + 46 + "archive/data.pkl".utf8.count + 4

        func variant(_ change: (inout ZipWriter) -> Void) -> [UInt8] {
            var w = ZipWriter()
            w.add("archive/data.pkl", state)
            w.add("archive/byteorder", Array("little".utf8))
            w.add("archive/data/0", [UInt8](repeating: 0, count: 16))
            change(&w)
            return w.bytes
        }

        return [
            Case("zip truncated inside a local header", Array(real.prefix(secondLocal + 10)), noEnd),
            Case("zip truncated inside data", Array(real.prefix(insideData)), noEnd),
            Case("zip truncated inside the central directory", Array(real.prefix(directory + 20)), noEnd),
            Case("zip truncated inside the end record", Array(real.prefix(end + 10)), noEnd),
            Case("zip shorter than an end record", Array(real.prefix(21)), "a zip file needs at least 22 bytes"),
            Case("zip directory offset past the end", patched(base, at: layout.endRecord + 16, le32(0x7FFF_FFFF)),
                 "central directory offset 2147483647 exceeds the file size"),
            Case("zip directory size past the end", patched(base, at: layout.endRecord + 12, le32(0x7FFF_FFFF)),
                 "central directory size 2147483647 exceeds the file size"),
            Case("zip entry count that cannot fit", patched(base, at: layout.endRecord + 8, le16(5000) + le16(5000)),
                 "5000 entries cannot fit in a central directory"),
            Case("zip64 marker without a locator", patched(base, at: layout.endRecord + 8, le16(0xFFFF) + le16(0xFFFF)),
                 "zip64 markers", "no zip64 locator"),
            Case("zip64 sizes that overflow", patched(base64, at: zip64Extra, le64(Int.max) + le64(Int.max)),
                 "size of entry 'archive/data.pkl' 9223372036854775807 exceeds the file size"),
            Case("zip64 sizes beyond Int64", patched(base64, at: zip64Extra, le64(UInt64.max) + le64(UInt64.max)),
                 "size of entry 'archive/data.pkl' 18446744073709551615 exceeds the file size"),
            Case("zip64 directory offset past the end", patched(base64, at: (layout64.zip64EndRecord ?? 0) + 48, le64(1 << 62)),
                 "central directory offset 4611686018427387904 exceeds the file size"),
            Case("zip64 entry count that overflows", patched(base64, at: (layout64.zip64EndRecord ?? 0) + 32, le64(UInt64.max)),
                 "zip64 entry count 18446744073709551615 is impossible"),
            Case("zip64 end record offset past the end", patched(base64, at: (layout64.zip64EndRecord ?? 0) + 56 + 8, le64(Int.max)),
                 "zip64 end record offset 9223372036854775807 exceeds the file size"),
            Case("zip local header offset past the end", patched(base, at: entry0 + 42, le32(0x7FFF_0000)),
                 "local header offset of entry 'archive/data.pkl' 2147418112 exceeds the file size"),
            Case("zip local header offset at the wrong place", patched(base, at: entry0 + 42, le32(layout.data[0])),
                 "expected the local header of entry 'archive/data.pkl'"),
            Case("zip entry data past the end", patched(base, at: entry2 + 20, le32(base.count - 8) + le32(base.count - 8)),
                 "data of entry 'archive/data/0' needs \(base.count - 8) bytes"),
            Case("zip local and central names differ", patched(base, at: layout.localHeaders[0] + 30, Array("x".utf8)),
                 "local header names 'xrchive/data.pkl'"),
            Case("zip non-UTF-8 entry name", variant { $0.members[2].name = Array("archive/data/".utf8) + [0xC3, 0x28] },
                 "entry name is not valid UTF-8"),
            Case("zip compressed entry", variant { $0.members[0].method = 8 }, "'archive/data.pkl' uses compression method 8"),
            Case("zip encrypted entry", patched(base, at: entry0 + 8, le16(1)), "'archive/data.pkl' is encrypted"),
            Case("zip duplicate entries", variant { $0.add("archive/data/0", [0, 0, 0, 0]) }, "entry 'archive/data/0' appears more than once"),
            Case("zip without data.pkl", variant { $0.members[0].name = Array("archive/other.pkl".utf8) }, "has no '<root>/data.pkl' entry"),
            Case("zip with two state-dict pickles", variant { $0.add("other/data.pkl", state) }, "several state-dict pickles"),
            Case("zip big-endian storages", variant { $0.members[1].data = Array("big".utf8) }, "only little-endian storages are supported"),
        ]
    }
}

// MARK: - pickles (in a torch zip unless named legacy)

extension HostileInputCatalogTests {
    static var pickleCases: [Case] {
        // data.pkl's first opcode after PROTO is at this file offset in `torchZip(state:)`.
        let pickleStart = 30 + "archive/data.pkl".utf8.count
        let zipped = { (state: [UInt8]) in torchZip(state: state) }
        let tensors = { (specs: [(name: String, shape: [Int], strides: [Int], offset: Int)]) in zipped(PickleWriter.tensors(specs, legacy: false)) }
        var cases: [Case] = []

        // Opcodes a state dict never uses: text-mode and object-building ones.
        for (opcode, name) in [(0x93, "STACK_GLOBAL"), (0x69, "INST"), (0x6F, "OBJ"), (0x81, "NEWOBJ"), (0x92, "NEWOBJ_EX"),
                               (0x49, "INT"), (0x56, "UNICODE"), (0x70, "PUT"), (0x50, "PERSID"), (0x82, "EXT1"), (0x64, "DICT")] as [(UInt8, String)] {
            cases.append(Case("pickle opcode \(name)", zipped(PickleWriter.raw([0x4E, opcode, 0x2E])),
                              "pickle opcode 0x\(String(opcode, radix: 16)) at byte \(pickleStart + 3) is not allowed"))
        }
        // Globals outside the allow-list, rejected by name before anything else happens.
        for (module, name) in [("posix", "system"), ("os", "system"), ("builtins", "eval"), ("__builtin__", "exec"),
                               ("subprocess", "Popen"), ("torch", "load"), ("torch._utils", "_rebuild_device_tensor_from_numpy"),
                               ("numpy.core.multiarray", "_reconstruct"), ("collections", "OrderedDict.__init__")] {
            var p = PickleWriter()
            p.global(module, name)
            p.string("echo pwned")
            p.op(0x85, 0x52, 0x2E)  // TUPLE1, REDUCE, STOP
            cases.append(Case("pickle global \(module).\(name)", zipped(p.bytes),
                              "pickle global '\(module).\(name)' at byte \(pickleStart + 2) is not allowed"))
        }
        cases.append(Case("pickle global from the fixtures (posix.system)", fixture("Tests/Fixtures/hostile/os-system.bin"),
                          "pickle global 'posix.system'"))

        // Recursive and huge containers.
        var selfNested = PickleWriter()
        selfNested.op(0x5D, 0x71, 0x00)  // EMPTY_LIST, BINPUT 0
        for _ in 0..<1100 { selfNested.op(0x68, 0x00, 0x61) }  // BINGET 0, APPEND: the list into itself
        selfNested.stop()
        cases.append(Case("pickle list appended into itself", zipped(selfNested.bytes), "nested deeper than 1000 levels"))
        let deep = PickleWriter.raw([UInt8](repeating: 0x5D, count: 1100) + [UInt8](repeating: 0x61, count: 1099) + [0x2E])
        cases.append(Case("pickle lists nested 1100 deep", zipped(deep), "nested deeper than 1000 levels"))
        let deepTuples = PickleWriter.raw([0x29] + [UInt8](repeating: 0x85, count: 1100) + [0x2E])
        cases.append(Case("pickle tuples nested 1100 deep", zipped(deepTuples), "nested deeper than 1000 levels"))
        cases.append(Case("pickle string longer than the file", zipped(PickleWriter.raw([0x58] + le32(0xFFFF_FFFF) + [0x61])),
                          "operand of BINUNICODE needs 4294967295 bytes"))
        cases.append(Case("pickle bytes longer than the file", zipped(PickleWriter.raw([0x42] + le32(0xFFFF_FFF0))),
                          "operand of BINBYTES needs 4294967280 bytes"))
        cases.append(Case("pickle frame longer than the file", zipped([0x80, 0x04, 0x95] + le64(UInt64.max) + [0x4E, 0x2E]),
                          "frame of 18446744073709551615 bytes"))
        cases.append(Case("pickle stack of a million values", zipped(PickleWriter.raw([UInt8](repeating: 0x4E, count: (1 << 20) + 1) + [0x2E])),
                          "pickle stack exceeds 1048576 entries"))
        cases.append(Case("pickle million MARKs", zipped(PickleWriter.raw([UInt8](repeating: 0x28, count: (1 << 20) + 1) + [0x2E])),
                          "pickle stack exceeds 1048576 entries"))
        var memo = PickleWriter()
        memo.op(0x4E)
        for index in 0...(1 << 20) { memo.bytes += [0x72] + le32(index) }  // LONG_BINPUT to a new slot each time
        memo.stop()
        cases.append(Case("pickle memo of a million slots", zipped(memo.bytes), "pickle memo exceeds 1048576 entries"))

        // Structure that does not hold together.
        cases.append(Case("pickle without STOP", zipped(PickleWriter.raw([0x4E])), "pickle ends without a STOP opcode"))
        cases.append(Case("pickle memo miss", zipped(PickleWriter.raw([0x68, 0x07, 0x2E])), "memo key 7 was never stored"))
        cases.append(Case("pickle stack underflow", zipped(PickleWriter.raw([0x61, 0x2E])), "stack underflow in APPEND"))
        cases.append(Case("pickle top level is a list", zipped(PickleWriter.raw([0x5D, 0x2E])), "top-level object is a list"))
        cases.append(Case("pickle non-UTF-8 tensor name",
                          zipped(PickleWriter.stateDict([([0x77, 0xFF], { $0.tensor(key: "0", numel: 4, shape: [4], strides: [1], legacy: false) })])),
                          "string of BINUNICODE is not valid UTF-8"))
        cases.append(Case("pickle duplicate tensor name", tensors([("w", [4], [1], 0), ("w", [4], [1], 0)]), "tensor 'w' appears more than once"))
        cases.append(Case("pickle storage without data", zipped(PickleWriter.stateDict([(Array("w".utf8), {
            $0.tensor(key: "9", numel: 4, shape: [4], strides: [1], legacy: false)
        })])), "storage '9' has no entry 'archive/data/9'"))
        cases.append(Case("pickle storage larger than its data", zipped(PickleWriter.stateDict([(Array("w".utf8), {
            $0.tensor(key: "0", numel: 1000, shape: [4], strides: [1], legacy: false)
        })])), "declares 1000 F32 elements but 'archive/data/0' holds 16 bytes"))

        // Shapes, strides and offsets: every addressable element must be inside the storage.
        cases.append(Case("tensor element count overflows Int64", tensors([("w", [1 << 32, 1 << 32, 2], [0, 0, 0], 0)]),
                          "tensor 'w'", "more elements than fit in 64 bits"))
        cases.append(Case("tensor byte size overflows Int64", tensors([("w", [1 << 62], [0], 0)]),
                          "tensor 'w'", "more bytes than fit in 64 bits"))
        cases.append(Case("tensor bytes total overflow Int64", tensors((0..<3).map { ("t\($0)", [1 << 60], [0], 0) }),
                          "tensor 't1'", "total more bytes than fit in 64 bits"))
        cases.append(Case("tensor storage offset past the end", tensors([("w", [4], [1], 100)]), "tensor 'w'", "fall outside their storage"))
        cases.append(Case("tensor storage offset overflows", tensors([("w", [1], [1], Int.max / 2)]), "tensor 'w'", "storage offset"))
        cases.append(Case("tensor strides past the end", tensors([("w", [2, 2], [3, 1], 0)]), "tensor 'w'", "fall outside their storage"))
        cases.append(Case("tensor strides that overflow", tensors([("w", [3], [Int.max], 0)]), "tensor 'w'", "overflow for shape [3]"))
        cases.append(Case("tensor reach that wraps past Int64", tensors([("w", [2], [(1 << 61) - 1], 0)]),
                          "tensor 'w'", "fall outside their storage"))
        return cases
    }
}

// MARK: - legacy torch files

extension HostileInputCatalogTests {
    static var legacyCases: [Case] {
        let real = fixture("Tests/Fixtures/formats/torch-legacy-f32/pytorch_model.bin")
        let ends = (try? pickleEnds(real, count: 5)) ?? [15, 30, 45, 60, 75]
        let starts = [0] + ends.dropLast()
        let names = ["magic number", "protocol version", "sys_info", "state dict", "storage key list"]
        var cases = zip(names, zip(starts, ends)).map { name, span in
            // Inside the magic pickle, cut after its 14-byte header so the file is still recognised.
            let cut = name == "magic number" ? 14 : (span.0 + span.1) / 2
            return Case("legacy truncated inside the \(name) pickle", Array(real.prefix(cut)), "truncated at byte")
        }
        let records = ends[4]
        cases.append(Case("legacy truncated inside a storage count", Array(real.prefix(records + 4)),
                          "truncated at byte \(records)", "element count of storage"))
        cases.append(Case("legacy truncated inside storage data", Array(real.prefix(records + 8 + 10)),
                          "truncated at byte \(records + 8)", "bytes left"))

        let state = PickleWriter.tensors([("w", [4], [1], 0)], legacy: true)
        let data = [UInt8](repeating: 0, count: 16)
        cases += [
            Case("legacy storage count overflows", legacyTorch(state: state, records: [(1 << 62, data)]),
                 "storage '0' declares 4611686018427387904 F32 elements"),
            Case("legacy negative storage count", legacyTorch(state: state, records: [(-1, data)]), "storage '0' declares -1 F32 elements"),
            Case("legacy storage listed twice", legacyTorch(state: state, keys: ["0", "0"], records: [(4, data), (4, data)]),
                 "storage '0' is listed twice"),
            Case("legacy storage nobody uses", legacyTorch(state: state, keys: ["0", "7"], records: [(4, data), (4, data)]),
                 "storage '7' is listed but no tensor uses it"),
            Case("legacy storage missing", legacyTorch(state: state, keys: [], records: []), "storage '0' has no data in the file"),
            Case("legacy wrong magic number", patched(legacyTorch(state: state), at: 13, [0x18]), "not a checkpoint"),
            Case("legacy global builtins.eval from the fixtures", fixture("Tests/Fixtures/hostile/builtins-eval-legacy.bin"),
                 "pickle global 'builtins.eval'"),
            Case("legacy opcode outside the set", legacyTorch(state: PickleWriter.raw([0x4E, 0x93, 0x2E])), "pickle opcode 0x93"),
            Case("legacy tensor reach that wraps past Int64",
                 legacyTorch(state: PickleWriter.tensors([("w", [2], [(1 << 61) - 1], 0)], legacy: true)),
                 "tensor 'w'", "fall outside their storage"),
            Case("legacy tensor byte size overflows Int64",
                 legacyTorch(state: PickleWriter.tensors([("w", [1 << 62], [0], 0)], legacy: true)),
                 "tensor 'w'", "more bytes than fit in 64 bits"),
        ]
        return cases
    }
}

// MARK: - config.json and shard indexes

extension HostileInputCatalogTests {
    static var configCases: [Case] {
        let weights = fixture("examples/tiny-nli/pytorch_model.bin")
        let config = { (name: String, text: [UInt8], expected: String) in
            Case("config \(name)", files: ["pytorch_model.bin": weights, "config.json": text], model: "pytorch_model.bin", expected)
        }
        let tooLarge: [(String, String, String)] = [
            ("position_buckets", #""relative_attention": true, "position_buckets": 4611686018427387904"#, "is 4611686018427387904, expected at most 2147483647"),
            ("num_attention_heads", #""num_attention_heads": 4294967296, "attention_head_size": 4294967296"#, "is 4294967296, expected at most 2147483647"),
            ("num_hidden_layers", #""num_hidden_layers": 1000000000000"#, "is 1000000000000, expected at most 1024"),
            ("num_labels", #""num_labels": 1000000000000"#, "is 1000000000000, expected at most 1048576"),
            ("vocab_size", #""vocab_size": 9223372036854775807"#, "is 9223372036854775807, expected at most 2147483647"),
            ("pad_token_id", #""pad_token_id": -9223372036854775808"#, "is -9223372036854775808, expected at least -2147483648"),
        ]
        let shardWeights = fixture("Tests/Fixtures/formats/safetensors-f32/model.safetensors")
        return [
            config("that is not an object", Array("[1, 2]".utf8), "field '(top level)'"),
            config("that is not JSON", Array(#"{"hidden_size": }"#.utf8), "invalid JSON at byte 16"),
            config("nested 300 deep", Array((#"{"a": "# + String(repeating: "[", count: 300) + String(repeating: "]", count: 300) + "}").utf8),
                   "nesting deeper than 256"),
            config("with a non-UTF-8 string", Array(#"{"hidden_act": "ge"#.utf8) + [0xFF] + Array(#"lu"}"#.utf8), "not valid UTF-8"),
            config("of another model type", Array(#"{"model_type": "bert"}"#.utf8), "expected 'deberta-v2' (DeBERTa-v2 and v3 checkpoints) or 'deberta'"),
        ] + tooLarge.map { field, members, message in
            config("\(field) too large", Array(("{" + #""model_type": "deberta-v2", "# + members + "}").utf8), "field '\(field)': \(message)")
        } + [
            Case("shard index naming a file outside its folder",
                 files: ["model.safetensors.index.json": Array(#"{"weight_map": {"w": "../model.safetensors"}}"#.utf8),
                         "model.safetensors": shardWeights],
                 model: "model.safetensors.index.json", "shard files must be plain names"),
            Case("shard index that is not JSON",
                 files: ["model.safetensors.index.json": Array(#"{"weight_map": "#.utf8)], model: "model.safetensors.index.json",
                 "invalid JSON"),
        ]
    }

    /// DeBERTa v1 checkpoints (models/v1-large-toy) with one attention tensor wrong: the error
    /// names the tensor and the shape expected (`malformedV1CheckpointsAreRejected`).
    static var v1Cases: [Case] {
        let folder = "Tests/Fixtures/models/v1-large-toy/"
        let config = fixture(folder + "config.json")
        let weights = fixture(folder + "model.safetensors")
        /// The fixture with `old` replaced by `new` in its JSON header (the data is unchanged).
        func edited(_ old: String, _ new: String) -> [UInt8] {
            let length = weights[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            let header = String(decoding: weights[8..<(8 + length)], as: UTF8.self)
            precondition(header.contains(old), "fixture header lacks \(old)")
            return safetensorsFile(header: header.replacingOccurrences(of: old, with: new), data: Array(weights[(8 + length)...]))
        }
        let attention = "deberta.encoder.layer.0.attention.self."
        let v1 = { (name: String, weights: [UInt8], expected: String) in
            Case("v1 checkpoint \(name)", files: ["model.safetensors": weights, "config.json": config], model: "model.safetensors", expected)
        }
        let talkingHead = Array(String(decoding: config, as: UTF8.self)
            .replacingOccurrences(of: #""model_type": "deberta","#, with: #""model_type": "deberta", "talking_head": true,"#).utf8)
        return [
            v1("without in_proj", edited(attention + "in_proj.weight", attention + "in_prox.weight"),
               "tensor '\(attention)in_proj.weight' with shape [96, 32] is missing"),
            v1("with in_proj transposed", edited(#"in_proj.weight":{"dtype":"F32","shape":[96,32]"#, #"in_proj.weight":{"dtype":"F32","shape":[32,96]"#),
               "tensor '\(attention)in_proj.weight' has shape [32, 96], expected [96, 32]"),
            v1("with q_bias of the wrong shape", edited(#"q_bias":{"dtype":"F32","shape":[32]"#, #"q_bias":{"dtype":"F32","shape":[2,16]"#),
               "tensor '\(attention)q_bias' has shape [2, 16], expected [32]"),
            Case("v1 config with talking_head but no head projections", files: ["model.safetensors": weights, "config.json": talkingHead],
                 model: "model.safetensors", "head_logits_proj"),
        ]
    }
}
