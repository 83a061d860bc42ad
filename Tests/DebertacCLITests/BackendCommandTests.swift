import Foundation
import Testing

/// `debertac compile` to a shared object and `debertac run nli.so`, as a user runs them.
@Suite struct BackendCommandTests {
    static let folder: String = {
        let path = NSTemporaryDirectory() + "debertac-cli-backend-\(ProcessInfo.processInfo.processIdentifier)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: BackendCommandTests.folder) }
        return path
    }()

    @Test("compile examples/tiny-nli to a .so (embedded and external weights) and run it")
    func compileAndRun() throws {
        let reference = try CommandRunner.run(["run", "examples/tiny-nli", "--input", "examples/tiny-nli/input.json"])
        #expect(reference.status == 0)
        for external in [false, true] {
            let output = Self.folder + (external ? "/external/nli.so" : "/embedded/nli.so")
            try FileManager.default.createDirectory(atPath: (output as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let compile = try CommandRunner.run(["compile", "examples/tiny-nli", "-o", output] + (external ? ["--external-weights"] : []))
            #expect(compile.status == 0, "\(compile.stderr)")
            #expect(compile.stderr.contains("debertac: linking"), "progress goes to stderr")
            #expect(compile.stderr.contains("debertac: writing weights: "))
            #expect(FileManager.default.fileExists(atPath: (output as NSString).deletingLastPathComponent + "/debertac.h"))
            #expect(FileManager.default.fileExists(atPath: output + ".weights") == external)
            let run = try CommandRunner.run(["run", output, "--input", "examples/tiny-nli/input.json"])
            #expect(run.status == 0, "\(run.stderr)")
            // Same labels as the interpreter, logits within fp32 noise.
            let labels = { (text: String) in text.components(separatedBy: "\"labels\": ").last ?? "" }
            #expect(labels(run.stdout) == labels(reference.stdout))
            #expect(run.stdout.hasPrefix("{\"logits\": [["))
        }
    }

    @Test("--quiet, --emit, --target-cpu, and errors from a compiled .so")
    func optionsAndErrors() throws {
        let ll = Self.folder + "/tiny.ll"
        let quiet = try CommandRunner.run(["compile", "examples/tiny-nli", "-o", ll, "--emit=llvm", "--quiet", "--target-cpu", "x86-64-v3"])
        #expect(quiet.status == 0 && quiet.stderr.isEmpty, "\(quiet.stderr)")
        #expect(try String(contentsOfFile: ll, encoding: .utf8).contains("\"target-cpu\"=\"x86-64-v3\""))

        let so = Self.folder + "/errors/nli.so"
        try FileManager.default.createDirectory(atPath: Self.folder + "/errors", withIntermediateDirectories: true)
        #expect(try CommandRunner.run(["compile", "examples/tiny-nli", "-o", so, "--quiet"]).status == 0)
        let bad = try CommandRunner.run(["run", so, "--input", "-"], stdin: #"{"input_ids": [[1, 4000, 2]]}"#)
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("error: out of range: 'input_ids' row 0 column 1 is 4000"), "\(bad.stderr)")
        let ragged = try CommandRunner.run(["run", so, "--input", "-"], stdin: #"{"input_ids": [[1, 4, 2], [1, 2]]}"#)
        #expect(ragged.status == 1)
        #expect(ragged.stderr.contains("'input_ids' row 1 has 2 entries, expected 3"), "\(ragged.stderr)")

        let missing = try CommandRunner.run(["compile", "examples/tiny-nli", "-o", "/nonexistent/folder/nli.so", "--quiet"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("is not writable"))
    }
}
