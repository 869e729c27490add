import ArgumentParser
import Kernels

@main
struct Tern: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tern",
        abstract: "An LLM inference server for CPUs.",
        subcommands: [Serve.self, Run.self, Bench.self, Perplexity.self, Pull.self, Crossover.self, Bandwidth.self])

    static func main() {
        BLAS.reexecWithAVX512KernelsIfNeeded()
        Self.main(nil)
    }
}
