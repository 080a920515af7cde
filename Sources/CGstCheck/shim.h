// GstHarness for the element tests only; the plugin never links libgstcheck.
#include <gst/check/gstharness.h>
