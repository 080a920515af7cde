"""Python side of swiftvr: model conversion, reference fixtures and (later) training."""
