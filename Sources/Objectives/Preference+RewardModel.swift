import Foundation
import Engine

/// Bradley–Terry reward-model loss (Bradley & Terry 1952; Ouyang et al. 2022, "InstructGPT", Eq. 1):
///
///     L = −mean_i log σ(r_c,i − r_r,i)  +  c · mean_i (r_c,i + r_r,i)²
///
/// `chosenRewards`, `rejectedRewards` are the scalar rewards r_θ(x, y) [N] that the reward model gives the chosen
/// and rejected responses (differentiable). The second term is TRL's optional `center_rewards_coefficient` c
/// (Eisenstein et al. 2023), which keeps rewards centred at 0; default c = 0 (TRL's default None), the plain
/// Bradley–Terry loss. TRL codes it in `RewardTrainer.compute_loss`:
/// `-nn.functional.logsigmoid(rewards_chosen - rewards_rejected).mean()` (+ the centring term).
/// Diagnostics: mean rewards, margin, and accuracy = share of pairs with r_c > r_r.
/// RLHF then trains the policy on this reward with a KL-regularised policy gradient (the training loops' job).
public func bradleyTerryLoss(chosenRewards: Tensor, rejectedRewards: Tensor, centerRewardsCoefficient: Float = 0) -> PreferenceLossResult {
    require(chosenRewards.rank == 1 && rejectedRewards.shape == chosenRewards.shape,
            "bradleyTerryLoss: rewards \(chosenRewards.shape) vs \(rejectedRewards.shape) (need [N] each)")
    var loss = -(chosenRewards - rejectedRewards).logSigmoid().mean()
    if centerRewardsCoefficient != 0 {
        loss = loss + centerRewardsCoefficient * (chosenRewards + rejectedRewards).square().mean()
    }
    return PreferenceLossResult(loss: loss, diagnostics: .measure(chosenRewards: chosenRewards, rejectedRewards: rejectedRewards))
}
