/// The newest `capacity` samples with their arrival times; older ones are overwritten.
struct SampleRing: Sendable {
    struct Entry: Sendable {
        var time: Double
        var sample: PacketSample
    }

    let capacity: Int
    private var entries: [Entry] = []
    private var next = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    mutating func append(_ sample: PacketSample, at time: Double) {
        let entry = Entry(time: time, sample: sample)
        if entries.count < capacity {
            entries.append(entry)
        } else {
            entries[next] = entry
            next = (next + 1) % capacity
        }
    }

    func samples(where include: (Double) -> Bool) -> [PacketSample] {
        entries.filter { include($0.time) }.map(\.sample)
    }
}
