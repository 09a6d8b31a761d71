import Foundation
import Engine

/// KTO (Ethayarajh et al. 2024, "KTO: Model Alignment as Prospect Theoretic Optimization", Eq. 7), exactly as TRL's
/// `KTOTrainer.kto_loss` (loss_type="kto") codes it. Unpaired data: each completion y_i of prompt x_i is labelled
/// desirable or undesirable.
///
///     r_i = log π_θ(y_i|x_i) − log π_ref(y_i|x_i)                       (summed log-probs)
///     z   = sg( max(0, mean_j [log π_θ(y'_j|x_j) − log π_ref(y'_j|x_j)]) )   (the KL baseline)
///     ℓ_i = λ_D · (1 − σ(β (r_i − z)))   if y_i is desirable
///           λ_U · (1 − σ(β (z − r_i)))   if y_i is undesirable
///     L   = mean_i ℓ_i                                                   (over desirable and undesirable together)
///
/// The baseline z is TRL's batch estimate of KL(π_θ ‖ π_ref): the mean log-ratio of MISMATCHED pairs (x_j, y'_j),
/// where y'_j is the completion of another prompt of the batch (TRL shifts completions by one:
/// `ktoMismatchedCompletionIndices`), clamped at 0 and DETACHED — no gradient flows through z
/// (`.mean().detach()` then `.clamp(min=0)` in TRL; under data parallelism TRL also averages z across devices).
/// Defaults: β = 0.1, λ_D = λ_U = 1 (TRL's `KTOConfig`); the paper advises λ_D·n_D / (λ_U·n_U) ∈ [1, 4/3].
///
/// Inputs: `logProbs`, `referenceLogProbs` [N] with `desirable` [N] labels; `klLogProbs`, `referenceKLLogProbs` [M] of
/// the mismatched pairs (values only are read). Reported rewards are TRL's β·r_i, averaged over the desirable
/// (`chosenReward`) and undesirable (`rejectedReward`) completions (NaN when there are none); accuracy is NaN
/// (there are no pairs); extras["kl"] = z.
public func ktoLoss(logProbs: Tensor, referenceLogProbs: Tensor, desirable: [Bool], klLogProbs: Tensor,
                    referenceKLLogProbs: Tensor, beta: Float = 0.1, desirableWeight: Float = 1,
                    undesirableWeight: Float = 1) -> PreferenceLossResult {
    require(klLogProbs.shape == referenceKLLogProbs.shape && klLogProbs.count > 0,
            "ktoLoss: KL log-probs \(klLogProbs.shape) vs \(referenceKLLogProbs.shape) (need equal, non-empty)")
    let policyKL = klLogProbs.scalars, referenceKL = referenceKLLogProbs.scalars
    var klEstimate = 0.0
    for j in 0..<policyKL.count { klEstimate += Double(policyKL[j]) - Double(referenceKL[j]) }
    let z = Float(Swift.max(0, klEstimate / Double(policyKL.count)))              // sg(max(0, mean KL estimate))
    return ktoLoss(logProbs: logProbs, referenceLogProbs: referenceLogProbs, desirable: desirable, klBaseline: z,
                   beta: beta, desirableWeight: desirableWeight, undesirableWeight: undesirableWeight)
}

/// KTO with a given, fixed baseline z (a constant): the loss above after z has been computed. `ktoLoss(…klLogProbs…)`
/// calls this; it is public so that a loop can supply its own estimate (e.g. a running mean) and so that the
/// tests can compare the detached-baseline gradient against finite differences at fixed z.
public func ktoLoss(logProbs: Tensor, referenceLogProbs: Tensor, desirable: [Bool], klBaseline z: Float,
                    beta: Float = 0.1, desirableWeight: Float = 1, undesirableWeight: Float = 1) -> PreferenceLossResult {
    require(logProbs.rank == 1 && referenceLogProbs.shape == logProbs.shape && desirable.count == logProbs.count,
            "ktoLoss: log-probs \(logProbs.shape), reference \(referenceLogProbs.shape), \(desirable.count) labels (need [N] each)")
    let g = logProbs.graph
    let logRatio = logProbs - referenceLogProbs.detached()                          // r_i, [N]
    let desirableLoss = desirableWeight * (1 - (beta * (logRatio - z)).sigmoid())     // λ_D (1 − σ(β(r − z)))
    let undesirableLoss = undesirableWeight * (1 - (beta * (z - logRatio)).sigmoid()) // λ_U (1 − σ(β(z − r)))
    let isDesirable = g.constant(desirable.map { $0 ? Float(1) : 0 }, logProbs.shape)
    let loss = select(isDesirable, desirableLoss, undesirableLoss).mean()

    var chosen = 0.0, rejected = 0.0, nChosen = 0.0, nRejected = 0.0
    for (r, d) in zip(logRatio.scalars, desirable) {
        if d { chosen += Double(beta * r); nChosen += 1 } else { rejected += Double(beta * r); nRejected += 1 }
    }
    let chosenReward = nChosen > 0 ? chosen / nChosen : .nan, rejectedReward = nRejected > 0 ? rejected / nRejected : .nan
    return PreferenceLossResult(loss: loss, diagnostics: PreferenceDiagnostics(
        chosenReward: chosenReward, rejectedReward: rejectedReward, margin: chosenReward - rejectedReward,
        accuracy: .nan, extras: ["kl": Double(z)]))
}

/// TRL's mismatched pairing for KTO's KL baseline (`_get_kl_dataset`): completions shifted by one place, so prompt i
/// is paired with the completion of prompt (i − 1) mod n. Returns that completion index for each prompt.
public func ktoMismatchedCompletionIndices(count n: Int) -> [Int] {
    require(n >= 2, "ktoMismatchedCompletionIndices: need at least 2 examples, got \(n)")
    return (0..<n).map { ($0 - 1 + n) % n }
}
