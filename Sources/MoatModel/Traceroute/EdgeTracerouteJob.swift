import Foundation

/// A traceroute an edge is asked to run (`GET /v1/edge/jobs`).
public struct EdgeTracerouteJob: Codable, Equatable, Sendable {
    public var id: String
    public var targets: [IPAddress]
    public var options: TracerouteOptions
    /// Results that arrive later are refused; the edge stops tracing by then.
    public var deadline: Date

    public init(id: String, targets: [IPAddress], options: TracerouteOptions, deadline: Date) {
        self.id = id
        self.targets = targets
        self.options = options
        self.deadline = deadline
    }
}

/// `POST /v1/edge/jobs/{job}/results`: one or more finished targets of a job.
public struct EdgeTracerouteReport: Codable, Equatable, Sendable {
    public struct TargetResult: Codable, Equatable, Sendable {
        public var target: IPAddress
        public var reached: Bool
        public var hops: [TracerouteHop]
        /// Why the edge could not trace the target (it then sends no hops).
        public var error: String?

        public init(target: IPAddress, reached: Bool, hops: [TracerouteHop], error: String? = nil) {
            self.target = target
            self.reached = reached
            self.hops = hops
            self.error = error
        }
    }

    public var results: [TargetResult]

    public init(results: [TargetResult]) {
        self.results = results
    }
}
