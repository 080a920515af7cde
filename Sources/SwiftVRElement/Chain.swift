import CGStreamer
import SwiftVRPipeline

extension SwiftVR {
    /// Sink pad chain function: hold the buffer in the window; process and push
    /// every window it completes.
    func chain(_ incoming: BufferRef) -> GstFlowReturn {
        let s = currentSettings
        let held = framesHeld
        var buffer = incoming
        var ready: [[BufferRef]] = []
        var format: StreamFormat?
        let blocked: GstFlowReturn? = stateLock.withLock {
            if state.flushing { return GST_FLOW_FLUSHING }
            guard state.format != nil else { return GST_FLOW_NOT_NEGOTIATED }
            if state.window.capacity != held, let w = state.window.setCapacity(held) {
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
        return pushWindows(ready, format: format, settings: s)
    }

    /// Drains a partial window under the current format (EOS, SEGMENT, GAP, caps change).
    func drain(reason: String) -> GstFlowReturn {
        let s = currentSettings
        let (held, format) = stateLock.withLock { (state.window.drain(), state.format) }
        guard !held.isEmpty else { return GST_FLOW_OK }
        Debug.debug(element, "draining \(held.count) frame(s): \(reason)")
        guard let format else { release(held); return GST_FLOW_NOT_NEGOTIATED }
        return pushWindows([held], format: format, settings: s)
    }

    /// Processes and pushes windows in order; on the first non-OK push the rest are
    /// dropped and that flow return goes upstream (FLUSHING, EOS, errors alike).
    private func pushWindows(_ windows: [[BufferRef]], format: StreamFormat, settings: Settings) -> GstFlowReturn {
        var remaining = windows[...]
        while let window = remaining.popFirst() {
            let ret = processAndPush(window, format: format, settings: settings)
            if ret != GST_FLOW_OK {
                release(remaining.joined())
                return ret
            }
        }
        return GST_FLOW_OK
    }

    private func processAndPush(_ window: [BufferRef], format: StreamFormat, settings: Settings) -> GstFlowReturn {
        var frames = window
        // A discontinuity (frames lost upstream) starts every window it is in, and ends the
        // tracks and each face's temporal context: what came before does not continue here.
        if let first = window.first, isDiscont(first) { processor?.reset() }
        var reports: [FrameReport] = []
        if let processor {
            do {
                reports = try process(&frames, format: format, settings: settings, processor: processor)
            } catch {
                // The short text names what was wrong; the debug string carries the details.
                let text: String
                if case .mapFailed(let why) = error {
                    text = "A frame does not match its caps: \(why)"
                } else {
                    text = "Could not restore a window of \(frames.count) frame(s): \(error)"
                }
                error.post(from: element, text: text)
                release(frames)
                return error.flowReturn
            }
        }
        let segment = stateLock.withLock { state.segment }
        for (i, buffer) in frames.enumerated() {
            var out = buffer
            let faces = i < reports.count ? reports[i].faces : []
            if !faces.isEmpty { out = FaceReporting.attachMetas(out, faces: faces, format: format) }
            if settings.postMessages { FaceReporting.postMessage(from: element, buffer: out, faces: faces, segment: segment) }
            let ret = gst_pad_push(srcPad, out)
            if ret != GST_FLOW_OK {
                Debug.debug(element, "push returned \(String(cString: gst_flow_get_name(ret))); dropping \(frames.count - i - 1) frame(s)")
                release(frames[(i + 1)...])
                return ret
            }
        }
        return GST_FLOW_OK
    }

    /// Maps the window (writable when the processor writes) and runs the processor.
    private func process(_ frames: inout [BufferRef], format: StreamFormat, settings: Settings,
                         processor: WindowProcessor) throws(ElementError) -> [FrameReport] {
        let processing = settings.processing
        let writes = processor.writesPixels(processing)
        if writes {
            for i in frames.indices { frames[i] = makeWritable(frames[i]) }
        }
        var mapped = try MappedWindow(buffers: frames, format: format, writable: writes)
        defer { mapped.unmap() }
        do {
            let result = try processor.process(mapped.views, colorimetry: format.colorimetry, settings: processing)
            Debug.debug(element, result.timings.description)
            if !result.passedThrough.isEmpty { warnPassedThrough(result.passedThrough, model: settings.restorationModel) }
            return result.reports
        } catch {
            throw .pipeline(error)
        }
    }

    private func isDiscont(_ b: BufferRef) -> Bool {
        b.pointee.mini_object.flags & GST_BUFFER_FLAG_DISCONT.rawValue != 0
    }

    /// One WARNING per face whose restoration was not finite: the face passes through
    /// unrestored, and the user hears why once, not every frame.
    private func warnPassedThrough(_ tracks: Set<UInt32>, model: String?) {
        let new = stateLock.withLock { () -> [UInt32] in
            let fresh = tracks.subtracting(state.warnedNonFinite)
            state.warnedNonFinite.formUnion(fresh)
            return fresh.sorted()
        }
        for id in new {
            let path = model ?? ModelLocator.restorerPath() ?? "the shipped model"
            Debug.warning(element, "face \(id): the restoration model's output is not finite; passed through")
            postWarning("The restoration model gave a non-finite output for face \(id); the face is passed through unrestored",
                        debug: "model '\(path)': its weights overflow on this input")
        }
    }
}
