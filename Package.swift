// swift-tools-version:6.0
// debertac: an ahead-of-time compiler from DeBERTa-v2/v3 checkpoints to native shared objects.
//
// Targets follow the data (see docs/architecture.md):
//   DebertacFrontend    checkpoint files + config.json -> typed configuration and mapped tensors
//   DebertacTokenizer   spm.model / tokenizer.json -> the tokenizer blob; its C encoder (Encoder/,
//                       also compiled into every .so by the backend)
//   DebertacIR          graph IR, its textual form, verifier, and the DeBERTa graph builder
//   DebertacInterpreter reference fp32 interpreter of the IR (the numerics oracle)
//   DebertacPasses      optimisation passes, pass manager and memory planner
//   DebertacBackend     LLVM code generation (the only target that imports the LLVM C API)
//   DebertacRuntime     the Swift host of a compiled .so (dlopen + the C ABI); a library product
//                       other packages depend on, so it must stay free of unsafeFlags and dependencies
//   debertac            the command-line driver
import PackageDescription

/// Debian's llvm-19-dev keeps its C headers out of the default include path.
let llvmInclude = "/usr/lib/llvm-19/include"

let package = Package(
    name: "debertac",
    products: [
        .executable(name: "debertac", targets: ["debertac"]),
        .library(name: "DebertacFrontend", targets: ["DebertacFrontend"]),
        // Loads and runs a compiled model from Swift: `import DebertacRuntime` (docs/abi.md).
        .library(name: "DebertacRuntime", targets: ["DebertacRuntime"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries, installed by scripts/setup.sh.
        .systemLibrary(name: "CLLVM", path: "Sources/CLLVM", providers: [.apt(["llvm-19-dev"])]),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // The features LLVM gives a named CPU (its C API cannot say): a few lines of LLVM's C++ API.
        .target(name: "CLLVMTargetFeatures", dependencies: ["CLLVM"],
                cxxSettings: [.unsafeFlags(["-I\(llvmInclude)", "-fno-rtti", "-std=c++17"])]),

        // Pipeline stages.
        .target(name: "DebertacFrontend"),
        // The tokenizer stage: readers and the serialized form in Swift, the one encoder in C.
        .target(name: "CDebertacTokenizer", path: "Sources/DebertacTokenizer/Encoder"),
        .target(name: "DebertacTokenizer", dependencies: ["DebertacFrontend", "CDebertacTokenizer"],
                exclude: ["Encoder"]),
        .target(name: "DebertacIR", dependencies: ["DebertacFrontend"]),
        .target(name: "DebertacInterpreter", dependencies: ["DebertacIR", "DebertacFrontend", "CBLAS"]),
        .target(name: "DebertacPasses", dependencies: ["DebertacIR", "DebertacInterpreter", "DebertacFrontend"]),
        .target(
            name: "DebertacBackend",
            dependencies: ["CLLVM", "CLLVMTargetFeatures", "DebertacPasses", "DebertacInterpreter", "DebertacIR", "DebertacFrontend"],
            // The C runtime linked into every compiled .so, embedded as bytes (PackageResources).
            resources: [
                .embedInCode("Runtime/debertac_runtime.c"),
                .embedInCode("Runtime/debertac_pool.c"),
                .embedInCode("Runtime/debertac_digest.c"),
                .embedInCode("Runtime/debertac_cpu.c"),
                .embedInCode("Runtime/debertac_runtime.h"),
                .embedInCode("Runtime/debertac_internal.h"),
                .embedInCode("Runtime/debertac.h"),  // symlink to include/debertac.h
                .embedInCode("Runtime/debertac_text.c"),
                // The tokenizer's one encoder (symlinks into Sources/DebertacTokenizer/Encoder).
                .embedInCode("Runtime/debertac_tokenizer.h"),
                .embedInCode("Runtime/tokenizer_internal.h"),
                .embedInCode("Runtime/tokenizer_blob.c"),
                .embedInCode("Runtime/tokenizer_normalize.c"),
                .embedInCode("Runtime/tokenizer_unigram.c"),
                .embedInCode("Runtime/tokenizer_text.c"),
                .embedInCode("Runtime/tokenizer_encode.c"),
                .embedInCode("Runtime/tokenizer_hf_text.c"),
                .embedInCode("Runtime/tokenizer_hf_normalize.c"),
                .embedInCode("Runtime/tokenizer_graphemes.c"),
                .embedInCode("Runtime/tokenizer_grapheme_table.c"),
                .embedInCode("Runtime/tokenizer_byte_level.c"),
                .embedInCode("Runtime/tokenizer_byte_level_table.c"),
            ],
            swiftSettings: [.unsafeFlags(["-Xcc", "-I\(llvmInclude)"])]
        ),
        // The host side: loads a compiled .so with dlopen. Plain Swift with no dependencies and no
        // build flags, so a package that depends on this one can build it.
        .target(name: "DebertacRuntime"),
        .executableTarget(
            name: "debertac",
            dependencies: [
                "DebertacFrontend", "DebertacTokenizer", "DebertacIR", "DebertacInterpreter", "DebertacPasses", "DebertacBackend",
                "DebertacRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: [.unsafeFlags(["-Xcc", "-I\(llvmInclude)"])]
        ),

        // Tests.
        .testTarget(name: "DebertacFrontendTests", dependencies: ["DebertacFrontend"]),
        .testTarget(name: "DebertacTokenizerTests", dependencies: ["DebertacTokenizer", "DebertacFrontend"]),
        .testTarget(name: "DebertacIRTests", dependencies: ["DebertacIR", "DebertacFrontend"]),
        .testTarget(name: "DebertacInterpreterTests", dependencies: ["DebertacInterpreter", "DebertacIR", "DebertacFrontend"]),
        // Runs the built `debertac` executable as a user would (the product must be built first:
        // `swift build --build-tests` builds it, and so does scripts/test.sh).
        .testTarget(name: "DebertacCLITests", dependencies: ["DebertacFrontend"]),
        // Compiles the example with the built `debertac` (as DebertacCLITests) and runs it through
        // the library's public API only, as a dependent package would.
        .testTarget(name: "DebertacRuntimeTests", dependencies: ["DebertacRuntime"]),
        .testTarget(name: "DebertacPassesTests", dependencies: ["DebertacPasses", "DebertacInterpreter", "DebertacIR", "DebertacFrontend"]),
        .testTarget(
            name: "DebertacBackendTests",
            dependencies: ["DebertacBackend", "DebertacRuntime", "DebertacTokenizer", "DebertacPasses", "DebertacInterpreter", "DebertacIR", "DebertacFrontend"],
            swiftSettings: [.unsafeFlags(["-Xcc", "-I\(llvmInclude)"])]
        ),
        .testTarget(
            name: "ToolchainTests",
            dependencies: ["DebertacBackend", "CBLAS"],
            swiftSettings: [.unsafeFlags(["-Xcc", "-I\(llvmInclude)"])]
        ),
    ]
)
