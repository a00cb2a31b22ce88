import Foundation
import LinuxNet
import NetLab
import Testing

/// What a test on namespaces and Debian's programs needs. Without root it cannot build
/// namespaces: it skips, saying so in one line. As root (as in CI) it runs, and a missing
/// program is a failure that names its package: `scripts/test` installs them all.
struct Requirements {
    /// Program (a name on PATH, or an absolute path) → the Debian package that has it.
    var programs: [String: String]

    static let python = [Lab.python: "python3"]
    static let nft = ["nft": "nftables"]
    static let ip = ["ip": "iproute2"]

    init(_ programs: [String: String]...) {
        self.programs = programs.reduce(into: [:]) { $0.merge($1) { first, _ in first } }
    }

    /// Whether `test` runs; see the type.
    func met(_ test: String) -> Bool {
        guard SystemUser.isRoot else {
            print("\(test) skipped: needs root for network namespaces")
            return false
        }
        let missing = programs.filter { program, _ in !Command.isInstalled(program) }
        guard missing.isEmpty else {
            let named = missing.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value))" }.joined(separator: ", ")
            Issue.record("\(test) needs \(named): scripts/test installs them")
            return false
        }
        return true
    }
}
