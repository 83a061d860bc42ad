#if canImport(Glibc)
import Glibc
#endif

/// The system tools the backend drives: the C compiler (`$CC`, else `cc`), which also
/// assembles `tokenizer.s` and links the shared object with the system linker.
enum Toolchain {
    /// The C compiler command.
    static var compiler: String {
        if let cc = getenv("CC"), cc.pointee != 0 { return String(cString: cc) }
        return "cc"
    }

    /// Flags to compile against and link OpenBLAS: `pkg-config openblas`, or `-lopenblas`.
    static let openBLAS: (cflags: [String], libs: [String]) = {
        let cflags = (try? capture(["pkg-config", "--cflags", "openblas"])) ?? ""
        let libs = (try? capture(["pkg-config", "--libs", "openblas"])) ?? ""
        let split = { (s: String) in s.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init) }
        return (split(cflags), libs.isEmpty ? ["-lopenblas"] : split(libs))
    }()

    /// Runs `arguments` (the first is looked up in PATH) and throws with its output if it fails.
    static func run(_ arguments: [String]) throws(BackendError) {
        _ = try execute(arguments)
    }

    /// Runs `arguments` and returns what it printed on stdout and stderr.
    static func capture(_ arguments: [String]) throws(BackendError) -> String {
        try execute(arguments)
    }

    private static func execute(_ arguments: [String]) throws(BackendError) -> String {
        let command = arguments.joined(separator: " ")
        // Output goes to an unlinked temporary file, read back afterwards (no pipe deadlocks).
        var template = Array("/tmp/debertac-tool.XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw .io(path: "/tmp", message: "cannot create a temporary file: \(errnoText())") }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        defer { close(fd) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fd, 1)
        posix_spawn_file_actions_adddup2(&actions, fd, 2)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)

        var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for p in cArguments { free(p) } }
        var pid = pid_t()
        let status = posix_spawnp(&pid, arguments[0], &actions, nil, &cArguments, environ)
        guard status == 0 else {
            throw .toolFailed(command: command, status: -1, output: "cannot start '\(arguments[0])': \(String(cString: strerror(status)))")
        }
        var exit: Int32 = 0
        while waitpid(pid, &exit, 0) < 0 {
            if errno != EINTR { throw .toolFailed(command: command, status: -1, output: errnoText()) }
        }
        lseek(fd, 0, SEEK_SET)
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            output += chunk[0..<n]
        }
        let text = String(decoding: output, as: UTF8.self)
        let exited = (exit & 0x7f) == 0
        let code = exited ? (exit >> 8) & 0xff : 128 + (exit & 0x7f)
        guard exited && code == 0 else { throw .toolFailed(command: command, status: code, output: text) }
        return text
    }
}
