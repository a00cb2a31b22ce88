import MoatModel
import NIOCore
import NIOPosix

/// Active health checks of a TCP app's origins: a TCP connect to each origin every `interval`,
/// feeding the same rise/fall counters as the passive marks of failed connects.
final class OriginChecker: Sendable {
    private let task: RepeatedTask

    init(runtime: AppRuntime, loop: EventLoop, interval: TimeAmount, timeout: TimeAmount) {
        task = loop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            let app = runtime.app
            for (index, origin) in app.origins.enumerated() {
                ClientBootstrap(group: loop)
                    .connectTimeout(timeout)
                    .connect(host: "\(origin.address)", port: origin.ports.low)
                    .whenComplete { result in
                        switch result {
                        case .success(let channel):
                            channel.close(promise: nil)
                            runtime.recordCheck(index, success: true)
                        case .failure:
                            runtime.recordCheck(index, success: false)
                        }
                    }
            }
        }
    }

    func stop() { task.cancel() }
}
