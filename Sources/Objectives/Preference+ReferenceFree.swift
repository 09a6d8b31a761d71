import Foundation
import Engine

// Reference-free preference objectives: SimPO and ORPO. Both work on LENGTH-AVERAGED log-probabilities
// (log π_θ(y|x) / |y|) and take no reference model at all — their signatures have no reference inputs.

/// SimPO (Meng et al. 2024, "SimPO: Simple Preference Optimization with a Reference-Free Reward"):
///
///     L = −mean_i log σ( β·log π_θ(y_c|x)/|y_c| − β·log π_θ(y_r|x)/|y_r| − γ )
///
/// Inputs: summed log-probs [N] (differentiable) and lengths |y| [N] (constants); no reference. Defaults β = 2.0,
/// γ = 1.0 (the SimPO repository's Llama-3-8B-Base setting: β = 2, γ/β = 0.5; its other settings use β 2–10). TRL codes it in `CPOTrainer` with
/// `loss_type="simpo"` (averaged log-probs, `logits = chosen − rejected − simpo_gamma/beta`,
/// `-F.logsigmoid(beta * logits)`, the same value); TRL's `CPOConfig` defaults (β = 0.1, γ = 0.5) are CPO's, and its
/// `cpo_alpha` NLL term, 1.0 by default, is CPO's and is not part of SimPO (set `cpo_alpha=0` to match this).
/// Reported rewards are TRL's: β·log π_θ(y|x)/|y|.
public func simpoLoss(chosenLogProbs: Tensor, rejectedLogProbs: Tensor, chosenLengths: Tensor, rejectedLengths: Tensor,
                      beta: Float = 2.0, gamma: Float = 1.0) -> PreferenceLossResult {
    checkSequenceInputs("simpoLoss", chosenLogProbs, rejectedLogProbs, chosenLengths, rejectedLengths)
    let chosenReward = beta * (chosenLogProbs / chosenLengths.detached())         // β/|y_c| · log π_θ(y_c|x), [N]
    let rejectedReward = beta * (rejectedLogProbs / rejectedLengths.detached())   // β/|y_r| · log π_θ(y_r|x), [N]
    let loss = -(chosenReward - rejectedReward - gamma).logSigmoid().mean()
    return PreferenceLossResult(loss: loss, diagnostics: .measure(chosenRewards: chosenReward, rejectedRewards: rejectedReward))
}

/// ORPO (Hong et al. 2024, "ORPO: Monolithic Preference Optimization without Reference Model", Eqs. 4–7):
///
///     P_θ(y|x)   = exp( log π_θ(y|x) / |y| )                       (mean per-token log-prob)
///     odds(y|x)  = P / (1 − P),   log odds = log P − log(1 − P)
///     L_SFT      = −Σ_i log π_θ(y_c,i|x_i) / Σ_i |y_c,i|            (NLL of the chosen responses, token mean)
///     L_OR       = −mean_i log σ( log odds(y_c,i) − log odds(y_r,i) )
///     L          = L_SFT + β · L_OR
///
/// Inputs: summed log-probs [N] and lengths [N]; no reference. Default β = 0.1 (TRL's `ORPOConfig.beta`, the paper's λ).
/// TRL codes it in `ORPOTrainer.odds_ratio_loss`: `log_odds = (chosen − rejected) − (log1p(−exp(chosen)) −
/// log1p(−exp(rejected)))` on averaged log-probs, `loss = policy_nll_loss − beta · logsigmoid(log_odds).mean()`, where
/// `policy_nll_loss` is the cross-entropy over all chosen response tokens (a token mean, as `L_SFT` here).
/// log(1 − P) is computed stably (see `logOneMinusExp`). Reported rewards are TRL's: β·log π_θ(y|x)/|y|; extras
/// "nll_loss", "log_odds_ratio" (mean log σ of the log odds ratio) and "log_odds_chosen" (mean log odds ratio).
public func orpoLoss(chosenLogProbs: Tensor, rejectedLogProbs: Tensor, chosenLengths: Tensor, rejectedLengths: Tensor,
                     beta: Float = 0.1) -> PreferenceLossResult {
    checkSequenceInputs("orpoLoss", chosenLogProbs, rejectedLogProbs, chosenLengths, rejectedLengths)
    let chosenMeanLogProb = chosenLogProbs / chosenLengths.detached()             // log P_θ(y_c|x), [N]
    let rejectedMeanLogProb = rejectedLogProbs / rejectedLengths.detached()       // log P_θ(y_r|x), [N]
    let negativeLogLikelihood = -(chosenLogProbs.sum() / chosenLengths.detached().sum())
    let logOddsChosen = chosenMeanLogProb - logOneMinusExp(chosenMeanLogProb)
    let logOddsRejected = rejectedMeanLogProb - logOneMinusExp(rejectedMeanLogProb)
    let logOddsRatio = logOddsChosen - logOddsRejected                            // [N]
    let oddsRatioLoss = -logOddsRatio.logSigmoid().mean()
    let loss = negativeLogLikelihood + beta * oddsRatioLoss
    let extras = ["nll_loss": Double(negativeLogLikelihood.item), "log_odds_ratio": -Double(oddsRatioLoss.item),
                  "log_odds_chosen": logOddsRatio.scalars.reduce(0.0) { $0 + Double($1) } / Double(logOddsRatio.count)]
    return PreferenceLossResult(loss: loss, diagnostics: .measure(chosenRewards: beta * chosenMeanLogProb,
                                                                  rejectedRewards: beta * rejectedMeanLogProb, extras: extras))
}

/// log(1 − eˣ) for x < 0, elementwise, accurate over the whole range (Mächler 2012, "Accurately Computing
/// log(1 − exp(−|a|))"): log(−expm1(x)) for x > −ln 2, log1p(−eˣ) otherwise, in Double. TRL writes
/// `torch.log1p(-torch.exp(x))`, the second branch everywhere, which loses precision as x → 0⁻ (P → 1).
/// Gradient: d/dx log(1 − eˣ) = −1 / (e^{−x} − 1). The engine has no such op, so the result is built as
/// value + (x − sg(x)) · slope: the forward value is the exact constant, the backward pass carries the exact slope.
/// A mean log-prob of 0 (P = 1, infinite odds) is evaluated at x = −1e-7 (gradient 0 there), to stay finite.
private func logOneMinusExp(_ x: Tensor) -> Tensor {
    let ceiling = -1e-7
    var values = [Float](), slopes = [Float]()
    values.reserveCapacity(x.count); slopes.reserveCapacity(x.count)
    for v in x.scalars {
        let xd = Swift.min(Double(v), ceiling)
        values.append(Float(xd > -M_LN2 ? Foundation.log(-Foundation.expm1(xd)) : Foundation.log1p(-Foundation.exp(xd))))
        slopes.append(Double(v) > ceiling ? 0 : Float(-1 / Foundation.expm1(-xd)))
    }
    let g = x.graph
    return g.constant(values, x.shape) + (x - x.detached()) * g.constant(slopes, x.shape)
}

/// Shape checks shared by the reference-free objectives: four [N] tensors, lengths positive.
private func checkSequenceInputs(_ name: String, _ chosen: Tensor, _ rejected: Tensor, _ chosenLengths: Tensor, _ rejectedLengths: Tensor) {
    require(chosen.rank == 1 && [rejected, chosenLengths, rejectedLengths].allSatisfy { $0.shape == chosen.shape },
            "\(name): inputs must all be [N]; got \(chosen.shape), \(rejected.shape), \(chosenLengths.shape), \(rejectedLengths.shape)")
    require(chosenLengths.scalars.allSatisfy { $0 > 0 } && rejectedLengths.scalars.allSatisfy { $0 > 0 },
            "\(name): every response needs at least one token")
}
