import CGStreamer
import SwiftVRPipeline

extension SwiftVR {
    /// Source pad queries: LATENCY adds the window's holding delay; the rest is default
    /// (caps are proxied between the pads).
    func srcQuery(_ pad: UnsafeMutablePointer<GstPad>, _ parent: UnsafeMutablePointer<GstObject>?,
                  _ query: UnsafeMutablePointer<GstQuery>) -> gboolean {
        guard query.pointee.type == GST_QUERY_LATENCY else {
            return gst_pad_query_default(pad, parent, query)
        }
        guard gst_pad_peer_query(sinkPad, query) != 0 else { return 0 }
        var live: gboolean = 0
        var minLatency: GstClockTime = 0, maxLatency: GstClockTime = 0
        gst_query_parse_latency(query, &live, &minLatency, &maxLatency)
        let own = holdingLatency()
        // Saturating: upstream's figures and ours can each be near 2^64 at extreme rates.
        minLatency = GstClockTime(WindowLatency.adding(UInt64(minLatency == clockTimeNone ? 0 : minLatency), UInt64(own)))
        if maxLatency != clockTimeNone { maxLatency = GstClockTime(WindowLatency.adding(UInt64(maxLatency), UInt64(own))) }
        Debug.debug(element, "latency: own \(own) ns, total min \(minLatency) ns")
        gst_query_set_latency(query, live, minLatency, maxLatency)
        return 1
    }

    /// The delay the window adds at the negotiated framerate. For variable-rate caps
    /// (framerate 0/1) it uses `max-framerate` when given, else a nominal 30 fps:
    /// the true delay then depends on when frames arrive.
    func holdingLatency() -> GstClockTime {
        let window = framesHeld
        let format = stateLock.withLock { state.format }
        let rate = format?.framerate ?? (0, 0)
        return GstClockTime(WindowLatency.holding(capacity: window, framerate: rate, maxFramerate: format?.maxFramerate))
    }
}
