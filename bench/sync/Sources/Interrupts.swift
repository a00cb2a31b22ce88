import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// On Ctrl-C or SIGTERM, stops core and removes the work directory before exiting, so an
/// interrupted run leaves nothing behind.
final class Interrupts: @unchecked Sendable {
    private let lock = NSLock()
    private var corePID: Int32?
    private var workDirectory: URL?
    private var sources: [any DispatchSourceSignal] = []

    func install() {
        for signo in [SIGINT, SIGTERM] {
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo, queue: .global())
            source.setEventHandler { [self] in interrupted(signo) }
            source.resume()
            sources.append(source)
        }
    }

    func watch(corePID: Int32?) { lock.withLock { self.corePID = corePID } }
    func watch(workDirectory: URL?) { lock.withLock { self.workDirectory = workDirectory } }

    private func interrupted(_ signo: Int32) {
        let (pid, directory) = lock.withLock { (corePID, workDirectory) }
        FileHandle.standardError.write(Data("\ninterrupted: stopping core and removing the work directory\n".utf8))
        if let pid { kill(pid, SIGTERM) }
        if let directory { try? FileManager.default.removeItem(at: directory) }
        exit(128 + signo)
    }
}
