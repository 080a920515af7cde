import CGStreamer

/// GObject class of the element: registered once, on first use.
public let swiftvrElementType: GType = {
    var info = GTypeInfo()
    info.class_size = guint16(MemoryLayout<SwiftVRClass>.size)
    info.class_init = classInit
    info.instance_size = guint16(MemoryLayout<SwiftVRInstance>.size)
    info.instance_init = instanceInit
    return g_type_register_static(gst_element_get_type(), cString("GstSwiftVR"), &info, GTypeFlags(rawValue: 0))
}()

/// Registers the `swiftvr` element with a plugin (the plugin's init function).
public func registerElements(_ plugin: OpaquePointer?) -> gboolean {
    if let plugin, let file = gst_plugin_get_filename(plugin) { ModelLocator.pluginFile = String(cString: file) }
    return gst_element_register(plugin, cString("swiftvr"), guint(GST_RANK_NONE.rawValue), swiftvrElementType)
}

nonisolated(unsafe) private var parentClass: UnsafeMutablePointer<GstElementClass>!

private let classInit: @convention(c) (gpointer?, gpointer?) -> Void = { klass, _ in
    guard let klass else { return }
    Debug.initCategory()
    parentClass = g_type_class_peek_parent(klass).assumingMemoryBound(to: GstElementClass.self)

    let objectClass = klass.assumingMemoryBound(to: GObjectClass.self)
    objectClass.pointee.set_property = setProperty
    objectClass.pointee.get_property = getProperty
    objectClass.pointee.finalize = finalize
    Properties.install(on: objectClass)

    let elementClass = klass.assumingMemoryBound(to: GstElementClass.self)
    elementClass.pointee.change_state = changeState
    gst_element_class_set_static_metadata(elementClass,
        cString("Swift face video restorer"),
        cString("Filter/Effect/Video"),
        cString(ElementDocs.description),
        cString(PluginInfo.author))
    for (name, direction) in [("sink", GST_PAD_SINK), ("src", GST_PAD_SRC)] {
        let caps = gst_caps_from_string(templateCaps)
        name.withCString { n in
            gst_element_class_add_pad_template(elementClass, gst_pad_template_new(n, direction, GST_PAD_ALWAYS, caps))
        }
        gst_caps_unref(caps)
    }
}

private let instanceInit: @convention(c) (UnsafeMutablePointer<GTypeInstance>?, gpointer?) -> Void = { object, klass in
    guard let object, let klass else { return }
    let element = UnsafeMutableRawPointer(object).assumingMemoryBound(to: GstElement.self)
    let elementClass = klass.assumingMemoryBound(to: GstElementClass.self)
    let sink = gst_pad_new_from_template(gst_element_class_get_pad_template(elementClass, cString("sink")), cString("sink"))!
    let src = gst_pad_new_from_template(gst_element_class_get_pad_template(elementClass, cString("src")), cString("src"))!
    gst_pad_set_chain_function_full(sink, chainFunction, nil, nil)
    gst_pad_set_event_function_full(sink, sinkEventFunction, nil, nil)
    gst_pad_set_query_function_full(src, srcQueryFunction, nil, nil)
    // Same caps in and out, and allocation decided downstream: held pool buffers
    // are copied (see Chain.swift) rather than pinning a pool.
    sink.pointee.object.flags |= GST_PAD_FLAG_PROXY_CAPS.rawValue | GST_PAD_FLAG_PROXY_ALLOCATION.rawValue
    src.pointee.object.flags |= GST_PAD_FLAG_PROXY_CAPS.rawValue
    gst_element_add_pad(element, sink)
    gst_element_add_pad(element, src)
    let impl = SwiftVR(element: element, sinkPad: sink, srcPad: src)
    instance(object).pointee.impl = Unmanaged.passRetained(impl).toOpaque()
}

private let finalize: @convention(c) (UnsafeMutablePointer<GObject>?) -> Void = { object in
    guard let object else { return }
    if let impl = instance(object).pointee.impl {
        instance(object).pointee.impl = nil
        Unmanaged<SwiftVR>.fromOpaque(impl).release()
    }
    parentClass.withMemoryRebound(to: GObjectClass.self, capacity: 1) { $0.pointee.finalize?(object) }
}

private let changeState: @convention(c) (UnsafeMutablePointer<GstElement>?, GstStateChange) -> GstStateChangeReturn = { element, transition in
    guard let element, let impl = SwiftVR.from(element) else { return GST_STATE_CHANGE_FAILURE }
    switch transition {
    case GST_STATE_CHANGE_NULL_TO_READY: if !impl.start() { return GST_STATE_CHANGE_FAILURE }
    case GST_STATE_CHANGE_READY_TO_PAUSED:
        // A model path set in READY takes effect here (the properties are mutable in READY).
        if impl.modelsChanged && !impl.start() { return GST_STATE_CHANGE_FAILURE }
        impl.resetStream()
    default: break
    }
    let ret = parentClass.pointee.change_state?(element, transition) ?? GST_STATE_CHANGE_SUCCESS
    if ret == GST_STATE_CHANGE_FAILURE { return ret }
    switch transition {
    case GST_STATE_CHANGE_PAUSED_TO_READY: impl.resetStream()
    case GST_STATE_CHANGE_READY_TO_NULL: impl.stop()
    default: break
    }
    return ret
}

// MARK: - Pad functions (C entry points; they only find the Swift object and forward)

private let chainFunction: GstPadChainFunction = { pad, parent, buffer in
    guard let buffer else { return GST_FLOW_ERROR }
    guard let parent, let impl = SwiftVR.from(parent) else { gst_buffer_unref(buffer); return GST_FLOW_ERROR }
    return impl.chain(buffer)
}

private let sinkEventFunction: GstPadEventFunction = { pad, parent, event in
    guard let pad, let event else { return 0 }
    guard let parent, let impl = SwiftVR.from(parent) else { gst_event_unref(event); return 0 }
    return impl.sinkEvent(pad, parent, event)
}

private let srcQueryFunction: GstPadQueryFunction = { pad, parent, query in
    guard let pad, let query else { return 0 }
    guard let parent, let impl = SwiftVR.from(parent) else { return 0 }
    return impl.srcQuery(pad, parent, query)
}
