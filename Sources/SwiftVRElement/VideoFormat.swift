import CGStreamer
import SwiftVRPipeline

/// The caps both pads accept: the same raw format in and out, any size and rate.
let templateCaps = "video/x-raw, format=(string){ RGB, BGR, RGBA, BGRA, RGBx, BGRx, I420, NV12 }, width=(int)[ 1, 2147483647 ], height=(int)[ 1, 2147483647 ], framerate=(fraction)[ 0/1, 2147483647/1 ]"

extension PixelFormat {
    init?(_ format: GstVideoFormat) {
        switch format {
        case GST_VIDEO_FORMAT_RGB: self = .rgb
        case GST_VIDEO_FORMAT_BGR: self = .bgr
        case GST_VIDEO_FORMAT_RGBA: self = .rgba
        case GST_VIDEO_FORMAT_BGRA: self = .bgra
        case GST_VIDEO_FORMAT_RGBx: self = .rgbx
        case GST_VIDEO_FORMAT_BGRx: self = .bgrx
        case GST_VIDEO_FORMAT_I420: self = .i420
        case GST_VIDEO_FORMAT_NV12: self = .nv12
        default: return nil
        }
    }
}

/// The negotiated stream format: GStreamer's video info plus what the core needs.
struct StreamFormat {
    var info: GstVideoInfo
    let format: PixelFormat
    /// How Y'CbCr maps to RGB for this stream (ignored for RGB formats).
    let colorimetry: Colorimetry
    /// `max-framerate` from the caps, used to size the latency of variable-rate streams.
    let maxFramerate: (numerator: Int, denominator: Int)?

    var framerate: (numerator: Int, denominator: Int) { (Int(info.fps_n), Int(info.fps_d)) }
    var width: Int { Int(info.width) }
    var height: Int { Int(info.height) }

    init(caps: UnsafeMutablePointer<GstCaps>) throws(ElementError) {
        var info = GstVideoInfo()
        gst_video_info_init(&info)
        guard gst_video_info_from_caps(&info, caps) != 0 else {
            throw .unsupportedCaps(Self.describe(caps))
        }
        guard let finfo = info.finfo, let format = PixelFormat(finfo.pointee.format) else {
            throw .unsupportedCaps("format of \(Self.describe(caps)) is not one swiftvr handles")
        }
        self.info = info
        self.format = format
        colorimetry = Self.colorimetry(of: info)
        var n: gint = 0, d: gint = 0
        if let s = gst_caps_get_structure(caps, 0), gst_structure_get_fraction(s, cString("max-framerate"), &n, &d) != 0 {
            maxFramerate = (Int(n), Int(d))
        } else {
            maxFramerate = nil
        }
    }

    /// Whether `other` describes the same frames (what matters for a held window).
    func sameFrames(as other: StreamFormat) -> Bool {
        var a = info, b = other.info
        return gst_video_info_is_equal(&a, &b) != 0
    }

    static func colorimetry(of info: GstVideoInfo) -> Colorimetry {
        let c = info.colorimetry
        var out: Colorimetry
        switch c.matrix {
        case GST_VIDEO_COLOR_MATRIX_BT709: out = .bt709
        case GST_VIDEO_COLOR_MATRIX_BT601: out = .bt601
        default: out = Colorimetry.defaultFor(width: Int(info.width), height: Int(info.height))
        }
        out.fullRange = c.range == GST_VIDEO_COLOR_RANGE_0_255
        return out
    }

    static func describe(_ caps: UnsafeMutablePointer<GstCaps>) -> String {
        guard let s = gst_caps_to_string(caps) else { return "(caps)" }
        defer { g_free(s) }
        return String(cString: s)
    }
}
