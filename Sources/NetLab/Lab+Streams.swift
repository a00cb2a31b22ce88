import Foundation
import LinuxNet

#if canImport(Glibc)
import Glibc
#endif

/// A numbered UDP stream's sending end, running in a namespace until it has sent its count
/// or is stopped.
package struct StreamSender: Sendable {
    package let process: ChildProcess

    /// Stops sending now (SIGTERM); the lab would stop it on teardown anyway.
    package func stop() {
        process.kill(signal: SIGTERM)
        process.waitForExit(timeout: .seconds(5))
    }

    /// Waits until it has sent everything; false if it still runs after `timeout`.
    @discardableResult
    package func waitUntilDone(timeout: Duration) -> Bool {
        process.waitForExit(timeout: timeout)
    }
}

/// A numbered UDP stream's receiving end: it records every datagram until ``finish()``.
package struct StreamReceiver: Sendable {
    package let process: ChildProcess
    package let outputPath: String

    /// Stops receiving and reads what arrived.
    package func finish() throws -> StreamTrace {
        process.kill(signal: SIGTERM)
        guard process.waitForExit(timeout: .seconds(10)) else {
            throw LabError(.processFailed, "the stream receiver did not stop: \(process)")
        }
        guard let text = try? String(contentsOfFile: outputPath, encoding: .utf8) else {
            let log = (try? String(contentsOfFile: process.logPath, encoding: .utf8)) ?? ""
            throw LabError(.processFailed, "the stream receiver wrote nothing to \(outputPath); its log: \(log)")
        }
        return StreamTrace(parsing: text)
    }
}

extension Lab {
    /// Debian's scapy, and the stream tool, need this interpreter rather than whatever `python3` is first in PATH.
    package static let python = "/usr/bin/python3"

    /// Starts a receiver on UDP `port` in `namespace`; it stops by itself after `seconds`.
    /// Returns once it is listening.
    package func startStreamReceiver(in namespace: Namespace, port: Int, seconds: Double) throws -> StreamReceiver {
        let script = try writeStreamScript()
        let output = "\(logDirectory)/stream-\(namespace.shortName)-\(port)-\(processes.count + 1).txt"
        let process = try start(in: namespace, [Lab.python, script, "receive", String(port), output,
                                                "--seconds", String(seconds)])
        let deadline = ContinuousClock.now + .seconds(10)
        while !((try? String(contentsOfFile: process.logPath, encoding: .utf8))?.contains("receiving") ?? false) {
            guard process.isRunning, ContinuousClock.now < deadline else {
                let log = (try? String(contentsOfFile: process.logPath, encoding: .utf8)) ?? ""
                throw LabError(.processFailed, "the stream receiver in \(namespace.shortName) did not start: \(log)")
            }
            usleep(20_000)
        }
        return StreamReceiver(process: process, outputPath: output)
    }

    /// Starts sending `count` numbered datagrams of `size` bytes to `destination:port` at
    /// `rate` per second. With `flows` > 0 the datagrams rotate over that many source ports
    /// from `sourcePortBase`, one datagram per flow per round; otherwise one flow.
    package func startStreamSender(
        in namespace: Namespace, to destination: String, port: Int, rate: Int, count: Int,
        flows: Int = 0, sourcePortBase: Int = 0, size: Int = 64
    ) throws -> StreamSender {
        let script = try writeStreamScript()
        var arguments = [Lab.python, script, "send", destination, String(port),
                         "--rate", String(rate), "--count", String(count), "--size", String(size)]
        if flows > 0 || sourcePortBase > 0 {
            arguments += ["--flows", String(flows), "--sport-base", String(sourcePortBase)]
        }
        return StreamSender(process: try start(in: namespace, arguments))
    }

    private func writeStreamScript() throws -> String {
        try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
        let path = "\(logDirectory)/\(UDPStreamScript.fileName)"
        if !FileManager.default.fileExists(atPath: path) {
            try UDPStreamScript.source.write(toFile: path, atomically: true, encoding: .utf8)
        }
        return path
    }
}

/// Wall clock time in nanoseconds since the epoch: the clock the stream tool stamps datagrams with.
package func wallClockNanos() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}
