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
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas"),
        .target(name: "CKernels", path: "Sources/CKernels", cSettings: cOptimized),
        .target(name: "Kernels", dependencies: ["CBLAS", "CKernels"]),
        .target(name: "ModelFormats"),
        .target(name: "Models", dependencies: ["Kernels", "ModelFormats"]),
        .target(name: "Tokenizers", dependencies: ["ModelFormats"]),
        .target(name: "Engine", dependencies: ["Models", "Kernels"]),
        .target(name: "ChatTemplate"),
        .target(name: "HTTP"),
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl"),
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto", pkgConfig: "libcrypto"),
        .target(name: "Hub", dependencies: ["CCurl", "CCrypto"]),
        .target(name: "OpenAIAPI", dependencies: ["Engine", "Tokenizers", "ChatTemplate", "HTTP"]),
        .executableTarget(name: "tern", dependencies: [
            "Engine", "Models", "ModelFormats", "Tokenizers", "Kernels", "HTTP", "OpenAIAPI", "ChatTemplate", "Hub",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "CKernels"]),
        .testTarget(name: "ModelFormatsTests", dependencies: ["ModelFormats", "TestSupport"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "ModelFormats", "Tokenizers", "Kernels"]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "ModelFormats", "TestSupport"]),
        .testTarget(name: "ChatTemplateTests", dependencies: ["ChatTemplate"]),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "TestSupport"]),
        .testTarget(name: "OpenAIAPITests", dependencies: ["OpenAIAPI", "HTTP", "TestSupport", "Engine", "Models", "ModelFormats", "Tokenizers", "Kernels", "ChatTemplate"]),
        .testTarget(name: "HubTests", dependencies: ["Hub"], exclude: ["fake_hub.py"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Models", "ModelFormats", "Kernels", "TestSupport"]),
    ]
)
