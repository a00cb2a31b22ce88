import ArgumentParser
import Foundation
import Hummingbird
import Logging
import MoatCore
import ServiceLifecycle

struct CoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "core",
        abstract: "Run the control plane alone: the API, the store and config sync for remote edges.",
        discussion: "The first start writes the operator token to DIR/operator-token (mode 0600)."
    )

    @Option(name: .long, help: "Data directory (SQLite store, operator token).")
    var data: String = "./moat-data"

    @Option(name: .long, help: "Address and port of the API (HOST:PORT; port 0 picks a free one).")
    var listen: ListenAddress = ListenAddress(host: "127.0.0.1", port: 7480)

    @Flag(help: "Replace the operator token (when its file was lost) and exit.")
    var resetOperatorToken = false

    @OptionGroup var log: LogOptions

    func run() async throws {
        let logger = log.makeLogger("moat.core")
        let configuration = CoreConfiguration(dataDirectory: URL(fileURLWithPath: data), host: listen.host, port: listen.port, logger: logger)
        let core = try await CoreServer.open(configuration)
        if resetOperatorToken {
            try await core.resetOperatorToken()
            print("The new operator token is in \(configuration.operatorTokenPath)")
            return
        }
        let host = listen.host
        let services = core.services { port in
            Banner.printCore(url: "http://\(host.contains(":") ? "[\(host)]" : host):\(port)", tokenPath: configuration.operatorTokenPath)
        }
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }
}

enum Banner {
    static func printCore(url: String, tokenPath: String) {
        print("""
        Moat core is listening on \(url)
        Operator token: \(tokenPath)
          export MOAT_URL=\(url)
          export MOAT_TOKEN=$(cat \(tokenPath))
        """)
        fflush(stdout)
    }
}
