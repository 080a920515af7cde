import CGStreamer
import SwiftVRPipeline

extension SwiftVR {
    /// Sink pad chain function: hold the buffer in the window; process and push
    /// every window it completes.
    func chain(_ incoming: BufferRef) -> GstFlowReturn {
        let s = currentSettings
        var buffer = incoming
        var ready: [[BufferRef]] = []
        var format: StreamFormat?
        let blocked: GstFlowReturn? = stateLock.withLock {
            if state.flushing { return GST_FLOW_FLUSHING }
            guard state.format != nil else { return GST_FLOW_NOT_NEGOTIATED }
            if state.window.capacity != s.window, let w = state.window.setCapacity(s.window) {
                ready.append(w)
            }
            // A discontinuity ends the window: frames on both sides do not belong together.
            if isDiscont(buffer), !state.window.isEmpty {
                ready.append(state.window.drain())
            }
            // A frame we hold must not keep an upstream pool buffer (a fixed-size
            // pool, a camera's, would starve); the frame that completes the
            // window leaves at once and needs no copy.
            if state.window.count + 1 < state.window.capacity, buffer.pointee.pool != nil,
               let copy = gst_buffer_copy_deep(buffer) {
                gst_buffer_unref(buffer)
                buffer = copy
            }
            if let w = state.window.append(buffer) { ready.append(w) }
            format = state.format
            return nil
        }

        if let blocked {
            gst_buffer_unref(buffer)
            if blocked == GST_FLOW_NOT_NEGOTIATED {
                ElementError.notNegotiated("buffer before caps").post(from: element, text: "No caps before the first buffer")
            }
            return blocked
        }
        guard let format else { release(ready.joined()); return GST_FLOW_NOT_NEGOTIATED }
        return pushWindows(ready, format: format, strength: s.strength)
    }

    /// Drains a partial window under the current format (EOS, SEGMENT, GAP, caps change).
    func drain(reason: String) -> GstFlowReturn {
        let (held, format, strength) = stateLock.withLock { (state.window.drain(), state.format, currentSettings.strength) }
        guard !held.isEmpty else { return GST_FLOW_OK }
        Debug.debug(element, "draining \(held.count) frame(s): \(reason)")
        guard let format else { release(held); return GST_FLOW_NOT_NEGOTIATED }
        return pushWindows([held], format: format, strength: strength)
    }

    /// Processes and pushes windows in order; on the first non-OK push the rest are
    /// dropped and that flow return goes upstream (FLUSHING, EOS, errors alike).
    private func pushWindows(_ windows: [[BufferRef]], format: StreamFormat, strength: Double) -> GstFlowReturn {
        var remaining = windows[...]
        while let window = remaining.popFirst() {
            let ret = processAndPush(window, format: format, strength: strength)
            if ret != GST_FLOW_OK {
                release(remaining.joined())
                return ret
            }
        }
        return GST_FLOW_OK
    }

    private func processAndPush(_ window: [BufferRef], format: StreamFormat, strength: Double) -> GstFlowReturn {
        var frames = window
        if strength > 0 {
            do {
                try process(&frames, format: format, strength: Float(strength))
            } catch {
                error.post(from: element, text: "Could not restore a window of \(frames.count) frame(s)")
                release(frames)
                return error.flowReturn
            }
        }
        for (i, buffer) in frames.enumerated() {
            let ret = gst_pad_push(srcPad, buffer)
            if ret != GST_FLOW_OK {
                Debug.debug(element, "push returned \(String(cString: gst_flow_get_name(ret))); dropping \(frames.count - i - 1) frame(s)")
                release(frames[(i + 1)...])
                return ret
            }
        }
        return GST_FLOW_OK
    }

    /// Maps the window (writable when the processor writes) and runs the processor.
    private func process(_ frames: inout [BufferRef], format: StreamFormat, strength: Float) throws(ElementError) {
        if processor.writesPixels {
            for i in frames.indices {
                frames[i] = UnsafeMutableRawPointer(gst_mini_object_make_writable(
                    UnsafeMutableRawPointer(frames[i]).assumingMemoryBound(to: GstMiniObject.self)))
                    .assumingMemoryBound(to: GstBuffer.self)
            }
        }
        var mapped = try MappedWindow(buffers: frames, format: format, writable: processor.writesPixels)
        defer { mapped.unmap() }
        do {
            try processor.process(mapped.views, strength: strength)
        } catch {
            throw .pipeline(error)
        }
    }

    private func isDiscont(_ b: BufferRef) -> Bool {
        b.pointee.mini_object.flags & GST_BUFFER_FLAG_DISCONT.rawValue != 0
    }
}
