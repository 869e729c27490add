import ArgumentParser

@main
struct Tern: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tern",
        abstract: "An LLM inference server for CPUs.",
        subcommands: [Run.self, Bench.self, Crossover.self])
}
