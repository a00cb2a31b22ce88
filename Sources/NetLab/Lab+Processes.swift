import Foundation
import LinuxNet

extension Lab {
    /// Starts a long-running program inside `namespace`, its output in a log file under
    /// ``logDirectory``. The lab stops it on teardown.
    @discardableResult
    package func start(in namespace: Namespace, _ arguments: [String]) throws -> ChildProcess {
        try requireKnown(namespace)
        guard let program = arguments.first else {
            throw LabError(.invalidName, "no program given to start in \(namespace.shortName)")
        }
        try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
        let programName = (program as NSString).lastPathComponent
        let logPath = "\(logDirectory)/\(namespace.shortName)-\(programName)-\(processes.count + 1).log"
        let child = try ChildProcess.start(program, Array(arguments.dropFirst()),
                                           namespace: namespace.name, logPath: logPath)
        let info = ChildProcessInfo(pid: child.pid, arguments: arguments, namespace: namespace,
                                    logPath: logPath)
        record(.process(info)) { processesStarted.append(child) }
        return child
    }
}
