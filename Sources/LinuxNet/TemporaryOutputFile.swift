import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An unlinked temporary file that collects one output stream of a child process.
///
/// Unlinked at once so nothing is left behind, even if we crash; the open descriptor
/// keeps it alive until the handle is closed.
final class TemporaryOutputFile {
    let handle: FileHandle

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/moat-command-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw CommandError(code: .launchFailed, commandLine: "",
                               message: "cannot create a temporary file: \(String(cString: strerror(errno)))")
        }
        // Not inherited by programs we start later; Glibc's mkostemp is not imported.
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        unlink(template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }

    /// Everything written so far, decoded as UTF-8 (invalid bytes replaced).
    func contents() -> String {
        // The child shared our file offset, so rewind before reading.
        guard (try? handle.seek(toOffset: 0)) != nil,
              let data = try? handle.readToEnd() else { return "" }
        return String(decoding: data, as: UTF8.self)
    }
}
