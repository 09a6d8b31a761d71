import Foundation

/// Progress of a long run on stderr: steps done / total, rate, ETA and a current metric, redrawn in place.
/// Silent when stderr is not a terminal (CI logs, pipes) unless forced. Thread-safe: seed workers share one.
public final class Progress: @unchecked Sendable {
    private let lock = NSLock()
    private let enabled: Bool
    private let label: String
    private var total = 0, done = 0
    private var metric = ""
    private let start = Date()
    private var lastDraw = Date.distantPast

    public init(label: String, enabled: Bool = isatty(2) != 0) { self.label = label; self.enabled = enabled }

    /// Adds to the total amount of work expected.
    public func expect(_ steps: Int) { lock.lock(); total += steps; lock.unlock() }

    /// Records finished work and an optional metric ("Gain 0.83").
    public func advance(_ steps: Int = 1, metric newMetric: String? = nil) {
        lock.lock(); defer { lock.unlock() }
        done += steps
        if let newMetric { metric = newMetric }
        guard enabled else { return }
        let now = Date()
        if now.timeIntervalSince(lastDraw) < 0.1 && done < total { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 && total > done ? Double(total - done) / rate : 0
        let line = total > 0 ? "\(label): \(done)/\(total)  " + String(format: "%.1f/s  ETA %.0fs  ", rate, eta) + metric
                             : "\(label): \(done) done  " + String(format: "%.1f/s  ", rate) + metric
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
    }

    /// A message on its own line (always shown: divergence reports and warnings matter in logs too).
    public func message(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        FileHandle.standardError.write(Data(((enabled ? "\r\u{1B}[K" : "") + text + "\n").utf8))
    }

    /// Clears the progress line.
    public func finish() {
        lock.lock(); defer { lock.unlock() }
        if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
