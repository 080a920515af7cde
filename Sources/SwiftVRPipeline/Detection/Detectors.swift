import SwiftVRModels
import SwiftVRTensor

/// The detector a weights file holds, picked by its `architecture` metadata. A second
/// detector adds its folder beside `CenterFace/` and one case here.
public enum Detectors {
    public static func load(path: String) throws(TensorError) -> FaceDetecting {
        let store = try WeightStore(path: path)
        switch store.metadata["architecture"] {
        case "centerface":
            return CenterFaceDetector(model: try CenterFace(store: store, path: path))
        case let other:
            throw .badMetadata("'\(path)' is not a face detector this build knows (architecture: \(other ?? "none"); known: centerface)")
        }
    }
}
