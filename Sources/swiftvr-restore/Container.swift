/// What OUT's extension asks for: the muxer (nil for a still image), the video encoder
/// and the audio encoder used when the input's audio cannot be copied in.
struct Container {
    let muxer: String?
    let videoEncoder: String
    let audioEncoder: String
    let isImage: Bool

    static func forOutput(_ path: String) -> Container? {
        switch path.split(separator: ".").last?.lowercased() ?? "" {
        case "mp4", "m4v": return Container(muxer: "mp4mux", videoEncoder: "x264enc", audioEncoder: "avenc_aac", isImage: false)
        case "mov": return Container(muxer: "qtmux", videoEncoder: "x264enc", audioEncoder: "avenc_aac", isImage: false)
        case "mkv": return Container(muxer: "matroskamux", videoEncoder: "x264enc", audioEncoder: "opusenc", isImage: false)
        case "webm": return Container(muxer: "webmmux", videoEncoder: "vp9enc", audioEncoder: "opusenc", isImage: false)
        case "ts", "m2ts": return Container(muxer: "mpegtsmux", videoEncoder: "x264enc", audioEncoder: "avenc_aac", isImage: false)
        case "jpg", "jpeg": return Container(muxer: nil, videoEncoder: "jpegenc", audioEncoder: "", isImage: true)
        case "png": return Container(muxer: nil, videoEncoder: "pngenc", audioEncoder: "", isImage: true)
        default: return nil
        }
    }

    static func isImage(_ path: String) -> Bool {
        ["jpg", "jpeg", "png", "bmp", "tif", "tiff", "webp"].contains(path.split(separator: ".").last?.lowercased() ?? "")
    }
}
