/// Text shown by gst-inspect-1.0 swiftvr.
enum ElementDocs {
    static let description: StaticString = """
Restores faces in video on the CPU. Frames are gathered into causal temporal windows of `window` frames and processed together; \
every frame leaves in order with its timestamps, flags and metas. The element adds (window-1) frames of latency. \
Until the restoration model lands the processing stage is the identity. \
Example: gst-launch-1.0 filesrc location=in.mp4 ! decodebin ! videoconvert ! swiftvr window=4 ! videoconvert ! x264enc ! mp4mux ! filesink location=out.mp4
"""
}
