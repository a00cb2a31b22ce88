import ArgumentParser
import Foundation

/// `bench/sync`: how long a config change takes to reach every edge.
///
/// Core runs as a child process (`moat core`); the edges are real `EdgeAgent`s with no data
/// plane, all in this process, long-polling core over loopback. Each change is measured alone:
/// from the instant the API write's response arrives until the last edge has applied it.
@main
struct SyncBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "moat-bench-sync",
        abstract: "Measure config propagation from one core to many edge agents over loopback.",
        discussion: "Prints p50/p99/max of API response → all edges applied, and core's memory. See bench/README.md."
    )

    @Option(help: "Edge agents to run.")
    var edges = 100

    @Option(help: "Config changes to measure.")
    var changes = 50

    @Option(name: .customLong("gap-ms"), help: "Pause after every edge applied a change, before the next one (ms).")
    var gapMilliseconds = 20

    @Option(help: "Seconds every edge has to apply one change before the run is aborted.")
    var timeout = 10

    @Option(help: "The moat binary (default: `moat` next to this one).")
    var moat: String?

    @Option(help: "Directory to create the work directory in (default: the system temp directory).")
    var workDir: String?

    @Flag(help: "Keep the work directory (core's store and log, the edges' data) instead of removing it.")
    var keep = false

    static let target = 250.0

    func validate() throws {
        guard edges >= 1 else { throw ValidationError("--edges must be at least 1") }
        guard changes >= 1 else { throw ValidationError("--changes must be at least 1") }
        guard gapMilliseconds >= 0 else { throw ValidationError("--gap-ms must not be negative") }
        guard timeout >= 1 else { throw ValidationError("--timeout must be at least 1 second") }
    }

    func run() async throws {
        let interrupts = Interrupts()
        interrupts.install()
        let root = try makeWorkDirectory()
        interrupts.watch(workDirectory: keep ? nil : root)

        let outcome: Result<SyncRun.Report, any Error>
        var core: CoreProcess?
        do {
            let started = try await CoreProcess.start(binary: moatBinary(), dataDirectory: root.appendingPathComponent("core"))
            core = started
            interrupts.watch(corePID: started.pid)
            let run = SyncRun(core: started, root: root, edges: edges, changes: changes,
                              gap: .milliseconds(gapMilliseconds), timeout: .seconds(timeout))
            outcome = .success(try await run.measure())
        } catch {
            outcome = .failure(error)
        }
        if case .failure = outcome, let core { FileHandle.standardError.write(Data("core's log (\(core.logPath)):\n\(core.logTail())\n".utf8)) }
        await core?.stop()
        interrupts.watch(corePID: nil)
        if !keep { try? FileManager.default.removeItem(at: root) }

        let report = try outcome.get()
        print(report.render(workDirectory: root.path, kept: keep, target: Self.target))
    }

    func moatBinary() -> URL {
        if let moat { return URL(fileURLWithPath: moat) }
        let own = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        return own.deletingLastPathComponent().appendingPathComponent("moat")
    }

    func makeWorkDirectory() throws -> URL {
        let base = workDir ?? NSTemporaryDirectory()
        var template = Array((base as NSString).appendingPathComponent("moat-bench-sync.XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw BenchError("cannot create a work directory in \(base): \(String(cString: strerror(errno)))")
        }
        return URL(fileURLWithPath: String(cString: made), isDirectory: true)
    }
}
