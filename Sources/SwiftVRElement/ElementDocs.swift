/// Text shown by gst-inspect-1.0 swiftvr.
enum ElementDocs {
    static let description: StaticString = """
Restores faces in video on the CPU. Faces are detected (CenterFace), tracked, aligned, restored by the restoration \
`model` with a temporal window of `window` frames per face, and pasted back; every frame leaves in order with its \
timestamps, flags and metas, plus one region-of-interest meta per face, and (post-messages) an element message \
'swiftvr' per frame listing its faces. With a causal model (the shipped one) each frame is restored as it arrives, \
seeing the window-1 frames before it, and the element adds no latency; with a non-causal model frames are gathered \
into windows and the element adds (window-1) frames of latency. Without a restoration model installed or set, \
faces are reported but their pixels are left as they are. \
Example: gst-launch-1.0 filesrc location=in.mp4 ! decodebin ! videoconvert ! swiftvr window=4 ! videoconvert ! x264enc ! mp4mux ! filesink location=out.mp4
"""
}
