// swift-tools-version:6.0
// A Swift host of a compiled model: depends on debertac (this repository) by path and uses only
// its DebertacRuntime library, as any other package would (build: `swift build` here).
import PackageDescription

let package = Package(
    name: "classify-swift",
    dependencies: [.package(name: "debertac", path: "../..")],
    targets: [
        .executableTarget(
            name: "classify-swift",
            dependencies: [.product(name: "DebertacRuntime", package: "debertac")],
            path: ".",
            sources: ["classify.swift"]
        ),
    ]
)
