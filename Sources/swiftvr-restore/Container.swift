/// What OUT's extension asks for: the muxer (nil for a still image), the video encoder
/// and the audio encoder used when the input's audio cannot be copied in.
struct Container {
    let muxer: String?
    let videoEncoder: String
    let audioEncoder: String
    let isImage: Bool

    static func forOutput(_ path: Path) -> Container? {
        switch path.fileExtension {
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

    static let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "bmp", "tif", "tiff", "webp"]

    static func isImage(_ path: Path) -> Bool { !path.isStdio && imageExtensions.contains(path.fileExtension) }

    /// OUT's container, checked against the input: a video for a video, an image for an image.
    static func check(output: Path, input: Path) throws(Failure) -> Container {
        guard let c = forOutput(output) else {
            throw Failure(.usage, "'\(output.display)': unknown output type (use .mp4 .mkv .mov .webm .ts .jpg or .png)")
        }
        let imageIn = isImage(input)
        guard c.isImage == imageIn else {
            throw Failure(.usage, imageIn ? "'\(input.display)' is a still image: give an image output (.jpg or .png)"
                                          : "'\(input.display)' is a video: give a video output (.mp4 .mkv .mov .webm .ts)")
        }
        return c
    }
}
