import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `moat core` as a child process, so that its memory and CPU are its own (read from /proc).
final class CoreProcess: @unchecked Sendable {
    let process: Process
    let url: String
    let operatorToken: String
    let logPath: String

    var pid: Int32 { process.processIdentifier }

    private init(process: Process, url: String, operatorToken: String, logPath: String) {
        self.process = process
        self.url = url
        self.operatorToken = operatorToken
        self.logPath = logPath
    }

    /// Starts `moat core` on a free loopback port and waits for its banner (at most `timeout`).
    static func start(binary: URL, dataDirectory: URL, timeout: Duration = .seconds(30)) async throws -> CoreProcess {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw BenchError("no moat binary at \(binary.path): build it with `swift build -c release --product moat`, or pass --moat PATH")
        }
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        let outPath = dataDirectory.appendingPathComponent("core.out").path
        let logPath = dataDirectory.appendingPathComponent("core.log").path
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)

        let process = Process()
        process.executableURL = binary
        process.arguments = ["core", "--data", dataDirectory.path, "--listen", "127.0.0.1:0", "--log-level", "warning"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        try process.run()

        // The banner is the first thing core prints once it listens.
        let marker = "Moat core is listening on "
        let deadline = ContinuousClock.now + timeout
        while true {
            let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
            if let range = out.range(of: marker), let end = out[range.upperBound...].firstIndex(of: "\n") {
                let url = String(out[range.upperBound..<end])
                let tokenPath = dataDirectory.appendingPathComponent("operator-token").path
                guard let token = try? String(contentsOfFile: tokenPath, encoding: .utf8) else {
                    process.terminate()
                    throw BenchError("core listens on \(url) but wrote no operator token at \(tokenPath)")
                }
                return CoreProcess(process: process, url: url, operatorToken: token.trimmingCharacters(in: .whitespacesAndNewlines), logPath: logPath)
            }
            if !process.isRunning {
                throw BenchError("moat core exited with status \(process.terminationStatus) before listening:\n\(tail(of: logPath))")
            }
            if ContinuousClock.now >= deadline {
                process.terminate()
                throw BenchError("moat core did not print its banner within \(timeout):\n\(tail(of: logPath))")
            }
            do {
                try await Task.sleep(for: .milliseconds(20))
            } catch {
                process.terminate()
                throw error
            }
        }
    }

    /// SIGTERM, then SIGKILL after `grace`.
    func stop(grace: Duration = .seconds(5)) async {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + grace
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning { kill(pid, SIGKILL) }
    }

    /// Resident memory now and its peak (VmRSS, VmHWM), in bytes.
    func memory() -> (rss: Int, peak: Int)? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        func kibibytes(_ key: String) -> Int? {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return nil }
            return line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) }
        }
        guard let rss = kibibytes("VmRSS"), let peak = kibibytes("VmHWM") else { return nil }
        return (rss * 1024, peak * 1024)
    }

    /// CPU time core has used so far (user + system).
    func cpuTime() -> Duration? { CPUTime.of(pid: pid) }

    func logTail() -> String { CoreProcess.tail(of: logPath) }

    static func tail(of path: String, lines: Int = 20) -> String {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        let tail = text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
        return tail.isEmpty ? "(core wrote nothing to \(path))" : tail
    }
}

/// User + system CPU time of a process, from /proc/PID/stat.
enum CPUTime {
    static func of(pid: Int32) -> Duration? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after "(comm)": state is field 3, utime 14, stime 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
        let ticks = sysconf(Int32(_SC_CLK_TCK))
        return .milliseconds((user + system) * 1000 / max(1, ticks))
    }
}
