internal import CLLVM

/// The machine compiled models target by default, as LLVM sees it.
public struct HostTarget: Sendable, Equatable {
    /// LLVM target triple, e.g. "x86_64-pc-linux-gnu".
    public let triple: String
    /// CPU name, e.g. "znver4".
    public let cpuName: String
    /// Comma-separated feature list, e.g. "+avx512f,+fma,...".
    public let features: String
    /// The LLVM library version, e.g. "19.1.7".
    public let llvmVersion: String

    /// Queries LLVM for the host's triple, CPU and features.
    public static var current: HostTarget {
        HostTarget(
            triple: takeLLVMString(LLVMGetDefaultTargetTriple()),
            cpuName: takeLLVMString(LLVMGetHostCPUName()),
            features: takeLLVMString(LLVMGetHostCPUFeatures()),
            llvmVersion: {
                var major: UInt32 = 0, minor: UInt32 = 0, patch: UInt32 = 0
                LLVMGetVersion(&major, &minor, &patch)
                return "\(major).\(minor).\(patch)"
            }()
        )
    }
}

/// Copies and frees a string that the LLVM C API handed over.
func takeLLVMString(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
    guard let pointer else { return "" }
    defer { LLVMDisposeMessage(pointer) }
    return String(cString: pointer)
}
