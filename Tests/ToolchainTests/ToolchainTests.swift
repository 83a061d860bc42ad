import CBLAS
import DebertacBackend
import Testing

/// The system libraries debertac links are installed and callable.
@Suite struct ToolchainTests {
    @Test func llvmReportsTheHostCPU() {
        let host = HostTarget.current
        #expect(host.llvmVersion.hasPrefix("19."))
        #expect(!host.cpuName.isEmpty && host.cpuName != "generic")
        #expect(host.triple.hasPrefix("x86_64") || host.triple.hasPrefix("aarch64"))
    }

    @Test func cblasMultipliesTwoByTwo() {
        let a: [Float] = [1, 2, 3, 4]
        let b: [Float] = [5, 6, 7, 8]
        var c = [Float](repeating: 0, count: 4)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 2, 2, 2, 1, a, 2, b, 2, 0, &c, 2)
        #expect(c == [19, 22, 43, 50])
    }
}
