import Foundation
import Engine

// The DPO family (TRL `DPOTrainer.dpo_loss`, loss_type = sigmoid / ipo / hinge / robust). All share the
// preference logit
//     Δ = (log π_θ(y_c) − log π_ref(y_c)) − (log π_θ(y_r) − log π_ref(y_r))
// on SUMMED sequence log-probabilities (IPO: length-averaged, see `ipoLoss`), and report TRL's implicit rewards
// r_c = β(log π_θ(y_c) − log π_ref(y_c)), r_r = β(log π_θ(y_r) − log π_ref(y_r)) as diagnostics.

/// DPO (Rafailov et al. 2023, "Direct Preference Optimization", Eq. 7):
///
///     L = −mean_i log σ(β Δ_i)
///
/// Default β = 0.1 (TRL's `DPOConfig.beta`; the paper uses 0.1–0.5). TRL codes it as `loss_type="sigmoid"`:
/// `-F.logsigmoid(beta * logits)` with `logits = (chosen − rejected) − (ref_chosen − ref_rejected)`, summed log-probs.
/// At Δ = 0 (policy = reference) the loss is log 2.
public func dpoLoss(_ pairs: PreferencePairs, beta: Float = 0.1) -> PreferenceLossResult {
    let (chosenLogRatio, rejectedLogRatio) = logRatios(pairs)
    let delta = chosenLogRatio - rejectedLogRatio                                   // Δ, [N]
    let loss = -(beta * delta).logSigmoid().mean()
    return PreferenceLossResult(loss: loss, diagnostics: .measure(chosenRewards: beta * chosenLogRatio,
                                                                  rejectedRewards: beta * rejectedLogRatio))
}

/// Conservative DPO, cDPO (Mitchell 2023, "A note on DPO with noisy preferences"): DPO with label smoothing ε, the
/// probability that a preference label is flipped:
///
///     L = mean_i [ −(1 − ε) log σ(β Δ_i) − ε log σ(−β Δ_i) ]
///
/// Defaults β = 0.1, ε = 0.1 (TRL's `label_smoothing` defaults to 0, which is plain DPO; ε = 0 here gives DPO
/// exactly). TRL codes it as `loss_type="sigmoid"` with `label_smoothing > 0`.
public func conservativeDPOLoss(_ pairs: PreferencePairs, beta: Float = 0.1, labelSmoothing: Float = 0.1) -> PreferenceLossResult {
    require(labelSmoothing >= 0 && labelSmoothing <= 0.5, "conservativeDPOLoss: labelSmoothing \(labelSmoothing) outside [0, 0.5]")
    let (chosenLogRatio, rejectedLogRatio) = logRatios(pairs)
    let delta = chosenLogRatio - rejectedLogRatio                                   // Δ, [N]
    let epsilon = labelSmoothing
    let losses = -(1 - epsilon) * (beta * delta).logSigmoid() - epsilon * (-beta * delta).logSigmoid()
    return PreferenceLossResult(loss: losses.mean(), diagnostics: .measure(chosenRewards: beta * chosenLogRatio,
                                                                          rejectedRewards: beta * rejectedLogRatio))
}

/// Robust DPO (Chowdhury et al. 2024, "Provably Robust DPO: Aligning Language Models with Noisy Feedback"): the
/// unbiased loss under labels flipped with probability ε:
///
///     L = mean_i [ −(1 − ε) log σ(β Δ_i) + ε log σ(−β Δ_i) ] / (1 − 2ε)
///
/// Defaults β = 0.1, ε = 0.1; needs ε < 0.5, and ε = 0 gives DPO. TRL codes it as `loss_type="robust"` with the
/// same formula (note the + sign: unlike cDPO, the flipped-label term is subtracted out, not added).
public func robustDPOLoss(_ pairs: PreferencePairs, beta: Float = 0.1, labelSmoothing: Float = 0.1) -> PreferenceLossResult {
    require(labelSmoothing >= 0 && labelSmoothing < 0.5, "robustDPOLoss: labelSmoothing \(labelSmoothing) outside [0, 0.5)")
    let (chosenLogRatio, rejectedLogRatio) = logRatios(pairs)
    let delta = chosenLogRatio - rejectedLogRatio                                   // Δ, [N]
    let epsilon = labelSmoothing
    let losses = (-(1 - epsilon) * (beta * delta).logSigmoid() + epsilon * (-beta * delta).logSigmoid()) / (1 - 2 * epsilon)
    return PreferenceLossResult(loss: losses.mean(), diagnostics: .measure(chosenRewards: beta * chosenLogRatio,
                                                                          rejectedRewards: beta * rejectedLogRatio))
}

/// Hinge loss (SLiC, Zhao et al. 2023 "SLiC-HF"; RSO, Liu et al. 2023 "Statistical Rejection Sampling Improves
/// Preference Optimization"):
///
///     L = mean_i max(0, 1 − β Δ_i)
///
/// Default β = 0.1 (1/β is the margin in log-ratio units). TRL codes it as `loss_type="hinge"`:
/// `torch.relu(1 - beta * logits)`. Its gradient is zero once β Δ ≥ 1.
public func hingePreferenceLoss(_ pairs: PreferencePairs, beta: Float = 0.1) -> PreferenceLossResult {
    let (chosenLogRatio, rejectedLogRatio) = logRatios(pairs)
    let delta = chosenLogRatio - rejectedLogRatio                                   // Δ, [N]
    let loss = (1 - beta * delta).relu().mean()
    return PreferenceLossResult(loss: loss, diagnostics: .measure(chosenRewards: beta * chosenLogRatio,
                                                                  rejectedRewards: beta * rejectedLogRatio))
}

/// IPO (Azar et al. 2023, "A General Theoretical Paradigm to Understand Learning from Human Preferences", Eq. 17),
/// on LENGTH-AVERAGED log-ratios (as TRL codes it; the paper's formula has none):
///
///     Δ_avg = (log π_θ(y_c) − log π_ref(y_c)) / |y_c| − (log π_θ(y_r) − log π_ref(y_r)) / |y_r|
///     L     = mean_i (Δ_avg,i − 1/(2β))²
///
/// Default β = 0.1 (TRL; β is the paper's τ). TRL codes it as `loss_type="ipo"`: `concatenated_forward` divides every
/// summed log-prob by its completion length when the loss is IPO, then `(logits - 1/(2*beta))**2`; its reported
/// rewards are β times the averaged log-ratios, as here. Needs `pairs.chosenLengths` / `rejectedLengths`.
public func ipoLoss(_ pairs: PreferencePairs, beta: Float = 0.1) -> PreferenceLossResult {
    guard let chosenLengths = pairs.chosenLengths, let rejectedLengths = pairs.rejectedLengths else {
        fatalError("ipoLoss: IPO needs the response lengths (PreferencePairs.chosenLengths / rejectedLengths)")
    }
    require(chosenLengths.scalars.allSatisfy { $0 > 0 } && rejectedLengths.scalars.allSatisfy { $0 > 0 },
            "ipoLoss: every response needs at least one token")
    let (chosenLogRatio, rejectedLogRatio) = logRatios(pairs)
    let chosenAverageLogRatio = chosenLogRatio / chosenLengths                     // [N]
    let rejectedAverageLogRatio = rejectedLogRatio / rejectedLengths               // [N]
    let deltaAverage = chosenAverageLogRatio - rejectedAverageLogRatio             // Δ_avg, [N]
    let loss = (deltaAverage - 1 / (2 * beta)).square().mean()
    return PreferenceLossResult(loss: loss, diagnostics: .measure(chosenRewards: beta * chosenAverageLogRatio,
                                                                  rejectedRewards: beta * rejectedAverageLogRatio))
}

/// The two policy-to-reference log-ratios, log π_θ(y) − log π_ref(y) for chosen and rejected, [N] each.
private func logRatios(_ pairs: PreferencePairs) -> (chosen: Tensor, rejected: Tensor) {
    (pairs.chosenLogProbs - pairs.referenceChosenLogProbs, pairs.rejectedLogProbs - pairs.referenceRejectedLogProbs)
}
