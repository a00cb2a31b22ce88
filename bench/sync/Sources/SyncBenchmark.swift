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

    @Option(help: ArgumentHelp("Directory for the edges' data directories (default: inside the work directory).",
                               discussion: "With a tmpfs here (/dev/shm) the edges' fsyncs cost nothing: it tells their share apart from core's."))
    var edgesDir: String?

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
        let root = try makeWorkDirectory()
        interrupts.watch(workDirectory: keep ? nil : root)
        // The run is a task of its own so that Ctrl-C cancels it and the cleanup below still runs.
        let work = Task { try await measure(root: root, interrupts: interrupts) }
        interrupts.install { work.cancel() }

        let outcome = await work.result
        if !keep { try? FileManager.default.removeItem(at: root) }
        switch outcome {
        case .success(let (report, edgeDirectory)):
            var directories = root.path
            if let edgeDirectory { directories += ", edges in \(edgeDirectory.path)" }
            print(report.render(workDirectory: directories, kept: keep, target: Self.target))
        case .failure where interrupts.wasSignalled:
            FileHandle.standardError.write(Data("interrupted; core stopped, work directory \(keep ? "kept" : "removed")\n".utf8))
            throw ExitCode(130)
        case .failure(let error):
            throw error
        }
    }

    /// Starts core, runs the measurement, and stops core again whatever happened.
    private func measure(root: URL, interrupts: Interrupts) async throws -> (SyncRun.Report, URL?) {
        let core = try await CoreProcess.start(binary: moatBinary(), dataDirectory: root.appendingPathComponent("core"))
        interrupts.watch(corePID: core.pid)
        var edgeDirectory: URL?
        defer {
            if !keep, let edgeDirectory { try? FileManager.default.removeItem(at: edgeDirectory) }
        }
        do {
            edgeDirectory = try edgesDir.map { try makeWorkDirectory(in: $0) }
            interrupts.watch(edgeDirectory: keep ? nil : edgeDirectory)
            let run = SyncRun(core: core, edgeRoot: edgeDirectory ?? root.appendingPathComponent("edges"), edges: edges, changes: changes,
                              gap: .milliseconds(gapMilliseconds), timeout: .seconds(timeout))
            let report = try await run.measure()
            await core.stop()
            return (report, edgeDirectory)
        } catch {
            if !interrupts.wasSignalled {
                FileHandle.standardError.write(Data("core's log (\(core.logPath)):\n\(core.logTail())\n".utf8))
            }
            await core.stop()
            throw error
        }
    }

    func moatBinary() -> URL {
        if let moat { return URL(fileURLWithPath: moat) }
        let own = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        return own.deletingLastPathComponent().appendingPathComponent("moat")
    }

    func makeWorkDirectory(in base: String? = nil) throws -> URL {
        let base = base ?? workDir ?? NSTemporaryDirectory()
        var template = Array((base as NSString).appendingPathComponent("moat-bench-sync.XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw BenchError("cannot create a work directory in \(base): \(String(cString: strerror(errno)))")
        }
        return URL(fileURLWithPath: String(cString: made), isDirectory: true)
    }
}
