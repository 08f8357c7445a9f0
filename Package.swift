// swift-tools-version:6.0
import PackageDescription

// Kernels need FMA/AVX2 code generation: the default x86-64 target has no FMA and turns
// SIMD `addingProduct` into per-lane libm calls (DESIGN.md §3). x86-64-v3 keeps the binary
// portable across AVX2 machines; other architectures build with their defaults.
#if arch(x86_64)
let simdFlags: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-march=x86-64-v3"])]
#else
let simdFlags: [SwiftSetting] = []
#endif
// The engine is optimised in debug builds too: SIMD kernels at -Onone run ~50× slower,
// which would make `swift test`'s correctness checks against the reference crawl.
let fast: [SwiftSetting] = simdFlags + [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "attnscope",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "attnscope", targets: ["attnscope"]),
        .library(name: "AttentionEngine", targets: ["AttentionEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CNcursesw", path: "Sources/CNcursesw"),
        .target(name: "AttentionEngine", swiftSettings: fast),
        .target(name: "Dashboard", dependencies: ["AttentionEngine", "CNcursesw"]),
        .executableTarget(
            name: "attnscope",
            dependencies: [
                "AttentionEngine", "Dashboard",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .target(name: "TestSupport", dependencies: ["AttentionEngine"], path: "Tests/TestSupport"),
        .testTarget(name: "AttentionEngineTests", dependencies: ["AttentionEngine", "TestSupport"]),
        .testTarget(name: "DashboardTests", dependencies: ["Dashboard", "TestSupport"], exclude: ["Frames"]),
        .testTarget(name: "attnscopeTests", dependencies: ["TestSupport"]),
    ]
)
