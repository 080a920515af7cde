/// Text shown by gst-inspect-1.0 swiftvr.
enum ElementDocs {
    static let description: StaticString = """
Restores faces in video on the CPU. Frames are gathered into causal temporal windows of `window` frames; \
faces are detected (CenterFace), tracked, aligned, restored together per track and window by the restoration `model`, \
and pasted back; every frame leaves in order with its timestamps, flags and metas, plus one region-of-interest meta \
per face, and (post-messages) an element message 'swiftvr' per frame listing its faces. The element adds (window-1) \
frames of latency. Without a restoration model installed or set, faces are reported but their pixels are left as they are. \
Example: gst-launch-1.0 filesrc location=in.mp4 ! decodebin ! videoconvert ! swiftvr window=4 ! videoconvert ! x264enc ! mp4mux ! filesink location=out.mp4
"""
}
