/* A small C host for swiftvr: builds a pipeline, sets the element's properties,
 * counts the frames that come out and watches the bus until EOS or ERROR.
 *
 * Build: cc gst-examples/c/swiftvr-app.c -o swiftvr-app $(pkg-config --cflags --libs gstreamer-1.0)
 * Run:   GST_PLUGIN_PATH=.build/release ./swiftvr-app [num-buffers] [window]
 * Exit status 0 when every frame pushed in came out.
 */
#include <gst/gst.h>
#include <stdio.h>
#include <stdlib.h>

static GstPadProbeReturn count_frame(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
    (void)pad; (void)info;
    (*(guint *)data)++;
    return GST_PAD_PROBE_OK;
}

int main(int argc, char **argv) {
    gst_init(&argc, &argv);
    guint frames_in = argc > 1 ? (guint)atoi(argv[1]) : 30;
    guint window = argc > 2 ? (guint)atoi(argv[2]) : 4;

    gchar *launch = g_strdup_printf(
        "videotestsrc num-buffers=%u ! video/x-raw,format=I420,width=320,height=240,framerate=30/1 "
        "! swiftvr name=vr ! fakesink name=sink", frames_in);
    GError *error = NULL;
    GstElement *pipeline = gst_parse_launch(launch, &error);
    g_free(launch);
    if (!pipeline) {
        fprintf(stderr, "swiftvr-app: %s (is GST_PLUGIN_PATH set?)\n", error->message);
        return 2;
    }

    GstElement *vr = gst_bin_get_by_name(GST_BIN(pipeline), "vr");
    g_object_set(vr, "window", window, "strength", 1.0, NULL);
    guint got_window = 0;
    g_object_get(vr, "window", &got_window, NULL);

    guint frames_out = 0;
    GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
    GstPad *pad = gst_element_get_static_pad(sink, "sink");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, count_frame, &frames_out, NULL);
    gst_object_unref(pad);

    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    GstBus *bus = gst_element_get_bus(pipeline);
    GstMessage *msg = gst_bus_timed_pop_filtered(bus, 60 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    int status = 1;
    if (msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
        gchar *debug = NULL;
        gst_message_parse_error(msg, &error, &debug);
        fprintf(stderr, "swiftvr-app: error from %s: %s\n%s\n", GST_OBJECT_NAME(msg->src), error->message, debug ? debug : "");
        g_clear_error(&error);
        g_free(debug);
    } else if (msg) {
        printf("swiftvr-app: %u frames in, %u frames out, window=%u\n", frames_in, frames_out, got_window);
        status = frames_out == frames_in ? 0 : 1;
    } else {
        fprintf(stderr, "swiftvr-app: no EOS within 60 s\n");
    }
    if (msg) gst_message_unref(msg);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(bus);
    gst_object_unref(sink);
    gst_object_unref(vr);
    gst_object_unref(pipeline);
    return status;
}
