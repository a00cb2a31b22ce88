import Foundation
import LinuxNet
import NetLab
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Two namespaces joined by a veth; the receiver logs packets to NFLOG group 7 at prerouting
/// the way the edge samples traffic, and reads them with an ``NFLOGSocket`` made inside it.
///
/// Receiver's table `inet moatnflog`, before anything else (priority -300, no conntrack, so
/// fragments are logged one by one):
/// - everything to `sampled` (198.19.7.3), 1 in 4 by `numgen random`, prefix "sampled";
/// - everything to `every` (198.19.7.2), prefix "every";
/// - TCP, UDP and echo requests to `every6` (2001:2:0:7::2), prefix "every": not neighbour
///   discovery, which the sender's stack sends on its own.
final class NFLOGKernelLab {
    static let nameBase = "moatnflog"
    static let group: UInt16 = 7
    static let sender = "198.19.7.1"
    static let every = "198.19.7.2"
    static let sampled = "198.19.7.3"
    static let sender6 = "2001:2:0:7::1"
    static let every6 = "2001:2:0:7::2"

    static let ruleset = """
        table inet moatnflog {
        \tchain pre {
        \t\ttype filter hook prerouting priority -300; policy accept;
        \t\tip daddr \(sampled) numgen random mod 4 == 0 log prefix "sampled" group \(group) snaplen 128
        \t\tip daddr \(every) log prefix "every" group \(group) snaplen 128
        \t\tip6 daddr \(every6) meta l4proto { tcp, udp } log prefix "every" group \(group) snaplen 128
        \t\tip6 daddr \(every6) icmpv6 type echo-request log prefix "every" group \(group) snaplen 128
        \t}
        }

        """

    let lab: Lab
    let senderNamespace: Namespace
    let receiverNamespace: Namespace

    init(lab: Lab) throws {
        self.lab = lab
        senderNamespace = try lab.addNamespace("nfsend")
        receiverNamespace = try lab.addNamespace("nfrecv")
        let link = try lab.addLink(senderNamespace, interface: "nfs", to: receiverNamespace, interface: "nfr")
        try lab.addAddress("\(Self.sender)/24", to: link.a)
        try lab.addAddress("\(Self.every)/24", to: link.b)
        try lab.addAddress("\(Self.sampled)/24", to: link.b)
        try lab.addAddress("\(Self.sender6)/64", to: link.a)
        try lab.addAddress("\(Self.every6)/64", to: link.b)
        let path = NSTemporaryDirectory() + "/\(lab.prefix)-nflog.nft"
        try Data(Self.ruleset.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        try lab.exec(in: receiverNamespace, ["nft", "-f", path], timeout: .seconds(30))
    }

    /// A socket bound to the group, made on a thread inside the receiver namespace.
    func socket(queueThreshold: UInt32 = 1, receiveBufferSize: Int32 = 4 << 20) throws -> NFLOGSocket {
        let configuration = NFLOGConfiguration(group: Self.group, copyRange: 256, queueThreshold: queueThreshold,
                                               receiveBufferSize: receiveBufferSize)
        return try NetworkNamespace.onThread(in: receiverNamespace.name) { try NFLOGSocket(configuration) }
    }

    /// A UDP or TCP socket made inside the sender namespace (a socket keeps the namespace it
    /// was made in), so this process stays where it is.
    func senderSocket(family: Int32, type: Int32) throws -> Int32 {
        try NetworkNamespace.onThread(in: senderNamespace.name) {
            let fd = Glibc.socket(family, type | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw SystemCallError(call: "socket in the sender namespace", errno: errno) }
            return fd
        }
    }
}

/// Reads an ``NFLOGSocket`` on a thread of its own until stopped, the way a service would.
final class NFLOGCollector: Sendable {
    let socket: NFLOGSocket
    private let received = Mutex<[NFLOGPacket]>([])
    private let failure = Mutex<String?>(nil)
    private let stopping = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)
    private let cpu = Mutex<Duration>(.zero)

    init(_ socket: NFLOGSocket) {
        self.socket = socket
        let thread = Thread { [self] in
            while !stopping.load(ordering: .acquiring) {
                do {
                    let packets = try socket.receive(pollTimeout: 50)
                    if !packets.isEmpty { received.withLock { $0 += packets } }
                } catch {
                    failure.withLock { $0 = "\(error)" }
                    break
                }
            }
            var time = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
            cpu.withLock { $0 = .seconds(time.tv_sec) + .nanoseconds(time.tv_nsec) }
            stopped.store(true, ordering: .releasing)
        }
        thread.start()
    }

    var packets: [NFLOGPacket] { received.withLock { $0 } }
    /// The reader thread's CPU time, once stopped: reading, decoding and polling.
    var cpuTime: Duration { cpu.withLock { $0 } }
    var error: String? { failure.withLock { $0 } }

    /// Waits until `done` holds for what arrived, then `settle` longer for stragglers that
    /// should not come; at most `timeout`.
    @discardableResult
    func wait(timeout: Duration = .seconds(5), settle: Duration = .milliseconds(300),
              until done: ([NFLOGPacket]) -> Bool) -> [NFLOGPacket] {
        let deadline = ContinuousClock.now + timeout
        while !done(packets), ContinuousClock.now < deadline, error == nil {
            usleep(10_000)
        }
        usleep(UInt32(settle.components.seconds * 1_000_000 + settle.components.attoseconds / 1_000_000_000_000))
        return packets
    }

    func clear() { received.withLock { $0 = [] } }

    /// Stops the reader; it notices within one poll timeout.
    func stop() {
        stopping.store(true, ordering: .releasing)
        let deadline = ContinuousClock.now + .seconds(2)
        while !stopped.load(ordering: .acquiring), ContinuousClock.now < deadline {
            usleep(5_000)
        }
    }
}
