import ArgumentParser

/// `bench/bgp`: Moat's BGP speaker against BIRD 2 as the upstream router, in network namespaces,
/// beside a peer implementation doing the same. Each measurement is a subcommand, so that
/// `bench/bgp/run` can run them one after the other, each in a lab of its own.
@main
struct BGPBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "moat-bench-bgp",
        abstract: "Measure Moat's BGP speaker against BIRD, beside GoBGP (needs root).",
        subcommands: [AnnounceBenchmark.self, ToggleBenchmark.self])
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
