import Broker

/// Group-commits plain acknowledgements: whoever finds no flush running flushes everything pending
/// in one `HDEL`, so a busy worker acknowledges hundreds of messages per round trip.
actor AckBatcher {
    private let broker: RedisBroker
    private var pending: [Delivery] = []
    private var flushing = false

    init(broker: RedisBroker) { self.broker = broker }

    func ack(_ delivery: Delivery) async throws {
        pending.append(delivery)
        if flushing { return }
        try await flush()
    }

    /// Flushes until nothing is pending.
    func flush() async throws {
        flushing = true
        defer { flushing = false }
        while !pending.isEmpty {
            let batch = pending
            pending.removeAll(keepingCapacity: true)
            try await broker.ack(batch)
        }
    }
}
