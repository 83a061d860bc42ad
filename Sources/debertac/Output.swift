#if canImport(Glibc)
import Glibc
#endif

/// Writes a line to standard error (diagnostics and progress never go to stdout).
func printError(_ message: String) {
    let line = message + "\n"
    _ = line.withCString { write(STDERR_FILENO, $0, strlen($0)) }
}
