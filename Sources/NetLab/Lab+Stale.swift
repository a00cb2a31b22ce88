import Foundation
import LinuxNet

#if canImport(Glibc)
import Glibc
#endif

extension Lab {
    /// Deletes namespaces left behind by labs whose process died (a crashed or killed test
    /// run): those named `<prefix><pid>x…` whose pid no longer runs. Namespaces of live
    /// processes, including concurrent test runs, are left alone. Returns the names deleted.
    @discardableResult
    package static func removeStale(prefix: String = Lab.projectPrefix) -> [String] {
        var removed: [String] = []
        for name in listNamespaces() {
            guard let pid = ownerPID(of: name, prefix: prefix),
                  !ProcessTable.isAlive(pid: pid) else { continue }
            if deleteNamespace(name) == nil {
                removed.append(name)
            }
        }
        return removed
    }

    /// The names `ip netns list` shows, lab or not.
    package static func listNamespaces() -> [String] {
        guard let result = try? Command("ip", ["netns", "list"], timeout: .seconds(10)).check() else {
            return []
        }
        // Lines look like `name` or `name (id: 3)`.
        return result.stdout.split(separator: "\n").compactMap { line in
            line.split(separator: " ").first.map(String.init)
        }
    }

    /// The pid encoded in a lab namespace name, nil when the name is not one of `prefix`'s.
    package static func ownerPID(of name: String, prefix: String) -> Int32? {
        guard name.hasPrefix(prefix) else { return nil }
        let rest = name.dropFirst(prefix.count)
        let digits = rest.prefix(while: \.isASCIIDigit)
        guard !digits.isEmpty, rest.dropFirst(digits.count).first == "x" else { return nil }
        return Int32(digits)
    }

    /// Kills whatever still runs in the namespace, then deletes it. Returns the failure, if any.
    @discardableResult
    static func deleteNamespace(_ name: String) -> String? {
        // A process left inside would keep the namespace, and its interfaces, alive.
        if let pids = try? Command("ip", ["netns", "pids", name], timeout: .seconds(10)).check() {
            for pid in pids.stdout.split(separator: "\n").compactMap({ Int32($0) }) where pid > 0 {
                kill(pid, SIGKILL)
            }
        }
        var lastError = ""
        for attempt in 0..<3 {
            if attempt > 0 {
                usleep(200_000)
            }
            do {
                try Command("ip", ["netns", "delete", name], timeout: .seconds(10)).check()
                return nil
            } catch {
                lastError = "\(error)"
                if !listNamespaces().contains(name) {
                    return nil
                }
            }
        }
        return "cannot delete netns \(name): \(lastError)"
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
