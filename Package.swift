// swift-tools-version:6.0
import PackageDescription

// C kernels are built optimized even in debug builds (so `swift test` measures real code);
// AVX2/FMA code paths are enabled per function with target attributes and chosen at run time.
let cOptimized: [CSetting] = [.unsafeFlags(["-O3", "-fno-math-errno"])]

let package = Package(
    name: "Tern",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "tern", targets: ["tern"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas"),
        .target(name: "CKernels", path: "Sources/CKernels", cSettings: cOptimized),
        .target(name: "Kernels", dependencies: ["CBLAS", "CKernels"]),
        .target(name: "JSON"),
        .target(name: "Grammar", dependencies: ["JSON"]),
        .target(name: "ModelFormats", dependencies: ["JSON"]),
        .target(name: "Models", dependencies: ["Kernels", "ModelFormats", "JSON"]),
        .target(name: "Tokenizers", dependencies: ["ModelFormats", "JSON", .product(name: "HeapModule", package: "swift-collections")]),
        .target(name: "Engine", dependencies: ["Models", "Kernels", "Grammar", "JSON", .product(name: "HeapModule", package: "swift-collections")]),
        .target(name: "ChatTemplate"),
        .target(name: "HTTP"),
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl"),
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto", pkgConfig: "libcrypto"),
        .target(name: "Hub", dependencies: ["CCurl", "CCrypto", "JSON"]),
        // Testable in release builds too (the test command builds release once): the tool-call
        // parser and prompt tests reach its internal types. Not a hot path, so no speed is lost.
        .target(name: "OpenAIAPI", dependencies: ["Engine", "Grammar", "Tokenizers", "ChatTemplate", "HTTP", "JSON"],
                swiftSettings: [.unsafeFlags(["-enable-testing"])]),
        .target(name: "Loader", dependencies: ["Engine", "Models", "ModelFormats", "Tokenizers", "ChatTemplate", "Hub", "Kernels", "JSON"]),
        .executableTarget(name: "tern", dependencies: [
            "Loader", "Engine", "Models", "ModelFormats", "Tokenizers", "Kernels", "HTTP", "OpenAIAPI", "Hub", "ChatTemplate", "JSON",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "CKernels"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "GrammarTests", dependencies: ["Grammar", "JSON", "Tokenizers", "ModelFormats", "TestSupport"]),
        .testTarget(name: "ModelFormatsTests", dependencies: ["ModelFormats", "JSON", "TestSupport"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "ModelFormats", "Tokenizers", "Kernels", "JSON", "TestSupport"]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "ModelFormats", "TestSupport"]),
        .testTarget(name: "ChatTemplateTests", dependencies: ["ChatTemplate"]),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "TestSupport"]),
        .testTarget(name: "OpenAIAPITests", dependencies: ["OpenAIAPI", "Loader", "HTTP", "TestSupport", "Engine", "Models", "ModelFormats", "Tokenizers", "Kernels", "ChatTemplate"]),
        .testTarget(name: "LoaderTests", dependencies: ["Loader", "Engine", "Models", "TestSupport"]),
        .testTarget(name: "HubTests", dependencies: ["Hub"], exclude: ["fake_hub.py"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Grammar", "Tokenizers", "JSON", "Loader", "Models", "ModelFormats", "Kernels", "TestSupport"]),
    ]
)
