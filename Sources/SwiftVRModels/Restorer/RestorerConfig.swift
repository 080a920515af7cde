import SwiftVRTensor

/// The restoration model's architecture, read from the `config` JSON in the weights
/// file's metadata, so weights trained with other sizes load without code changes. The
/// defaults are the shipped model's (training/swiftvr_train/restorer/config.py
/// DEFAULT_CONFIG); a key an older file lacks is read as that file meant it (off, "conv").
public struct RestorerConfig: Sendable, Equatable {
    public var inChannels = 4
    public var channels = [16, 32, 64]
    public var latent = 16
    public var dim = 48, heads = 2, window = 8, mlpRatio = 2
    public var blocks = 2
    public var spatialCodes = 256, temporalCodes = 64
    public var tStar: Float = 1
    /// f_t = codebook entry + a linear map of the continuous temporal features
    /// (restorer/priors.py `TemporalPrior`); absent in older files, which means false.
    public var temporalResidual = true
    /// Missing pixels are push-pull filled before encoding (restorer/fill_missing.py `fill_missing`).
    public var prefill = true
    /// Temporal attention sees only the current and earlier frames, so a frame can be
    /// restored as soon as it arrives (restorer/priors.py `TemporalPrior`).
    public var causalTemporal = true
    /// The down and up paths: NAFNet-style blocks at R/2, R/4 and R/8 (`NAFEncoder`,
    /// `NAFDecoder`), or the first shipped weights' light convolutional autoencoder
    /// (models/README.md says why it stays).
    public enum Backbone: String, Sendable { case conv, naf }
    public var backbone = Backbone.naf
    /// NAF blocks per scale (R/2, R/4, R/8) on the way down and up ("naf" only).
    public var encBlocks = [1, 1, 1], decBlocks = [2, 2, 2]
    /// τ > 0: each token's prior feature is the softmax(logits / τ) mix of the codebook's
    /// entries; 0: the best entry.
    public var codeTemperature: Float = 0.5
    /// f_s = code + a linear map of the continuous spatial features.
    public var spatialResidual = true
    /// The previous frame's R/4 features, gated by f_t, enter the R/4 skip ("naf" only;
    /// restorer/past_features.py `PastFeatures`).
    public var pastFeatures = true
    /// Early fusion: the k earlier input crops enter the encoder (restorer/past_inputs.py
    /// `PastInputs`). A training experiment this engine does not run: only 0 loads.
    public var pastInputs = 0

    public init() {}

    public init(json text: String) throws(TensorError) {
        let parsed: JSON
        do {
            parsed = try JSON.parse(text, what: "the config metadata's JSON")
        } catch .malformedFile(let why) {
            throw .badMetadata(why)
        }
        guard let o = parsed.objectValue else { throw .badMetadata("config is not a JSON object") }
        /// An array of whole numbers; any other element is refused naming the key (not dropped).
        func ints(_ k: String) -> [Int]? {
            guard let a = o[k]?.arrayValue else { return nil }
            let v = a.compactMap(\.indexValue)
            return v.count == a.count ? v : nil
        }
        func int(_ k: String) throws(TensorError) -> Int {
            guard let v = o[k]?.indexValue else { throw .badMetadata("config.\(k) is missing or not a whole number") }
            return v
        }
        inChannels = try int("in_channels")
        guard let ch = ints("channels"), ch.count == 3 else {
            throw .badMetadata("config.channels must be three whole numbers")
        }
        channels = ch
        latent = try int("latent")
        dim = try int("dim")
        heads = try int("heads")
        window = try int("window")
        mlpRatio = try int("mlp_ratio")
        blocks = try int("blocks")
        spatialCodes = try int("spatial_codes")
        temporalCodes = try int("temporal_codes")
        guard case .number(let t)? = o["t_star"] else { throw .badMetadata("config.t_star is missing") }
        tStar = Float(t)
        // Options added after the first shipped weights: absent means off.
        func flag(_ k: String) throws(TensorError) -> Bool {
            switch o[k] {
            case nil, .null?: return false
            case .bool(let b)?: return b
            default: throw .badMetadata("config.\(k) must be true or false")
            }
        }
        temporalResidual = try flag("temporal_residual")
        prefill = try flag("prefill")
        causalTemporal = try flag("causal_temporal")
        spatialResidual = try flag("spatial_residual")
        pastFeatures = try flag("past_features")
        if o["past_inputs"] != nil, o["past_inputs"] != .null { pastInputs = try int("past_inputs") }
        switch o["backbone"] {
        case nil, .null?: backbone = .conv
        case .string(let b)?:
            guard let v = Backbone(rawValue: b) else { throw .badMetadata("config.backbone must be \"conv\" or \"naf\", not \"\(b)\"") }
            backbone = v
        default: throw .badMetadata("config.backbone must be a string")
        }
        if backbone == .naf {
            for (k, dst) in [("enc_blocks", \RestorerConfig.encBlocks), ("dec_blocks", \RestorerConfig.decBlocks)] {
                guard let v = ints(k), v.count == 3, v.allSatisfy({ (0...16).contains($0) }) else {
                    throw .badMetadata("config.\(k) must be three whole numbers from 0 to 16")
                }
                self[keyPath: dst] = v
            }
        }
        switch o["code_temperature"] {
        case nil, .null?: codeTemperature = 0
        case .number(let t)? where t >= 0 && t.isFinite: codeTemperature = Float(t)
        default: throw .badMetadata("config.code_temperature must be a finite number ≥ 0")
        }
        try validate()
    }

    /// Every rule a file's configuration must keep for the model built from it to run
    /// on any input: checked at load, so a file that loads never traps later.
    func validate() throws(TensorError) {
        func rule(_ ok: Bool, _ key: String, _ what: String) throws(TensorError) {
            if !ok { throw .badMetadata("config.\(key) \(what)") }
        }
        // The element hands the model RGB plus the missing-pixel mask: four channels.
        try rule(inChannels == 4, "in_channels", "must be 4 (RGB and the missing-pixel mask), not \(inChannels)")
        try rule(channels.allSatisfy { (1...1024).contains($0) }, "channels", "must be three widths from 1 to 1024, not \(channels)")
        try rule((1...1024).contains(latent), "latent", "must be from 1 to 1024, not \(latent)")
        try rule((1...4096).contains(dim), "dim", "must be from 1 to 4096, not \(dim)")
        try rule(heads > 0 && dim % heads == 0 && (dim / heads) % 4 == 0, "heads",
                 "must split dim \(dim) into heads of a multiple of 4 channels (rotary positions on two axes), not \(heads)")
        try rule((2...64).contains(window), "window", "must be from 2 to 64, not \(window)")
        try rule((1...16).contains(mlpRatio), "mlp_ratio", "must be from 1 to 16, not \(mlpRatio)")
        try rule((0...64).contains(blocks), "blocks", "must be from 0 to 64, not \(blocks)")
        try rule((1...65536).contains(spatialCodes), "spatial_codes", "must be from 1 to 65536, not \(spatialCodes)")
        try rule((1...65536).contains(temporalCodes), "temporal_codes", "must be from 1 to 65536, not \(temporalCodes)")
        try rule(tStar.isFinite, "t_star", "must be a finite number, not \(tStar)")
        try rule(!pastFeatures || backbone == .naf, "past_features", "needs backbone \"naf\" (the R/4 skip it merges into)")
        try rule(codeTemperature.isFinite && codeTemperature >= 0, "code_temperature", "must be a finite number ≥ 0")
        try rule(pastInputs == 0, "past_inputs", "must be 0: early fusion of earlier crops (restorer/past_inputs.py) is not in this engine")
    }

    public var headDim: Int { dim / heads }
}
