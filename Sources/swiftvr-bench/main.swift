import Glibc

// swiftvr-bench: measurements that print tables (never timed tests).
//   swiftvr-bench detect [--model PATH] [--frames DIR] [--threads N] [--runs N]
//   swiftvr-bench restore [--model PATH] [--runs N] [--crop R]
//   swiftvr-bench blend [--runs N] [--crop R]
//   swiftvr-bench layers [--model PATH] [--runs N] [--crop R] [--only TEXT]
//   swiftvr-bench pixels [--runs N] [--crop R] [--face SIDE]
//   swiftvr-bench sgemm [--runs N]
let args = CommandLine.arguments
func option(_ name: String) -> String? {
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
    return args[i + 1]
}

func printError(_ s: String) { _ = (s + "\n").withCString { write(2, $0, strlen($0)) } }

let repoModels = "models/centerface.safetensors"
switch args.dropFirst().first {
case "detect":
    do {
        try DetectBench.run(modelPath: option("--model") ?? repoModels, framesDir: option("--frames"),
                            threads: Int(option("--threads") ?? "") ?? 2, runs: Int(option("--runs") ?? "") ?? 20)
    } catch {
        printError("swiftvr-bench: \(error)")
        exit(1)
    }
case "sgemm":
    SgemmBench.run(runs: Int(option("--runs") ?? "") ?? 20)
case "restore":
    do {
        try RestoreBench.run(modelPath: option("--model") ?? "models/swiftvr-restorer.safetensors",
                             runs: Int(option("--runs") ?? "") ?? 10,
                             crops: option("--crop").flatMap(Int.init).map { [$0] } ?? [128, 256])
    } catch {
        printError("swiftvr-bench: \(error)")
        exit(1)
    }
case "blend":
    RestoreBench.blend(runs: Int(option("--runs") ?? "") ?? 10, crops: option("--crop").flatMap(Int.init).map { [$0] } ?? [128, 256])
case "pixels":
    do {
        try PixelBench.run(runs: Int(option("--runs") ?? "") ?? 20, crop: option("--crop").flatMap(Int.init) ?? 256,
                           faces: option("--face").flatMap(Int.init).map { [$0] } ?? [150, 300, 600])
    } catch {
        printError("swiftvr-bench: \(error)")
        exit(1)
    }
case "layers":
    do {
        try LayerBench.run(modelPath: option("--model") ?? "models/swiftvr-restorer.safetensors",
                           runs: Int(option("--runs") ?? "") ?? 20, crop: option("--crop").flatMap(Int.init) ?? 256,
                           only: option("--only"))
    } catch {
        printError("swiftvr-bench: \(error)")
        exit(1)
    }
default:
    printError("usage: swiftvr-bench detect|restore|blend|pixels|layers|sgemm [--model PATH] [--frames DIR] [--threads N] [--runs N]")
    exit(2)
}
