import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension Command {
    /// Where programs are looked for: `PATH`, then the sbin folders that a non-login
    /// root shell (or `sudo`) often leaves out, which is where `ip`, `nft` and `sysctl` live.
    package static var searchPath: [String] {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        var folders = path.split(separator: ":").map(String.init)
        for extra in ["/usr/local/sbin", "/usr/sbin", "/sbin"] where !folders.contains(extra) {
            folders.append(extra)
        }
        return folders
    }

    /// The full path of an installed program, or nil when it is not installed.
    ///
    /// A name containing `/` is taken as a path and only checked.
    package static func which(_ program: String) -> String? {
        if program.contains("/") {
            return isExecutableFile(program) ? program : nil
        }
        for folder in searchPath where !folder.isEmpty {
            let candidate = folder + "/" + program
            if isExecutableFile(candidate) {
                return candidate
            }
        }
        return nil
    }

    /// Whether a program can be found with ``which(_:)``.
    package static func isInstalled(_ program: String) -> Bool {
        which(program) != nil
    }

    private static func isExecutableFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
              !isDirectory.boolValue else { return false }
        return access(path, X_OK) == 0
    }
}
