import Foundation

/// Running tools and small C programs from tests.
enum Tools {
    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs `arguments` (looked up in PATH), with extra `environment`, feeding `input`.
    static func run(_ arguments: [String], environment: [String: String] = [:], input: String? = nil) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe(), stdin = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        // Read both pipes to the end before waiting (large outputs would block the child).
        final class Box: @unchecked Sendable { var data = Data() }
        let errBox = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errBox.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        let errData = errBox.data
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs and requires exit status 0; returns stdout.
    @discardableResult
    static func check(_ arguments: [String], environment: [String: String] = [:], input: String? = nil) throws -> String {
        let output = try run(arguments, environment: environment, input: input)
        guard output.status == 0 else {
            throw ToolFailure(description: "\(arguments.joined(separator: " ")) exited \(output.status): \(output.stderr)\(output.stdout)")
        }
        return output.stdout
    }

    struct ToolFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// A C program that includes the runtime (Runtime/debertac_runtime.c) with stub model and
    /// forward pass, to test its internals: `harness layout` reads `count maxB maxT` and then
    /// `bytes batch_power length_power first last` per buffer, printing each offset and the arena
    /// size; `harness xxh64 FILE` prints the digest of a file.
    static let harness: Result<String, any Error> = Result {
        let source = BackendFixtures.scratch + "/harness.c"
        let binary = BackendFixtures.scratch + "/harness"
        try """
            #include "debertac_runtime.c"
            const debertac_model_desc debertac__model = {0};
            int32_t debertac__forward(const debertac_exec *exec) { (void)exec; return 0; }
            int main(int argc, char **argv) {
                if (argc >= 3 && strcmp(argv[1], "xxh64") == 0) {
                    FILE *f = fopen(argv[2], "rb");
                    if (!f) return 1;
                    fseek(f, 0, SEEK_END);
                    long n = ftell(f);
                    fseek(f, 0, SEEK_SET);
                    unsigned char *data = malloc(n > 0 ? n : 1);
                    if (fread(data, 1, n, f) != (size_t)n) return 1;
                    printf("%016llx\\n", (unsigned long long)debertac__xxh64(data, n));
                    return 0;
                }
                int count; long long batch, length;
                if (scanf("%d %lld %lld", &count, &batch, &length) != 3) return 1;
                debertac_buffer_desc *b = calloc(count + 1, sizeof *b);
                int64_t *offsets = calloc(count + 1, sizeof *offsets);
                for (int i = 0; i < count; i++) {
                    long long bytes; int bp, lp, first, last;
                    if (scanf("%lld %d %d %d %d", &bytes, &bp, &lp, &first, &last) != 5) return 1;
                    b[i] = (debertac_buffer_desc){bytes, bp, lp, first, last};
                }
                long long total = layout_buffers(b, count, batch, length, offsets);
                for (int i = 0; i < count; i++) printf("%lld\\n", (long long)offsets[i]);
                printf("%lld\\n", total);
                return 0;
            }
            """.write(toFile: source, atomically: true, encoding: .utf8)
        let runtime = BackendFixtures.repository + "/Sources/DebertacBackend/Runtime"
        try check(["cc", "-std=gnu11", "-O1", "-Wall", "-Wextra", "-Werror", "-I", runtime, "-I", BackendFixtures.repository + "/include",
                   source] + ["debertac_pool.c", "debertac_digest.c", "debertac_text.c", "tokenizer_blob.c", "tokenizer_normalize.c",
                              "tokenizer_unigram.c", "tokenizer_text.c", "tokenizer_encode.c", "tokenizer_hf_text.c",
                              "tokenizer_hf_normalize.c", "tokenizer_graphemes.c", "tokenizer_grapheme_table.c",
                              "tokenizer_byte_level.c", "tokenizer_byte_level_table.c"].map { runtime + "/" + $0 }
                  + ["-o", binary, "-lopenblas", "-lpthread", "-ldl", "-lm"])
        return binary
    }
}
