// swift-tools-version:6.0
// swiftvr: a GStreamer element that restores faces in video on the CPU.
//
// Layers, one way only (see docs/ARCHITECTURE.md):
//   C system libraries (CGStreamer, COpenBLAS)
//     → SwiftVRPipeline  (frames, temporal windows, processing stages; no GStreamer)
//     → SwiftVRElement   (the GstElement: pads, events, queries, properties)
//     → SwiftVRPlugin    (the exported plugin entry point; the only product)
import Foundation
import PackageDescription

// MARK: - Plugin link flags

// The plugin is loaded by C hosts (gst-launch-1.0, Python) that carry no Swift
// runtime, so the Swift standard library is linked statically into the .so and
// its symbols are kept private (--exclude-libs) so that two Swift plugins in one
// process cannot interpose each other's runtime. Only the plugin target carries
// these flags: the test binary links the element module with the shared runtime.
// Under a sanitizer (scripts/sanitize.sh sets SWIFTVR_SANITIZE) the plugin's sanitizer
// symbols come from the runtime preloaded into the host, so `-z defs` is left out.
let pluginLinkerFlags: [LinkerSetting] = [
    .unsafeFlags([
        "-static-stdlib",
        "-Xlinker", "--exclude-libs=ALL",
    ] + (Context.environment["SWIFTVR_SANITIZE"] == nil ? ["-Xlinker", "-z", "-Xlinker", "defs"] : []) + [
        "-Xlinker", "--version-script=\(Context.packageDirectory)/Sources/SwiftVRPlugin/exports.map",
    ]),
]

// MARK: - Code generation

// The kernels (depthwise loops, activations, softmax, resampling, colour conversion)
// are plain Swift loops that the compiler vectorises; by default it may only use the
// x86-64 baseline (SSE2, 4 floats, no FMA). swiftvr is built from source on the
// machine that runs it, so — like ggml's GGML_NATIVE — it is compiled for that CPU
// (AVX2 on any x86 server since 2013: twice the width). For a binary meant for other
// machines, set SWIFTVR_TARGET_CPU (e.g. x86-64 for any x86-64, haswell for AVX2).
let targetCPU = Context.environment["SWIFTVR_TARGET_CPU"] ?? "native"
// The kernels' multiply-adds are fused (one FMA instruction) only where the target has
// FMA: on a CPU without it LLVM turns each fused lane into a call to fmaf (the
// detector's kernels measured about 100× slower than a multiply and an add). x86 CPUs named for AVX2 or later have FMA;
// for `native` the build machine's /proc/cpuinfo says; every arm64 CPU has it.
let fmaCPUs = ["haswell", "core-avx2", "broadwell", "skylake", "skylake-avx512", "skx", "cascadelake", "cooperlake",
               "cannonlake", "icelake-client", "icelake-server", "rocketlake", "tigerlake", "sapphirerapids",
               "alderlake", "raptorlake", "meteorlake", "arrowlake", "lunarlake", "graniterapids", "emeraldrapids",
               "bdver2", "bdver3", "bdver4", "znver1", "znver2", "znver3", "znver4", "znver5"]
#if arch(arm64)
let targetHasFMA = true
#else
let targetHasFMA = targetCPU == "native"
    ? ((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.contains(" fma ") ?? false)
    : fmaCPUs.contains(targetCPU)
#endif
let codegen: [SwiftSetting] = [.unsafeFlags(["-target-cpu", targetCPU])] + (targetHasFMA ? [.define("SWIFTVR_FMA")] : [])

let package = Package(
    name: "swiftvr",
    products: [
        // libgstswiftvr.so — GStreamer finds `gst_plugin_swiftvr_get_desc` from the file name.
        .library(name: "gstswiftvr", type: .dynamic, targets: ["SwiftVRPlugin"]),
        .executable(name: "swiftvr-bench", targets: ["swiftvr-bench"]),
        // The file and folder job for people with a file: a GStreamer application around the element.
        .executable(name: "swiftvr-restore", targets: ["swiftvr-restore"]),
    ],
    targets: [
        // MARK: - C system libraries
        .systemLibrary(name: "CGStreamer", path: "Sources/CGStreamer", pkgConfig: "gstreamer-video-1.0",
                       providers: [.apt(["libgstreamer1.0-dev", "libgstreamer-plugins-base1.0-dev"])]),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CGstCheck", path: "Sources/CGstCheck", pkgConfig: "gstreamer-check-1.0",
                       providers: [.apt(["libgstreamer1.0-dev"])]),

        // MARK: - Tensor engine (OpenBLAS; no GStreamer, no Foundation)
        .target(name: "SwiftVRTensor", dependencies: ["COpenBLAS"], path: "Sources/SwiftVRTensor", swiftSettings: codegen),

        // MARK: - Models (read like their PyTorch twins)
        .target(name: "SwiftVRModels", dependencies: ["SwiftVRTensor"], path: "Sources/SwiftVRModels", swiftSettings: codegen),

        // MARK: - Pure Swift core (no GStreamer)
        .target(name: "SwiftVRPipeline", dependencies: ["SwiftVRModels", "SwiftVRTensor"], path: "Sources/SwiftVRPipeline", swiftSettings: codegen),

        // MARK: - The GStreamer element
        .target(name: "SwiftVRElement", dependencies: ["CGStreamer", "SwiftVRPipeline"],
                path: "Sources/SwiftVRElement"),
        .target(name: "SwiftVRPlugin", dependencies: ["SwiftVRElement", "CGStreamer"],
                path: "Sources/SwiftVRPlugin", exclude: ["exports.map"], linkerSettings: pluginLinkerFlags),

        // MARK: - The command line (a GStreamer application: finds the plugin like gst-launch-1.0)
        // The Swift runtime is linked in, as for the plugin, so the packaged command needs no toolchain.
        .executableTarget(name: "swiftvr-restore", dependencies: ["CGStreamer"], path: "Sources/swiftvr-restore",
                          linkerSettings: [.unsafeFlags(["-static-stdlib"])]),

        // MARK: - Benchmarks (print tables; never run by tests)
        .executableTarget(name: "swiftvr-bench", dependencies: ["SwiftVRPipeline", "SwiftVRModels", "SwiftVRTensor"],
                          path: "Sources/swiftvr-bench"),

        // MARK: - Tests
        .target(name: "SwiftVRTestSupport", dependencies: ["SwiftVRTensor"], path: "Tests/SwiftVRTestSupport"),
        .testTarget(name: "SwiftVRTensorTests", dependencies: ["SwiftVRTensor", "SwiftVRTestSupport"]),
        .testTarget(name: "SwiftVRModelsTests", dependencies: ["SwiftVRModels", "SwiftVRTensor", "SwiftVRTestSupport"]),
        .testTarget(name: "SwiftVRPipelineTests", dependencies: ["SwiftVRPipeline", "SwiftVRModels", "SwiftVRTensor", "SwiftVRTestSupport"]),
        .testTarget(name: "SwiftVRElementTests", dependencies: ["SwiftVRElement", "SwiftVRPipeline", "SwiftVRTensor", "CGStreamer", "CGstCheck", "SwiftVRTestSupport"]),
        .testTarget(name: "HouseRulesTests", dependencies: ["SwiftVRTensor", "SwiftVRTestSupport"]),  // the layering and file rules, read from the tree
        .testTarget(name: "EndToEndTests", dependencies: ["SwiftVRTestSupport"]),  // gst-launch-1.0 and swiftvr-restore as a user runs them
    ]
)

// MARK: - Fuzz targets (SWIFTVR_FUZZ=1 only: `make fuzz`, scripts/fuzz.sh)
// libFuzzer supplies main (`--sanitize=fuzzer`), so each target is parsed as a library
// and exports LLVMFuzzerTestOneInput; built without the sanitizer they would not link,
// which is why they exist only when asked for.
if Context.environment["SWIFTVR_FUZZ"] != nil {
    package.targets.append(.target(name: "FuzzSupport", path: "Fuzz/FuzzSupport"))
    let fuzzTargets: [(String, [Target.Dependency])] = [
        ("fuzz-json", ["SwiftVRTensor"]),
        ("fuzz-safetensors", ["SwiftVRTensor", "FuzzSupport"]),
        ("fuzz-config", ["SwiftVRModels"]),
        ("fuzz-model", ["SwiftVRModels", "SwiftVRTensor", "FuzzSupport"]),
        ("fuzz-pgm", ["SwiftVRPipeline", "FuzzSupport"]),
        ("fuzz-frame", ["SwiftVRPipeline", "SwiftVRModels", "FuzzSupport"]),
    ]
    for (name, dependencies) in fuzzTargets {
        package.targets.append(.executableTarget(name: name, dependencies: dependencies, path: "Fuzz/\(name)",
                                                 swiftSettings: [.unsafeFlags(["-parse-as-library"])]))
        package.products.append(.executable(name: name, targets: [name]))
    }
}
