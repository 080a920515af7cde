/// One detected face in the coordinates of the image the detector was given.
public struct FaceDetection: Sendable, Equatable {
    public var x1: Float, y1: Float, x2: Float, y2: Float
    public var score: Float
    /// Left eye, right eye, nose, left and right mouth corner (image x, y).
    public var landmarks: [(x: Float, y: Float)]

    public init(x1: Float, y1: Float, x2: Float, y2: Float, score: Float, landmarks: [(x: Float, y: Float)]) {
        (self.x1, self.y1, self.x2, self.y2, self.score, self.landmarks) = (x1, y1, x2, y2, score, landmarks)
    }

    /// Every coordinate and the score are finite numbers.
    public var isFinite: Bool {
        [x1, y1, x2, y2, score].allSatisfy(\.isFinite) && landmarks.allSatisfy { $0.x.isFinite && $0.y.isFinite }
    }

    public var width: Float { x2 - x1 }
    public var height: Float { y2 - y1 }
    public var area: Float { max(0, width) * max(0, height) }

    public func iou(_ o: FaceDetection) -> Float {
        let w = max(0, min(x2, o.x2) - max(x1, o.x1)), h = max(0, min(y2, o.y2) - max(y1, o.y1))
        let inter = w * h
        let union = area + o.area - inter
        return union > 0 ? inter / union : 0
    }

    public static func == (a: FaceDetection, b: FaceDetection) -> Bool {
        a.x1 == b.x1 && a.y1 == b.y1 && a.x2 == b.x2 && a.y2 == b.y2 && a.score == b.score
            && a.landmarks.elementsEqual(b.landmarks) { $0.x == $1.x && $0.y == $1.y }
    }
}

/// Greedy non-maximum suppression: highest score first, dropping boxes whose IoU with a
/// kept one reaches `threshold`.
public func nonMaximumSuppression(_ faces: [FaceDetection], threshold: Float) -> [FaceDetection] {
    var kept: [FaceDetection] = []
    for f in faces.sorted(by: { $0.score > $1.score }) where !kept.contains(where: { $0.iou(f) >= threshold }) {
        kept.append(f)
    }
    return kept
}
