import CGStreamer
import SwiftVRPipeline

/// The frames of one window mapped into memory, as core `FrameView`s.
/// Mapping goes through gst_video_frame_map, so strides and plane offsets from a
/// buffer's GstVideoMeta are honoured. Unmapped by `unmap()`; never outlives the buffers.
struct MappedWindow {
    private var frames: [UnsafeMutablePointer<GstVideoFrame>] = []
    private(set) var views: [FrameView] = []

    /// Maps every buffer; on failure unmaps what was mapped and throws.
    init(buffers: [UnsafeMutablePointer<GstBuffer>], format: StreamFormat, writable: Bool) throws(ElementError) {
        var info = format.info
        let flags = GstMapFlags(rawValue: GST_MAP_READ.rawValue | (writable ? GST_MAP_WRITE.rawValue : 0))
        frames.reserveCapacity(buffers.count)
        views.reserveCapacity(buffers.count)
        for (i, buffer) in buffers.enumerated() {
            let frame = UnsafeMutablePointer<GstVideoFrame>.allocate(capacity: 1)
            frame.initialize(to: GstVideoFrame())
            guard gst_video_frame_map(frame, &info, buffer, flags) != 0 else {
                frame.deallocate()
                unmap()
                throw .mapFailed("frame \(i) of the window is a buffer of \(gst_buffer_get_size(buffer)) bytes; "
                                 + "\(format.width)x\(format.height) \(format.format.rawValue) needs \(info.size)")
            }
            frames.append(frame)
            do {
                views.append(try Self.view(of: frame, format: format))
            } catch {
                unmap()
                throw .pipeline(error)
            }
        }
    }

    mutating func unmap() {
        for frame in frames {
            gst_video_frame_unmap(frame)
            frame.deallocate()
        }
        frames.removeAll()
        views.removeAll()
    }

    private static func view(of frame: UnsafeMutablePointer<GstVideoFrame>, format: StreamFormat) throws(PipelineError) -> FrameView {
        let w = format.width, h = format.height
        var planes: [Plane] = []
        for p in 0..<format.format.planeCount {
            guard let data = swiftvr_frame_plane_data(frame, guint(p)) else {
                throw .invalidFrame("plane \(p) is not mapped")
            }
            let extent = format.format.planeExtent(p, width: w, height: h)
            let stride = Int(swiftvr_frame_plane_stride(frame, guint(p)))
            // A GstVideoMeta's offsets and strides are the producer's word: the plane's rows
            // must lie inside the memory actually mapped for it.
            var start: UnsafePointer<guint8>?
            let mapped = Int(swiftvr_frame_plane_mapping(frame, guint(p), &start))
            let offset = start.map { UnsafeRawPointer(data) - UnsafeRawPointer($0) } ?? -1
            let (span, overflow) = stride.multipliedReportingOverflow(by: max(extent.rows - 1, 0))
            guard offset >= 0, stride >= extent.rowBytes, !overflow, offset <= mapped,
                  span <= mapped - offset - extent.rowBytes else {
                throw .invalidFrame("plane \(p) (offset \(offset), stride \(stride), \(extent.rows) rows of \(extent.rowBytes) bytes) "
                                    + "does not fit in the \(mapped) bytes mapped for it: the buffer's video meta is wrong")
            }
            planes.append(Plane(base: data, stride: stride, rowBytes: extent.rowBytes, rows: extent.rows))
        }
        return try FrameView(format: format.format, width: w, height: h, planes: planes)
    }
}
