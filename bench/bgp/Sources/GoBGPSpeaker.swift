import Foundation
import LinuxNet
import NetLab
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// GoBGP (`gobgpd`) as the speaker, in the speaker namespace, fed by `gobgp mrt inject global`.
struct GoBGPSpeaker {
    /// On the speaker namespace's own loopback.
    static let apiPort = "50051"

    let bird: BIRDUpstream
    let mrt: String

    init(_ bird: BIRDUpstream, mrt: String) throws {
        self.bird = bird
        self.mrt = mrt
        let config = """
        [global.config]
          as = \(BIRDUpstream.speakerAS)
          router-id = "\(BIRDUpstream.speakerAddress)"
          port = -1
        [[neighbors]]
          [neighbors.config]
            neighbor-address = "\(BIRDUpstream.routerAddress)"
            peer-as = \(BIRDUpstream.routerAS)
          [neighbors.transport.config]
            local-address = "\(BIRDUpstream.speakerAddress)"
          [neighbors.timers.config]
            hold-time = 90
            connect-retry = 1
            idle-hold-time-after-reset = 1
          [[neighbors.afi-safis]]
            [neighbors.afi-safis.config]
              afi-safi-name = "ipv4-unicast"
          [[neighbors.afi-safis]]
            [neighbors.afi-safis.config]
              afi-safi-name = "ipv6-unicast"
        """
        try config.write(toFile: bird.directory + "/gobgpd.toml", atomically: true, encoding: .utf8)
        try bird.lab.start(in: bird.speaker, ["gobgpd", "-f", bird.directory + "/gobgpd.toml", "--api-hosts=127.0.0.1:\(Self.apiPort)",
                                              "--pprof-disable", "-p", "-l", "warn"])
        let deadline = ContinuousClock.now + .seconds(15)
        while (try? gobgp(["neighbor"])) == nil {
            guard ContinuousClock.now < deadline else { throw BenchError("gobgpd did not answer on 127.0.0.1:\(Self.apiPort) within 15 s") }
            usleep(100_000)
        }
    }

    @discardableResult
    func gobgp(_ arguments: [String]) throws -> CommandResult {
        try bird.lab.exec(in: bird.speaker, ["gobgp", "-p", Self.apiPort] + arguments, timeout: .seconds(120))
    }

    /// Streams the MRT file into GoBGP's RIB with one `gobgp mrt inject global` run (one gRPC
    /// AddPathStream) that reads a FIFO, and returns once `done` holds; then closes the FIFO,
    /// so the run ends. GoBGP 3.10 loses the last few hundred paths of a stream that closes as
    /// soon as the file is read (the run reports success; tried here with 200 to 10,000
    /// records), so the stream is kept open until BIRD has every route.
    func inject(until done: () throws -> Void) throws {
        let fifo = bird.directory + "/inject.mrt"
        unlink(fifo)
        guard mkfifo(fifo, 0o600) == 0 else { throw BenchError("mkfifo \(fifo): errno \(errno)") }
        let run = try bird.lab.start(in: bird.speaker, ["gobgp", "-p", Self.apiPort, "mrt", "inject", "global", fifo])
        // A FIFO opens for writing only once the run has opened it for reading; wait, bounded.
        let deadline = ContinuousClock.now + .seconds(10)
        var fd: Int32 = -1
        while fd < 0 {
            fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else {
                guard errno == ENXIO, ContinuousClock.now < deadline, run.isRunning else { throw BenchError("gobgp did not open \(fifo) (errno \(errno))") }
                usleep(1_000)
                continue
            }
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        let writer = FileHandle(fileDescriptor: fd, closeOnDealloc: false)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: mrt))
        let written = Mutex<(any Error)?>(nil)
        let thread = Thread {
            do { try writer.write(contentsOf: bytes) } catch { written.withLock { $0 = error } }
        }
        thread.start()
        defer {
            try? writer.close()
            if !run.waitForExit(timeout: .seconds(30)) { run.terminate() }
        }
        try done()
        if let error = written.withLock({ $0 }) { throw BenchError("writing the MRT file into gobgp: \(error)") }
    }

    /// One round: inject into an established session, then enable the session with
    /// everything in the RIB.
    func round(prefixes count: Int, timeout: Duration) throws -> RoundResult {
        try bird.waitUntil("GoBGP's session to BIRD", timeout: timeout, interval: .milliseconds(50)) { try bird.status().established }
        let announced = ContinuousClock.now
        var update = (established: 0.0, all: 0.0)
        try inject { update = try bird.timeToImport(count, from: announced, timeout: timeout) }

        try gobgp(["neighbor", BIRDUpstream.routerAddress, "disable"])
        try bird.waitUntilEmpty(timeout: timeout)
        try bird.restartSession(timeout: timeout)
        let started = ContinuousClock.now
        try gobgp(["neighbor", BIRDUpstream.routerAddress, "enable"])
        let connect = try bird.timeToImport(count, from: started, timeout: timeout)

        // Empty the RIB for the next round; the session stays up.
        try gobgp(["global", "rib", "-a", "ipv4", "del", "all"])
        try gobgp(["global", "rib", "-a", "ipv6", "del", "all"])
        try bird.waitUntil("BIRD to drop GoBGP's routes", timeout: timeout, interval: .milliseconds(50)) { try bird.status().imported == 0 }
        return RoundResult(update: update.all, connect: connect.all, connectToEstablished: connect.established)
    }
}
