import ArgumentParser
import DebertacFrontend

/// The `debertac` command-line driver.
@main
struct Debertac: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "debertac",
        abstract: "Compile DeBERTa-v2/v3 classifiers ahead of time into native shared objects.",
        version: DebertacVersion.string,
        subcommands: [InspectCommand.self, DoctorCommand.self, TokenizeCommand.self, RunCommand.self, ZeroShotCommand.self,
                      OptCommand.self, CompileCommand.self]
    )
}

/// The compiler's version, reported by `--version` and embedded in compiled models.
enum DebertacVersion {
    static let string = "0.1.0"
}

/// Runs `body`, turning debertac's own errors into `error: ...` on stderr and exit code 1.
/// Argument-parsing errors and exit codes pass through to ArgumentParser.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch {
        printError("error: \(error)")
        throw ExitCode.failure
    }
}
