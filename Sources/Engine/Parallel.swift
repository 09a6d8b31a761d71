import Dispatch
import Foundation

/// The package's one thread pool: kernels and seed workers share it, and `threads` sizes it (`--threads`).
///
/// Work is always split into chunks whose boundaries depend only on the problem size and a fixed grain, never on
/// the thread count; threads only decide who computes which chunk. Each chunk writes disjoint outputs with the same
/// arithmetic whatever thread runs it, so results are bit-identical at every thread count.
public enum Parallel {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var _threads = ProcessInfo.processInfo.activeProcessorCount
    /// Set while a caller (for example a seed worker) already occupies the pool, so nested kernels run serially.
    nonisolated(unsafe) private static var busyWorkers = 0

    /// Worker threads (default: all cores).
    public static var threads: Int {
        get { lock.lock(); defer { lock.unlock() }; return _threads }
        set { lock.lock(); _threads = Swift.max(1, newValue); lock.unlock() }
    }

    /// Runs `body(chunk)` for chunk in 0..<chunks, on up to `threads` threads. Runs inline when there is one chunk,
    /// one thread, or when called from inside another parallel region.
    public static func forEach(chunks: Int, _ body: (Int) -> Void) {
        forEach(chunks: chunks) { c, _ in body(c) }
    }

    /// The number of workers `forEach(chunks:)` would use now (for sizing per-worker scratch).
    public static func workers(for chunks: Int) -> Int {
        lock.lock(); defer { lock.unlock() }
        return busyWorkers > 0 ? 1 : Swift.max(1, Swift.min(_threads, chunks))
    }

    /// Like `forEach(chunks:_:)`, also passing the worker index (0..<workers(for: chunks)) for per-worker scratch.
    public static func forEach(chunks: Int, _ body: (_ chunk: Int, _ worker: Int) -> Void) {
        guard chunks > 0 else { return }
        lock.lock()
        let t = Swift.min(_threads, chunks)
        let nested = busyWorkers > 0
        if t > 1 && !nested { busyWorkers += 1 }
        lock.unlock()
        if t <= 1 || nested {
            for c in 0..<chunks { body(c, 0) }
            return
        }
        defer { lock.lock(); busyWorkers -= 1; lock.unlock() }
        // Each of t workers takes chunks w, w+t, w+2t, … (a fixed assignment: no atomics, no work stealing).
        DispatchQueue.concurrentPerform(iterations: t) { w in
            var c = w
            while c < chunks { body(c, w); c += t }
        }
    }

    /// Splits 0..<n into fixed chunks of `grain` (the last may be shorter) and runs them in parallel when the total
    /// work `n * costPerItem` exceeds `minWork`.
    public static func forRange(_ n: Int, grain: Int, costPerItem: Int = 1, minWork: Int = 1 << 16,
                                _ body: (Range<Int>) -> Void) {
        guard n > 0 else { return }
        let g = Swift.max(1, grain)
        let chunks = (n + g - 1) / g
        if chunks == 1 || n * costPerItem < minWork {
            body(0..<n)
            return
        }
        forEach(chunks: chunks) { c in body((c * g)..<Swift.min(n, (c + 1) * g)) }
    }
}
