import CGStreamer
import SwiftVRPipeline

/// What can go wrong inside the element, each mapped to a GStreamer error domain.
enum ElementError: Error, CustomStringConvertible {
    case notNegotiated(String)
    case unsupportedCaps(String)
    case mapFailed(String)
    case pipeline(PipelineError)
    case modelLoad(path: String, reason: String)

    var description: String {
        switch self {
        case .notNegotiated(let why): return "not negotiated: \(why)"
        case .unsupportedCaps(let why): return "unsupported caps: \(why)"
        case .mapFailed(let why): return "could not map a frame: \(why)"
        case .pipeline(let e): return e.description
        case .modelLoad(let path, let reason): return "model '\(path)': \(reason)"
        }
    }

    var flowReturn: GstFlowReturn {
        switch self {
        case .notNegotiated, .unsupportedCaps: return GST_FLOW_NOT_NEGOTIATED
        case .mapFailed, .pipeline, .modelLoad: return GST_FLOW_ERROR
        }
    }

    /// Posts this error on the bus as GST_ELEMENT_ERROR would: a short text for users,
    /// the details in the debug string.
    func post(from element: UnsafeMutablePointer<GstElement>, text: String,
              file: StaticString = #fileID, function: StaticString = #function, line: UInt = #line) {
        let (domain, code): (GQuark, gint) = {
            switch self {
            case .notNegotiated, .unsupportedCaps:
                return (gst_core_error_quark(), gint(GST_CORE_ERROR_NEGOTIATION.rawValue))
            case .mapFailed, .pipeline:
                return (gst_stream_error_quark(), gint(GST_STREAM_ERROR_FAILED.rawValue))
            case .modelLoad:
                return (gst_resource_error_quark(), gint(GST_RESOURCE_ERROR_OPEN_READ.rawValue))
            }
        }()
        // gst_element_message_full takes ownership of both strings.
        gst_element_message_full(element, GST_MESSAGE_ERROR, domain, code,
                                 g_strdup(text), g_strdup(description),
                                 cString(file), cString(function), gint(line))
    }
}
