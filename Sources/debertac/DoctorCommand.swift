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
        let features = host.features.split(separator: ",").map(String.init)
        print("features    \(features.count) (\(features.filter { $0.hasPrefix("+avx512") }.count) AVX-512)")
        // What --precision gets on this machine (docs/precision.md).
        let has = { (name: String) in features.contains("+" + name) }
        let avx512 = has("avx512f")
        print("bf16        " + (avx512 && has("avx512bf16") ? "vdpbf16ps kernels (avx512bf16)" : "fallback: bf16 weights in the fp32 kernel (no avx512bf16)"))
        print("int8        " + (avx512 && has("avx512vnni") ? "vpdpbusd kernels (avx512vnni)" : "unavailable: --precision int8 needs avx512vnni"))
    }
}
