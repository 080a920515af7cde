import SwiftVRModels

/// Debug drawing (`draw-faces`): each track's box, its five landmarks and its id.
public enum FaceOverlay {
    static let palette: [SIMD3<Float>] = [[0, 255, 0], [255, 64, 64], [64, 160, 255], [255, 200, 0], [255, 0, 255], [0, 255, 255]]

    /// 3×5 bitmaps of the digits 0–9, one row per 3 bits.
    static let digits: [[UInt8]] = [
        [7, 5, 5, 5, 7], [2, 6, 2, 2, 7], [7, 1, 7, 4, 7], [7, 1, 7, 1, 7], [5, 5, 7, 1, 1],
        [7, 4, 7, 1, 7], [7, 4, 7, 5, 7], [7, 1, 1, 1, 1], [7, 5, 7, 5, 7], [7, 5, 7, 1, 7],
    ]

    public static func draw(_ tracks: [FaceTrack], on frame: FrameView, colorimetry: Colorimetry) {
        for t in tracks {
            let color = palette[Int(t.id) % palette.count]
            let f = t.face
            let (x1, y1, x2, y2) = (Int(f.x1.rounded()), Int(f.y1.rounded()), Int(f.x2.rounded()) - 1, Int(f.y2.rounded()) - 1)
            let thick = max(1, (x2 - x1) / 100)
            for k in 0..<thick {
                for x in x1...max(x1, x2) {
                    frame.setPixel(x, y1 + k, color, colorimetry: colorimetry)
                    frame.setPixel(x, y2 - k, color, colorimetry: colorimetry)
                }
                for y in y1...max(y1, y2) {
                    frame.setPixel(x1 + k, y, color, colorimetry: colorimetry)
                    frame.setPixel(x2 - k, y, color, colorimetry: colorimetry)
                }
            }
            let dot = max(1, (x2 - x1) / 60)
            for p in f.landmarks {
                let (cx, cy) = (Int(p.x.rounded()), Int(p.y.rounded()))
                for dy in -dot...dot { for dx in -dot...dot { frame.setPixel(cx + dx, cy + dy, color, colorimetry: colorimetry) } }
            }
            drawNumber(Int(t.id), x: x1 + thick + 1, y: y1 + thick + 1, scale: max(2, (x2 - x1) / 40), color: color, on: frame, colorimetry: colorimetry)
        }
    }

    static func drawNumber(_ n: Int, x: Int, y: Int, scale: Int, color: SIMD3<Float>, on frame: FrameView, colorimetry: Colorimetry) {
        for (i, ch) in String(n).enumerated() {
            guard let d = ch.wholeNumberValue else { continue }
            for (row, bits) in digits[d].enumerated() {
                for col in 0..<3 where bits & (4 >> col) != 0 {
                    for sy in 0..<scale {
                        for sx in 0..<scale {
                            frame.setPixel(x + (i * 4 + col) * scale + sx, y + row * scale + sy, color, colorimetry: colorimetry)
                        }
                    }
                }
            }
        }
    }
}
