#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes output files so that a failure leaves nothing behind: the bytes go to a
/// temporary name in the same folder, which is renamed over the destination only once
/// everything was written. Used for IR dumps and by the driver for `-o`.
public enum OutputFile {
    /// Why a write failed: the system's message.
    public struct Failure: Error, Sendable {
        /// `strerror` text, lowercase as the system gives it.
        public let message: String
    }

    /// Writes `text` to `path` via `path.tmp-<pid>` and `rename`.
    public static func write(_ text: String, to path: String) throws(Failure) {
        try write(Array(text.utf8), to: path)
    }

    /// Writes `bytes` to `path` via `path.tmp-<pid>` and `rename`.
    public static func write(_ bytes: [UInt8], to path: String) throws(Failure) {
        let temporary = temporaryPath(for: path)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(message: systemMessage()) }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { systemWrite(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                let failure = Failure(message: systemMessage())
                close(fd)
                unlink(temporary)
                throw failure
            }
            written += n
        }
        guard close(fd) == 0 else {
            let failure = Failure(message: systemMessage())
            unlink(temporary)
            throw failure
        }
        guard rename(temporary, path) == 0 else {
            let failure = Failure(message: systemMessage())
            unlink(temporary)
            throw failure
        }
    }

    /// The temporary name used while writing `path`: `path.tmp-<pid>`.
    public static func temporaryPath(for path: String) -> String { "\(path).tmp-\(getpid())" }

    /// Creates `directory` and its missing parents (like `mkdir -p`).
    public static func makeDirectory(_ directory: String) throws(Failure) {
        var prefix = directory.hasPrefix("/") ? "/" : ""
        for component in directory.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST { throw Failure(message: systemMessage()) }
            prefix += "/"
        }
        var info = stat()
        guard stat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw Failure(message: "not a directory")
        }
    }

    /// `write(2)` (the name `write` is taken by this type's methods).
    private static func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        return Glibc.write(fd, buffer, count)
        #else
        return Darwin.write(fd, buffer, count)
        #endif
    }

    /// `strerror` with a lowercase first letter, as our messages are.
    private static func systemMessage() -> String {
        let text = String(cString: strerror(errno))
        return text.prefix(1).lowercased() + text.dropFirst()
    }
}
