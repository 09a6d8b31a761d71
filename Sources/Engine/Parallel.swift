import Foundation
import Synchronization

/// The package's one thread pool: kernels and seed workers share it, and `threads` sizes it (`--threads`).
///
/// Work is always split into chunks whose boundaries depend only on the problem size and a fixed grain, never on
/// the thread count; threads only decide who computes which chunk. Each chunk writes disjoint outputs with the same
/// arithmetic whatever thread runs it, so results are bit-identical at every thread count.
///
/// Scheduling is work sharing: `forEach` publishes its chunks as a job, the caller works through them, and idle pool
/// threads join while chunks remain. Regions nest: a kernel called inside a seed worker publishes its own job, which
/// a pool thread that has run out of seeds can help with (so 5 seeds on 2 cores do not leave a core idle for the
/// last seed). When no pool thread is idle, a region runs inline on the caller at the cost of one atomic load. Idle
/// pool threads spin briefly before sleeping, so back-to-back kernels of a training step do not pay a wake-up each.
public enum Parallel {
    private static let configLock = NSLock()
    nonisolated(unsafe) private static var _threads = ProcessInfo.processInfo.activeProcessorCount

    /// Worker threads, the caller included (default: all cores).
    public static var threads: Int {
        get { configLock.lock(); defer { configLock.unlock() }; return _threads }
        set { configLock.lock(); _threads = Swift.max(1, newValue); configLock.unlock() }
    }

    private static let exclusive = NSLock()

    /// Runs `body` with `threads` set to `n`, then restores the previous count. Callers are serialised by one
    /// process-wide lock, so code that compares thread counts (tests in suites that run in parallel) never has the
    /// count changed under it by another caller. Not reentrant.
    public static func withThreads<T>(_ n: Int, _ body: () throws -> T) rethrows -> T {
        exclusive.lock(); defer { exclusive.unlock() }
        let saved = threads
        threads = n
        defer { threads = saved }
        return try body()
    }

    /// Chunks run by pool threads (not by the caller) since the process started: 0 at `threads` = 1, positive when a
    /// second worker really took part.
    public static var chunksRunByPoolThreads: Int { pooledChunks.load(ordering: .relaxed) }
    fileprivate static let pooledChunks = Atomic<Int>(0)

    /// Runs `body(chunk)` for chunk in 0..<chunks, on up to `threads` threads.
    public static func forEach(chunks: Int, _ body: (Int) -> Void) {
        forEach(chunks: chunks) { c, _ in body(c) }
    }

    /// The most workers `forEach(chunks:)` can use (for sizing per-worker scratch): worker indices passed to the body
    /// are below this.
    public static func workers(for chunks: Int) -> Int { Swift.max(1, Swift.min(threads, chunks)) }

    /// Like `forEach(chunks:_:)`, also passing the worker index (0..<workers(for: chunks)) for per-worker scratch.
    /// Two chunks never run at the same time with the same worker index.
    /// `maxWorkers` caps the worker indices (pass the count the caller sized its scratch for: `threads` may change
    /// between sizing and the call).
    public static func forEach(chunks: Int, maxWorkers: Int = .max, _ body: (_ chunk: Int, _ worker: Int) -> Void) {
        guard chunks > 0 else { return }
        let t = Swift.min(maxWorkers, workers(for: chunks))
        if t <= 1 || !Pool.shared.hasIdleWorker(wanted: t - 1) {
            for c in 0..<chunks { body(c, 0) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            let job = Job(body: escapable, chunks: chunks, maxWorkers: t)
            Pool.shared.publish(job)
            job.participate(worker: 0)
            job.waitUntilFinished()
            Pool.shared.retire(job)
            job.body = nil    // no pool thread touches the body once every chunk has finished
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

    // MARK: Pool

    /// One parallel region: its chunks are claimed one at a time from an atomic counter.
    final class Job: @unchecked Sendable {
        var body: ((Int, Int) -> Void)?
        let chunks: Int, maxWorkers: Int
        private let next = Atomic<Int>(0)
        private let slots = Atomic<Int>(1)       // worker index 0 is the caller's
        private let finished = Atomic<Int>(0)

        init(body: @escaping (Int, Int) -> Void, chunks: Int, maxWorkers: Int) {
            self.body = body; self.chunks = chunks; self.maxWorkers = maxWorkers
        }

        var hasWork: Bool { next.load(ordering: .relaxed) < chunks && slots.load(ordering: .relaxed) < maxWorkers }

        /// A worker index for a joining pool thread, or nil when the job is full or has no chunks left.
        func claimSlot() -> Int? {
            guard next.load(ordering: .relaxed) < chunks else { return nil }
            let s = slots.wrappingAdd(1, ordering: .relaxed).oldValue
            return s < maxWorkers ? s : nil
        }

        func participate(worker: Int) {
            while true {
                let c = next.wrappingAdd(1, ordering: .relaxed).oldValue
                if c >= chunks { return }
                if worker > 0 { Parallel.pooledChunks.wrappingAdd(1, ordering: .relaxed) }
                run(c, worker)
                finished.wrappingAdd(1, ordering: .releasing)
            }
        }

        @inline(never) private func run(_ chunk: Int, _ worker: Int) { body!(chunk, worker) }

        func waitUntilFinished() {
            var spins = 0
            while finished.load(ordering: .acquiring) < chunks {
                spins += 1
                if spins > 4096 { sched_yield() }
            }
        }
    }

    final class Pool: @unchecked Sendable {
        static let shared = Pool()
        private let lock = NSCondition()
        private var jobs: [Job] = []                 // open jobs, innermost last (guarded by lock)
        private let started = Atomic<Int>(0)         // pool threads created
        private let generation = Atomic<Int>(0)      // bumped by every publish (under the lock)
        private let idle = Atomic<Int>(0)            // pool threads looking for work (spinning or asleep)

        /// Whether at least one pool thread could join a job now (starting threads up to `wanted` if needed).
        func hasIdleWorker(wanted: Int) -> Bool {
            if started.load(ordering: .relaxed) < wanted { startThreads(wanted) }
            return idle.load(ordering: .relaxed) > 0
        }

        private func startThreads(_ wanted: Int) {
            lock.lock()
            while started.load(ordering: .relaxed) < wanted {
                started.wrappingAdd(1, ordering: .relaxed)
                idle.wrappingAdd(1, ordering: .relaxed)
                let thread = Thread { Pool.shared.workerLoop() }
                thread.stackSize = 8 << 20
                thread.start()
            }
            lock.unlock()
        }

        func publish(_ job: Job) {
            lock.lock()
            jobs.append(job)
            generation.wrappingAdd(1, ordering: .releasing)
            lock.broadcast()
            lock.unlock()
        }

        func retire(_ job: Job) {
            lock.lock()
            if let i = jobs.lastIndex(where: { $0 === job }) { jobs.remove(at: i) }
            lock.unlock()
        }

        /// The innermost open job with chunks left and a free worker index, and that index.
        private func takeJob() -> (Job, Int)? {
            lock.lock(); defer { lock.unlock() }
            for job in jobs.reversed() where job.hasWork {
                if let slot = job.claimSlot() { return (job, slot) }
            }
            return nil
        }

        private func workerLoop() {
            while true {
                let seen = generation.load(ordering: .acquiring)
                if let (job, slot) = takeJob() {
                    idle.wrappingSubtract(1, ordering: .relaxed)
                    job.participate(worker: slot)
                    idle.wrappingAdd(1, ordering: .relaxed)
                    continue
                }
                // nothing to join: spin (tens of µs) for a new job, then sleep until one is published
                var spins = 0
                while generation.load(ordering: .acquiring) == seen && spins < 20_000 { spins += 1 }
                if generation.load(ordering: .acquiring) == seen {
                    lock.lock()
                    while generation.load(ordering: .relaxed) == seen { lock.wait() }
                    lock.unlock()
                }
            }
        }
    }
}
