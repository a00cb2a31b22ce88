import Foundation
import MoatModel

extension EdgeAgent {
    /// The second long-poll: traceroute jobs from core, each run on its own while the next poll waits.
    func jobLoop(_ identity: EdgeIdentity) async {
        var backoff = Backoff()
        while !Task.isCancelled {
            do {
                let jobs = try await client.nextJobs(identity: identity, wait: options.pollWait)
                backoff.reset()
                for job in jobs {
                    logger.info("traceroute job", metadata: ["job": "\(job.id)", "targets": "\(job.targets.count)",
                                                             "type": "\(job.options.packetType.rawValue)"])
                    let client = client
                    let runner = TracerouteJobRunner(job: job, policy: runningConfig.map(TracerouteTargetPolicy.init(config:)),
                                                     tunnels: runningConfig?.tunnels ?? [], asn: options.asn,
                                                     post: { try await client.sendResults(identity: identity, job: job.id, $0) }, logger: logger)
                    Task { await runner.run() }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("job poll failed", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: backoff.next())
            }
        }
    }
}
