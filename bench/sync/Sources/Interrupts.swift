import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C (or SIGTERM) cancels the run, which then stops the edges and core and removes the work
/// directory as on any error. A second signal gives up waiting: it kills core, removes the work
/// directory and exits at once.
final class Interrupts: @unchecked Sendable {
    private let lock = NSLock()
    private var corePID: Int32?
    private var directories: [String: URL] = [:]
    private var cancel: (@Sendable () -> Void)?
    private var signalled = false
    private var sources: [any DispatchSourceSignal] = []

    func install(cancel: @escaping @Sendable () -> Void) {
        lock.withLock { self.cancel = cancel }
        for signo in [SIGINT, SIGTERM] {
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo, queue: .global())
            source.setEventHandler { [self] in interrupted(signo) }
            source.resume()
            sources.append(source)
        }
    }

    var wasSignalled: Bool { lock.withLock { signalled } }

    func watch(corePID: Int32?) { lock.withLock { self.corePID = corePID } }
    func watch(workDirectory: URL?) { lock.withLock { directories["work"] = workDirectory } }
    func watch(edgeDirectory: URL?) { lock.withLock { directories["edges"] = edgeDirectory } }

    private func interrupted(_ signo: Int32) {
        let (again, cancel, pid, directories) = lock.withLock {
            defer { signalled = true }
            return (signalled, self.cancel, corePID, Array(self.directories.values))
        }
        guard again else {
            FileHandle.standardError.write(Data("\ninterrupted: stopping the edges and core (again to quit at once)\n".utf8))
            cancel?()
            return
        }
        if let pid { kill(pid, SIGKILL) }
        for directory in directories { try? FileManager.default.removeItem(at: directory) }
        exit(128 + signo)
    }
}
