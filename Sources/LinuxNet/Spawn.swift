import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Starts programs with `posix_spawn`, with the settings Foundation's `Process` leaves out.
///
/// `Process` on Linux passes on the signal mask of the thread that launches it, and Swift
/// concurrency and Dispatch threads block nearly every signal: a child started from a
/// test or a service would ignore SIGTERM and could only be SIGKILLed. Here the child gets
/// an empty mask and default handlers, its own process group (so a shell's children can be
/// signalled with it), and no descriptors but stdin, stdout and stderr.
enum Spawn {
    /// Launches `path` and returns its pid. `stdin`, `stdout` and `stderr` are descriptors
    /// of ours that become the child's 0, 1 and 2.
    static func launch(
        path: String, arguments: [String], environment: [String: String],
        stdin: Int32, stdout: Int32, stderr: Int32
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        closeInheritedDescriptors(&actions)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes,
                                 Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let argv = CStringArray([path] + arguments)
        let envp = CStringArray(environment.map { "\($0.key)=\($0.value)" })
        var pid: pid_t = 0
        let status = posix_spawn(&pid, path, &actions, &attributes, argv.pointers, envp.pointers)
        guard status == 0 else {
            throw CommandError(code: .launchFailed, commandLine: ([path] + arguments).joined(separator: " "),
                               message: "cannot start \(path): \(String(cString: strerror(status)))")
        }
        return pid
    }

    /// A descriptor for /dev/null to give as stdin, so no child ever reads ours.
    static func openNullDevice() throws -> Int32 {
        let fd = open("/dev/null", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw CommandError(code: .launchFailed, commandLine: "",
                               message: "cannot open /dev/null: \(String(cString: strerror(errno)))")
        }
        return fd
    }

    /// The environment a child gets: ours, with `overrides` applied.
    static func environment(_ overrides: [String: String]) -> [String: String] {
        ProcessInfo.processInfo.environment.merging(overrides) { $1 }
    }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    // glibc 2.34+ has posix_spawn_file_actions_addclosefrom_np, which Swift does not import.
    private static let addCloseFrom: AddCloseFrom? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np") else {
            return nil
        }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)
    }()

    /// Keeps our descriptors (sockets, pipes to the test runner) out of long-lived children.
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        if let addCloseFrom, addCloseFrom(&actions, 3) == 0 {
            return
        }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in open.compactMap({ Int32($0) }) where fd > 2 {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
    }
}

/// A NULL-terminated `char *[]` that frees its strings.
private final class CStringArray {
    let pointers: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    private let count: Int

    init(_ strings: [String]) {
        count = strings.count
        pointers = .allocate(capacity: count + 1)
        for (index, string) in strings.enumerated() {
            pointers[index] = strdup(string)
        }
        pointers[count] = nil
    }

    deinit {
        for index in 0..<count {
            free(pointers[index])
        }
        pointers.deallocate()
    }
}
