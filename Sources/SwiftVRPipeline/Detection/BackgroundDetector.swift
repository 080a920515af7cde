import Glibc
import SwiftVRTensor

/// Whole-frame detection beside the stream: the frame is scaled into the detector's input
/// on the caller's thread (the only part that reads the frame), and the network runs on a
/// thread of its own while the frames that follow are processed; its faces are taken when
/// they are ready. No frame waits for it, and it takes no core from the frames: it runs on
/// one thread, serially, under SCHED_IDLE, in the cycles the stream leaves.
///
/// One detection at a time: `submit` refuses while one runs. `cancel` (a flush, a seek, a
/// caps change) makes the result of the one in flight, which describes a frame that no
/// longer matters, be dropped. The thread sleeps on a condition variable between
/// detections and is joined when the detector goes.
final class BackgroundDetector: @unchecked Sendable {   // mutable state under `mutex`
    private let detector: FaceDetecting
    private var mutex = pthread_mutex_t()
    private var wake = pthread_cond_t()
    private var thread = pthread_t()
    private var job: (input: PreparedFrame, settings: DetectorSettings, generation: Int)?
    private var running = false
    private var ready: (detected: Detected, generation: Int)?
    private var generation = 0
    private var stopping = false

    /// `detector` is this thread's own (a `sibling()`: the weights shared, the memory not).
    init(_ detector: FaceDetecting) {
        self.detector = detector
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&wake, nil)
        let me = Unmanaged.passUnretained(self).toOpaque()
        pthread_create(&thread, nil, { arg in
            Unmanaged<BackgroundDetector>.fromOpaque(arg!).takeUnretainedValue().loop()
            return nil
        }, me)
    }

    deinit {
        pthread_mutex_lock(&mutex)
        stopping = true
        pthread_cond_signal(&wake)
        pthread_mutex_unlock(&mutex)
        pthread_join(thread, nil)   // the thread uses `self` until here
        pthread_cond_destroy(&wake)
        pthread_mutex_destroy(&mutex)
    }

    /// Whether a detection is in flight or its result waits to be taken.
    var busy: Bool {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return running || job != nil || ready != nil
    }

    /// Scales `frame` into the input and starts the network on it; nil (nothing done)
    /// while another detection is in flight or untaken. Returns the milliseconds spent here.
    func submit(_ frame: FrameView, colorimetry: Colorimetry, settings: DetectorSettings) -> Double? {
        guard !busy else { return nil }
        // Not busy: the thread is asleep and will not touch the detector until `job` is set.
        let input = detector.prepare(frame, colorimetry: colorimetry, settings: settings)
        pthread_mutex_lock(&mutex)
        job = (input, settings, generation)
        pthread_cond_signal(&wake)
        pthread_mutex_unlock(&mutex)
        return input.milliseconds
    }

    /// The last detection, once, if it finished and was not cancelled (its `resample` time
    /// was spent in `submit`, on the caller's thread).
    func take() -> Detected? {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        guard let r = ready else { return nil }
        ready = nil
        return r.generation == generation ? r.detected : nil
    }

    /// Drops the detection in flight (its result will not be taken) and any result waiting.
    func cancel() {
        pthread_mutex_lock(&mutex)
        generation &+= 1
        ready = nil
        pthread_mutex_unlock(&mutex)
    }

    /// Waits (at most `seconds`) for the detection in flight to finish; for tests.
    func waitUntilIdle(seconds: Double) -> Bool {
        let deadline = Stopwatch.now() + seconds * 1000
        while Stopwatch.now() < deadline {
            pthread_mutex_lock(&mutex)
            let idle = !running && job == nil
            pthread_mutex_unlock(&mutex)
            if idle { return true }
            usleep(2_000)
        }
        return false
    }

    private func loop() {
        // Beside the stream means after it: this thread runs serially, never taking the
        // pool from the streaming thread, under SCHED_IDLE, so a saturated host spends its
        // spare cycles here, not the frames' time. Under nice 10 a pool thread that woke
        // or yielded waited for this one's slice to end: frames near a detection took
        // 1.5× as long (p99 / p50 of frame time 1.2–1.8 at 1280×720 with one face, against
        // 1.1–1.2 with SCHED_IDLE, alternating runs). SCHED_IDLE still runs, at a small
        // share, on a host with no idle cycle, so a detection always ends.
        var idle = sched_param()
        _ = pthread_setschedparam(pthread_self(), 5, &idle)   // 5: SCHED_IDLE, not exported to Swift's Glibc
        pthread_mutex_lock(&mutex)
        while true {
            while job == nil && !stopping { pthread_cond_wait(&wake, &mutex) }
            if stopping { break }
            let j = job!
            job = nil
            running = true
            pthread_mutex_unlock(&mutex)
            let detected = detector.finish(j.input, settings: j.settings)
            pthread_mutex_lock(&mutex)
            running = false
            // A cancelled detection's faces describe a frame that no longer matters.
            ready = j.generation == generation ? (detected, j.generation) : nil
        }
        pthread_mutex_unlock(&mutex)
    }
}
