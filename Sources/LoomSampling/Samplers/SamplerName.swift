/// The `sampler_name` values Loom implements, spelled as ComfyUI spells them.
public enum SamplerName: String, CaseIterable, Sendable {
    case euler
    case eulerAncestral = "euler_ancestral"
    case heun
    case heunPP2 = "heunpp2"
    case dpm2 = "dpm_2"
    case dpm2Ancestral = "dpm_2_ancestral"
    case lms
    case dpmFast = "dpm_fast"
    case dpmAdaptive = "dpm_adaptive"
    case dpmpp2SAncestral = "dpmpp_2s_ancestral"
    case dpmppSDE = "dpmpp_sde"
    case dpmpp2M = "dpmpp_2m"
    case dpmpp2MSDE = "dpmpp_2m_sde"
    case dpmpp2MSDEHeun = "dpmpp_2m_sde_heun"
    case dpmpp3MSDE = "dpmpp_3m_sde"
    case ddim
    case uniPC = "uni_pc"
    case uniPCBH2 = "uni_pc_bh2"
    case ddpm
    case lcm
    case ipndm
    case ipndmV = "ipndm_v"
    case deis
    case resMultistep = "res_multistep"
    case resMultistepAncestral = "res_multistep_ancestral"
    case gradientEstimation = "gradient_estimation"
    case erSDE = "er_sde"
    case seeds2 = "seeds_2"
    case seeds3 = "seeds_3"
    case saSolver = "sa_solver"
    case saSolverPECE = "sa_solver_pece"

    /// Every sampler name ComfyUI's KSampler accepts (`comfy.samplers.SAMPLER_NAMES`), in its order.
    public static let comfyUINames = [
        "euler", "euler_cfg_pp", "euler_ancestral", "euler_ancestral_cfg_pp", "heun", "heunpp2", "dpm_2",
        "dpm_2_ancestral", "lms", "dpm_fast", "dpm_adaptive", "dpmpp_2s_ancestral", "dpmpp_2s_ancestral_cfg_pp",
        "dpmpp_sde", "dpmpp_sde_gpu", "dpmpp_2m", "dpmpp_2m_cfg_pp", "dpmpp_2m_sde", "dpmpp_2m_sde_gpu",
        "dpmpp_2m_sde_heun", "dpmpp_2m_sde_heun_gpu", "dpmpp_3m_sde", "dpmpp_3m_sde_gpu", "ddpm", "lcm", "ipndm",
        "ipndm_v", "deis", "res_multistep", "res_multistep_cfg_pp", "res_multistep_ancestral",
        "res_multistep_ancestral_cfg_pp", "gradient_estimation", "gradient_estimation_cfg_pp", "er_sde", "seeds_2",
        "seeds_3", "sa_solver", "sa_solver_pece", "ddim", "uni_pc", "uni_pc_bh2",
    ]

    /// Parses a workflow's sampler name; ComfyUI names Loom lacks are reported as such, never
    /// replaced by another sampler.
    public init(named name: String) throws(SamplingError) {
        if let known = SamplerName(rawValue: name) {
            self = known
        } else if Self.comfyUINames.contains(name) {
            throw .unimplementedSampler(name)
        } else {
            throw .unknownSampler(name)
        }
    }

    /// The algorithm with ComfyUI's default options.
    public var sampler: any Sampler {
        switch self {
        case .euler, .ddim: EulerSampler()
        case .eulerAncestral: EulerAncestralSampler()
        case .heun: HeunSampler()
        case .heunPP2: HeunPP2Sampler()
        case .dpm2: DPM2Sampler()
        case .dpm2Ancestral: DPM2AncestralSampler()
        case .lms: LMSSampler()
        case .dpmFast: DPMFastSampler()
        case .dpmAdaptive: DPMAdaptiveSampler()
        case .dpmpp2SAncestral: DPMPP2SAncestralSampler()
        case .dpmppSDE: DPMPPSDESampler()
        case .dpmpp2M: DPMPP2MSampler()
        case .dpmpp2MSDE: DPMPP2MSDESampler(solver: .midpoint)
        case .dpmpp2MSDEHeun: DPMPP2MSDESampler(solver: .heun)
        case .dpmpp3MSDE: DPMPP3MSDESampler()
        case .uniPC: UniPCSampler(variant: .bh1)
        case .uniPCBH2: UniPCSampler(variant: .bh2)
        case .ddpm: DDPMSampler()
        case .lcm: LCMSampler()
        case .ipndm: IPNDMSampler()
        case .ipndmV: IPNDMVSampler()
        case .deis: DEISSampler()
        case .resMultistep: ResMultistepSampler(eta: 0)
        case .resMultistepAncestral: ResMultistepSampler(eta: 1)
        case .gradientEstimation: GradientEstimationSampler()
        case .erSDE: ERSDESampler()
        case .seeds2: SEEDSSampler.seeds2
        case .seeds3: SEEDSSampler.seeds3
        case .saSolver: SASolverSampler()
        case .saSolverPECE: SASolverSampler(evaluatesCorrectedState: true)
        }
    }

    /// KSampler schedules one step more for these and drops the second-to-last sigma, because
    /// their steps evaluate the model between two sigmas.
    public var discardsPenultimateSigma: Bool {
        [.dpm2, .dpm2Ancestral, .uniPC, .uniPCBH2].contains(self)
    }

    /// The per-step noise ComfyUI gives the sampler: a Brownian tree over the schedule for the SDE
    /// samplers, otherwise a generator seeded with the run's seed.
    public func noiseSampler(seed: UInt64, sigmas: [Float], count: Int) -> any NoiseSampler {
        switch self {
        case .dpmppSDE, .dpmpp2MSDE, .dpmpp2MSDEHeun, .dpmpp3MSDE: BrownianTreeNoiseSampler(seed: seed, sigmas: sigmas, count: count)
        default: SeededNoiseSampler(seed: seed, count: count)
        }
    }

    /// ComfyUI's `ddim` is Euler whose inpainting blend uses its own noise, drawn from seed + 1.
    public var drawsSeparateInpaintNoise: Bool { self == .ddim }
}
