import SwiftVRModels
import SwiftVRTensor

/// The face pipeline over one window: detect (every `detectEvery` frames, tracking in
/// between), follow faces with the tracker, gather each track's aligned crops over the
/// window, restore them, paste them back, and optionally draw the faces. Without a
/// restorer (no model installed) no crops are cut and face pixels stay as they are.
/// With a causal restorer the window is a single frame and the restorer keeps each
/// face's earlier frames itself (`framesHeld`).
public final class FaceWindowProcessor: WindowProcessor {
    /// Where the current window's time goes, in milliseconds (returned by `process`).
    private var timings = StageTimings()
    /// This window's faces whose restoration was not finite (left as they came in).
    private var passedThrough = Set<UInt32>()
    let detector: FaceDetecting
    /// The periodic whole-frame detection while faces are followed: it looks for new faces
    /// and runs beside the stream, so the frame it was due on does not wait for it.
    let background: BackgroundDetector
    let tracker = FaceTracker()
    public let restorer: FaceRestorer?
    private let crops = Arena()
    private var framesSinceDetection = Int.max
    /// Frames processed while a detection beside the stream was in flight.
    private var framesInFlight = 0
    /// A detection beside the stream that has been in flight this many `detectEvery`
    /// periods is given up and the frame is detected on where it is: its thread runs only
    /// in the cycles the stream leaves (SCHED_IDLE), and a host busy with other work can
    /// leave it almost none. A new face then waits at most this long.
    static let starvedAfter = 4
    /// The crop side each track had last: kept while the face's need stays near it, so
    /// the restorer's context of earlier frames (made at one size) carries on. Entries
    /// leave when the tracker says their track ended.
    private var trackSizes: [UInt32: Int] = [:]
    /// Each track's steadied crop scale and rotation (SteadyPose), passed from frame to frame.
    private var trackPoses: [UInt32: SteadyPose] = [:]
    /// Tracks whose crop size is remembered (per-face state; the soak test watches it).
    public var facesHeld: Int { trackSizes.count }

    public init(detector: FaceDetecting, restorer: FaceRestorer? = nil) {
        self.detector = detector
        self.restorer = restorer
        background = BackgroundDetector(detector.sibling())
    }

    public func writesPixels(_ settings: ProcessingSettings) -> Bool {
        settings.drawFaces || (restorer != nil && settings.restore.strength > 0)
    }

    public func framesHeld(window: Int) -> Int { restorer?.isCausal == true ? 1 : window }

    public func process(_ window: [FrameView], colorimetry: Colorimetry,
                        settings: ProcessingSettings) throws(PipelineError) -> WindowResult {
        // Detection and tracking see each frame as it came in, before anything is drawn or pasted.
        tracker.maxMissed = settings.maxMissed
        tracker.maxTracks = settings.detector.maxFaces
        timings = StageTimings()
        passedThrough = []
        timings.frames = window.count
        let reports = window.map { frame in
            let tracks: [FaceTrack]
            // New faces from a whole-frame detection that finished beside the stream join first.
            // The next one is due `detect-every` frames after this one ended, not after it
            // started: a detection that took longer than that (a saturated host gives it
            // only the cycles the stream leaves) does not start again at once, so it takes
            // a bounded share of the cores, whatever the host's load.
            if settings.detector.maxFaces > 0, let found = background.take() {
                timings.beside += found.network
                tracker.add(found.faces)
                framesSinceDetection = 0
            }
            let due = framesSinceDetection >= max(settings.detectEvery, 1) - 1
            // While faces are followed frame by frame, the periodic whole-frame detection
            // (for new faces) runs beside the stream; with none followed, or detect-every 1,
            // it is the only detection and runs here.
            // (One still running when the next is due: the frame follows its faces, and the
            // next frame asks again.)
            var beside = due && settings.detector.maxFaces > 0 && settings.detectEvery > 1
                && settings.followTracks && !tracker.tracks.isEmpty
            framesInFlight = background.busy ? framesInFlight + 1 : 0
            if beside && framesInFlight > Self.starvedAfter * settings.detectEvery {
                background.cancel()   // its thread finishes in its own time; its result is dropped
                framesInFlight = 0
                beside = false
                timings.starved += 1
            }
            if beside, let spent = background.submit(frame, colorimetry: colorimetry, settings: settings.detector) {
                timings.colorConversion += spent
                framesSinceDetection = 0
            }
            if settings.detector.maxFaces == 0 {
                tracks = []
            } else if due && !beside {
                let found = detector.detect(frame, colorimetry: colorimetry, settings: settings.detector)
                timings.colorConversion += found.resample
                timings.detection += found.network
                let t0 = Stopwatch.now()
                tracks = tracker.update(found.faces)
                timings.tracking += Stopwatch.now() - t0
                framesSinceDetection = 0
            } else if settings.followTracks && !tracker.tracks.isEmpty {
                // Between full detections each tracked face is looked for again near where
                // it should be; new faces wait for the next full detection.
                let found = detector.detect(around: tracker.tracks.map(\.predicted), in: frame,
                                            colorimetry: colorimetry, settings: settings.detector)
                timings.colorConversion += found.resample
                timings.detection += found.network
                let t0 = Stopwatch.now()
                tracks = tracker.update(found.faces)
                timings.tracking += Stopwatch.now() - t0
                framesSinceDetection += 1
            } else {
                tracks = tracker.coast()
                framesSinceDetection += 1
            }
            return FrameReport(faces: tracks)
        }
        if let restorer, settings.restore.strength > 0 {
            try restoreTracks(window, reports, colorimetry: colorimetry, settings: settings, restorer: restorer)
        }
        // Ended tracks take every per-face state with them, here and in the restorer,
        // after this window's restoration (a track ending inside the window was restored
        // on its earlier frames).
        let ended = tracker.takeEnded()
        if !ended.isEmpty {
            for id in ended { trackSizes[id] = nil; trackPoses[id] = nil }
            restorer?.forget(tracks: ended)
        }
        if settings.drawFaces {
            for (frame, report) in zip(window, reports) { FaceOverlay.draw(report.faces, on: frame, colorimetry: colorimetry) }
        }
        var result = WindowResult(reports: reports, timings: timings)
        result.passedThrough = passedThrough
        return result
    }

    /// Each track's crops over the window go to the restorer together, then back into
    /// their frames.
    private func restoreTracks(_ window: [FrameView], _ reports: [FrameReport], colorimetry: Colorimetry,
                               settings: ProcessingSettings, restorer: FaceRestorer) throws(PipelineError) {
        crops.reset()
        // One crop size per track and window: the restorer takes a track's window at once.
        var sizes: [UInt32: Int] = [:]
        for report in reports {
            for t in report.faces {
                sizes[t.id] = max(sizes[t.id] ?? 0, Self.cropSize(for: t.face, settings: settings))
            }
        }
        for (id, need) in sizes {
            // Within an eighth of the last size the track keeps it (a face's box jitters by
            // a few pixels frame to frame; each change of size would restart its context).
            if let last = trackSizes[id], abs(need - last) * 8 <= last, last <= settings.largestCrop {
                sizes[id] = last
            }
        }
        trackSizes.merge(sizes) { $1 }
        let alignStart = Stopwatch.now()
        // Inpainting: the frame's holes are filled, in the frame itself, before the crop is
        // sampled (FaceCrop.extract), so the crop as cut is what the frame holds. Inpainting
        // alone writes only the missing pixels back; known pixels stay as they came.
        let inpainting = settings.restore.tasks.contains(.inpaint)
        let onlyHoles = inpainting && settings.restore.tasks.isDisjoint(with: [.restore, .colorize])
        var byTrack: [UInt32: [(frame: Int, crop: FaceCrop, mask: Tensor?)]] = [:]
        var holesOf: [Int: (Int, Int) -> Bool] = [:]
        for (i, report) in reports.enumerated() {
            let frame = window[i]
            // The frame's missing pixels, for filling its region before sampling (inpainting only).
            var filled: ((Int, Int) -> Bool)?
            if inpainting, let missing = settings.inpaintMask {
                filled = { missing.isMissing($0, $1, frameWidth: frame.width, frameHeight: frame.height) }
            } else if inpainting, frame.format.hasAlpha {
                filled = { frame.isTransparent($0, $1) }
            }
            holesOf[i] = filled
            for t in report.faces {
                timings.faces += 1
                let r = sizes[t.id] ?? settings.largestCrop
                guard let raw = FaceTemplate.alignment(for: t.face, size: r) else { continue }
                let (toCrop, pose) = SteadyPose.steadied(raw, size: r, previous: trackPoses[t.id])
                trackPoses[t.id] = pose
                guard let crop = FaceCrop.extract(from: frame, colorimetry: colorimetry, face: t.face, size: r,
                                                  into: crops.tensor([3, r, r]), scratch: crops,
                                                  missing: filled, fillFrame: filled != nil,
                                                  transform: toCrop) else { continue }
                // RGBA/BGRA streams carry the inpainting mask in alpha (0 = missing).
                let mask: Tensor?
                if let missing = settings.inpaintMask {
                    mask = crop.extractMissing(from: missing, frameWidth: frame.width, frameHeight: frame.height,
                                               into: crops.tensor([1, r, r]))
                } else {
                    mask = frame.format.hasAlpha ? crop.extractMissing(from: frame, into: crops.tensor([1, r, r])) : nil
                }
                byTrack[t.id, default: []].append((i, crop, mask))
            }
        }
        timings.alignment += Stopwatch.now() - alignStart
        for id in byTrack.keys.sorted() {
            let items = byTrack[id]!
            let masks = items.allSatisfy { $0.mask != nil } ? items.map { $0.mask! } : nil
            // The crops as cut: only what the restorer changed goes back into the frame.
            let cut = items.map { item in
                let t = crops.tensor(item.crop.pixels.shape)
                t.data.update(from: item.crop.pixels.data, count: t.count)
                return t
            }
            let spent = try restorer.restore(track: id, items.map(\.crop.pixels), masks: masks, settings: settings.restore)
            for (item, before) in zip(items, cut) {
                let p = item.crop.pixels.data
                for k in 0..<before.count { p[k] -= before.data[k] }
            }
            if spent.passedThrough { passedThrough.insert(id) }
            timings.priors += spent.priors
            timings.restoration += spent.restoration
            timings.decode += spent.decode
            timings.smoothing += spent.smoothing
            let t0 = Stopwatch.now()
            for item in items {
                PasteBack.paste(item.crop, into: window[item.frame], colorimetry: colorimetry, adding: true,
                                only: onlyHoles ? holesOf[item.frame] : nil, scratch: crops)
            }
            timings.pasteBack += Stopwatch.now() - t0
        }
    }

    /// The crop side for a face: `faceResolution`, or with `adaptiveResolution` twice the
    /// face box's longer side rounded up to a multiple of 8, between 64 and `faceResolution`.
    public static func cropSize(for face: FaceDetection, settings: ProcessingSettings) -> Int {
        let most = settings.largestCrop
        guard settings.adaptiveResolution else { return most }
        let need = Int((2 * max(face.width, face.height)).rounded(.up))
        return min(most, max(64, (need + 7) / 8 * 8))
    }

    public func reset() {
        background.cancel()
        restorer?.reset()
        trackSizes.removeAll()
        trackPoses.removeAll()
        tracker.reset()
        framesSinceDetection = .max
        framesInFlight = 0
    }
}

/// Milliseconds spent per stage over one window (sum over its frames and faces).
public struct StageTimings: Sendable, CustomStringConvertible {
    public var frames = 0, faces = 0
    public var colorConversion = 0.0, detection = 0.0, tracking = 0.0, alignment = 0.0
    public var priors = 0.0, restoration = 0.0, decode = 0.0, smoothing = 0.0, pasteBack = 0.0
    /// The whole-frame detections that ran beside the stream and finished before this
    /// window: their thread's wall time, spent beside earlier frames, not in this one.
    public var beside = 0.0
    /// Detections beside the stream given up as starved (the frame was detected on instead).
    public var starved = 0
    public init() {}

    /// One line, `key=value` pairs, parsed by scripts/bench.py.
    public var description: String {
        func f(_ v: Double) -> String { "\((v * 1000).rounded() / 1000)" }
        return "stage-ms frames=\(frames) faces=\(faces) convert=\(f(colorConversion)) detect=\(f(detection)) track=\(f(tracking)) align=\(f(alignment)) priors=\(f(priors)) restore=\(f(restoration)) decode=\(f(decode)) smooth=\(f(smoothing)) paste=\(f(pasteBack)) beside=\(f(beside)) starved=\(starved)"
    }
}
