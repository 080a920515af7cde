// The few things Swift cannot import from GStreamer's headers: C-layout
// instance structs and function-like macros. Everything else is called directly.
#ifndef SWIFTVR_CGSTREAMER_SHIM_H
#define SWIFTVR_CGSTREAMER_SHIM_H

#include <gst/gst.h>
#include <gst/video/video.h>

// GObject instance and class layout of the swiftvr element. `impl` holds a
// retained pointer to the Swift object that owns settings and stream state.
typedef struct {
    GstElement parent;
    void *impl;
} SwiftVRInstance;

typedef struct {
    GstElementClass parent_class;
} SwiftVRClass;

// GST_PARAM_MUTABLE_PLAYING and friends are shift expressions Swift does not import.
static inline GParamFlags swiftvr_param_flags(gboolean mutable_playing) {
    return (GParamFlags)(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                         (mutable_playing ? GST_PARAM_MUTABLE_PLAYING : GST_PARAM_MUTABLE_READY));
}

// GST_VIDEO_FRAME_PLANE_DATA / _STRIDE: fixed-size C arrays import as tuples.
static inline guint8 *swiftvr_frame_plane_data(GstVideoFrame *frame, guint plane) {
    return (guint8 *)frame->data[plane];
}
static inline gint swiftvr_frame_plane_stride(const GstVideoFrame *frame, guint plane) {
    return frame->info.stride[plane];
}
// The memory a plane's pixels must lie in: with a GstVideoMeta each plane is mapped on
// its own (map[plane], found from the meta's offset alone), without one the whole buffer
// is map[0] (whose size gst_video_frame_map has checked).
static inline gsize swiftvr_frame_plane_mapping(const GstVideoFrame *frame, guint plane, const guint8 **start) {
    const GstMapInfo *m = frame->meta ? &frame->map[plane] : &frame->map[0];
    *start = m->data;
    return m->size;
}

// G_TYPE_* fundamental type ids are macro expressions.
static inline GType swiftvr_gtype_uint(void) { return G_TYPE_UINT; }
static inline GType swiftvr_gtype_uint64(void) { return G_TYPE_UINT64; }
static inline GType swiftvr_gtype_double(void) { return G_TYPE_DOUBLE; }
static inline GType swiftvr_gtype_float(void) { return G_TYPE_FLOAT; }

#endif
