import SwiftVRModels

/// A face followed over time: a stable id and a smoothed box and landmarks.
public struct FaceTrack: Sendable {
    public let id: UInt32
    public var face: FaceDetection
    /// Consecutive frames without a matching detection.
    public var missed: Int
    /// Frames since the track started.
    public var age: Int
    /// Per-frame motion of the box centre (pixels), from its last two detections.
    public var velocity: (x: Float, y: Float) = (0, 0)
    /// The face at its last detection, and frames since then.
    var anchor: FaceDetection
    var sinceUpdate = 0

    init(id: UInt32, face: FaceDetection, missed: Int, age: Int, anchor: FaceDetection) {
        (self.id, self.face, self.missed, self.age, self.anchor) = (id, face, missed, age, anchor)
    }

    /// The face's box, score and landmarks (left eye, right eye, nose, mouth corners) in
    /// frame pixels: what the element reports, without reaching into the model's types.
    public var box: (x1: Float, y1: Float, x2: Float, y2: Float) { (face.x1, face.y1, face.x2, face.y2) }
    public var score: Float { face.score }
    public var landmarks: [(x: Float, y: Float)] { face.landmarks }

    /// Where the face should be on the next frame: moved on at its velocity.
    public var predicted: FaceDetection {
        var f = face
        let v = velocity
        f.x1 += v.x; f.x2 += v.x; f.y1 += v.y; f.y2 += v.y
        f.landmarks = f.landmarks.map { ($0.x + v.x, $0.y + v.y) }
        return f
    }
}

/// Gives faces ids that persist across frames and smooths their landmarks so the
/// aligned crop does not jitter.
///
/// Association is greedy on a score that combines box overlap (IoU) with how close
/// the five landmarks are, relative to the face size; a track survives `maxMissed`
/// frames without a detection (reported where it was last seen). Smoothing is an
/// adaptive exponential filter: small movements (detector jitter) are damped
/// strongly, large ones (real motion) are followed at once.
///
/// At most `maxTracks` tracks live at once (`max-faces`): a face already followed keeps its
/// place, so ids do not flicker; new faces join, best score first, only where there is
/// room; when the limit drops, the lowest-scoring tracks end.
public final class FaceTracker {
    public var maxMissed: Int
    public var maxTracks = Int.max
    public var minScore: Float
    private(set) public var tracks: [FaceTrack] = []
    /// Ids of the tracks that ended (missed more than `maxMissed` frames) since the last
    /// `takeEnded()`: the one event every per-face cache downstream is cleared from.
    private var ended: [UInt32] = []
    private var nextID: UInt32 = 1

    public init(maxMissed: Int = 5, minScore: Float = 0.15) {
        self.maxMissed = maxMissed
        self.minScore = minScore
    }

    public func reset() {
        tracks.removeAll()
        ended.removeAll()
        nextID = 1
    }

    /// The tracks that ended since the last call, and forgets them.
    public func takeEnded() -> [UInt32] {
        defer { ended.removeAll(keepingCapacity: true) }
        return ended
    }

    /// Match score in 0…1: IoU weighted by landmark agreement.
    static func affinity(_ t: FaceDetection, _ d: FaceDetection) -> Float {
        let iou = t.iou(d)
        guard iou > 0 else { return 0 }
        let size = max(1, (t.width + t.height + d.width + d.height) / 4)
        var dist: Float = 0
        for (a, b) in zip(t.landmarks, d.landmarks) {
            let dx = a.x - b.x, dy = a.y - b.y
            dist += (dx * dx + dy * dy).squareRoot()
        }
        dist /= Float(max(t.landmarks.count, 1)) * size
        return iou * max(0, 1 - dist)
    }

    /// Folds one frame's detections in; returns the tracks alive after it.
    @discardableResult
    public func update(_ detections: [FaceDetection]) -> [FaceTrack] {
        var pairs: [(score: Float, t: Int, d: Int)] = []
        for (ti, t) in tracks.enumerated() {
            for (di, d) in detections.enumerated() {
                let s = Self.affinity(t.face, d)
                if s >= minScore { pairs.append((s, ti, di)) }
            }
        }
        pairs.sort { $0.score > $1.score }
        var trackTaken = Set<Int>(), detTaken = Set<Int>()
        for p in pairs where !trackTaken.contains(p.t) && !detTaken.contains(p.d) {
            trackTaken.insert(p.t)
            detTaken.insert(p.d)
            let new = Self.smooth(tracks[p.t].face, toward: detections[p.d])
            // Frames since the last detection: the coasting ones plus this one.
            let gap = Float(tracks[p.t].sinceUpdate + 1)
            tracks[p.t].velocity = (((new.x1 + new.x2) - (tracks[p.t].anchor.x1 + tracks[p.t].anchor.x2)) / 2 / gap,
                                    ((new.y1 + new.y2) - (tracks[p.t].anchor.y1 + tracks[p.t].anchor.y2)) / 2 / gap)
            tracks[p.t].face = new
            tracks[p.t].anchor = new
            tracks[p.t].sinceUpdate = 0
            tracks[p.t].missed = 0
        }
        for ti in tracks.indices where !trackTaken.contains(ti) { tracks[ti].missed += 1 }
        for t in tracks where t.missed > maxMissed { ended.append(t.id) }
        tracks.removeAll { $0.missed > maxMissed }
        if tracks.count > maxTracks {
            let dropped = tracks.indices.sorted { tracks[$0].face.score < tracks[$1].face.score }.prefix(tracks.count - maxTracks)
            for ti in dropped { ended.append(tracks[ti].id) }
            let droppedIDs = Set(dropped.map { tracks[$0].id })
            tracks.removeAll { droppedIDs.contains($0.id) }
        }
        let unmatched = detections.indices.filter { !detTaken.contains($0) }.sorted { detections[$0].score > detections[$1].score }
        for di in unmatched where tracks.count < maxTracks {
            tracks.append(FaceTrack(id: nextID, face: detections[di], missed: 0, age: 0, anchor: detections[di]))
            nextID &+= 1
        }
        for ti in tracks.indices { tracks[ti].age += 1 }
        return tracks
    }

    /// Faces from a whole-frame detection that ran beside the stream, on a frame some
    /// frames back: the faces already followed have moved on since (and are followed
    /// frame by frame), so only those that overlap no track join, as new tracks, best
    /// first, where `maxTracks` leaves room.
    @discardableResult
    public func add(_ detections: [FaceDetection]) -> [FaceTrack] {
        for d in detections.sorted(by: { $0.score > $1.score }) where tracks.count < maxTracks {
            guard !tracks.contains(where: { $0.predicted.iou(d) > 0.1 || $0.face.iou(d) > 0.1 }) else { continue }
            tracks.append(FaceTrack(id: nextID, face: d, missed: 0, age: 0, anchor: d))
            nextID &+= 1
        }
        return tracks
    }

    /// A frame on which detection did not run (`detect-every`): each track moves on at
    /// the velocity its last two detections showed.
    @discardableResult
    public func coast() -> [FaceTrack] {
        for ti in tracks.indices {
            tracks[ti].face = tracks[ti].predicted
            tracks[ti].sinceUpdate += 1
            tracks[ti].age += 1
        }
        return tracks
    }

    /// Moves `old` toward `new` by a fraction that grows with the size of the move.
    static func smooth(_ old: FaceDetection, toward new: FaceDetection) -> FaceDetection {
        let size = max(1, (new.width + new.height) / 2)
        func blend(_ a: Float, _ b: Float) -> Float {
            let alpha = min(1, 0.35 + 4 * abs(b - a) / size)
            return a + alpha * (b - a)
        }
        var out = new
        out.x1 = blend(old.x1, new.x1); out.y1 = blend(old.y1, new.y1)
        out.x2 = blend(old.x2, new.x2); out.y2 = blend(old.y2, new.y2)
        out.landmarks = zip(old.landmarks, new.landmarks).map { (blend($0.x, $1.x), blend($0.y, $1.y)) }
        return out
    }
}
