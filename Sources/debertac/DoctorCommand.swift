import ArgumentParser
import DebertacBackend

/// `debertac doctor`: checks that the toolchain debertac needs is usable on this machine.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Report the LLVM version and host CPU that compiled models would target."
    )

    func run() throws {
        let host = HostTarget.current
        print("llvm        \(host.llvmVersion)")
        print("triple      \(host.triple)")
        print("cpu         \(host.cpuName)")
        print("features    \(host.features.split(separator: ",").count) (\(host.features.split(separator: ",").filter { $0.hasPrefix("+avx512") }.count) AVX-512)")
    }
}
