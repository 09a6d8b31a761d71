import Foundation
import Engine

// Advantage estimators of the policy-gradient family. Plain functions on
// arrays: rewards in, advantages out, no gradient anywhere.
//
// Groups: a batch of B = P·G samples holds G samples for each of P prompts, stored contiguously — samples
// i·G … i·G+G−1 share prompt i (`groupSize` = G). This is the order `Rollout` produces when each prompt is repeated
// G times in a row; every group-relative estimator below relies on it.
//
// Per-token arrays (GAE, distillation, reweighting, broadcasting) are row-major [B, T] flattened, T = `columns`,
// aligned with `Rollout.responseMask`.

/// The advantage estimators. Every function is pure; computations run in Double and return Float.
public enum Advantages {

    // MARK: Baselines without groups

    /// REINFORCE (Williams 1992): A_i = R_i, or A_i = R_i − mean_batch(R) with `batchMeanBaseline`.
    ///
    /// The batch-mean baseline includes the sample itself, so it scales the expected gradient by (B − 1)/B;
    /// use RLOO for an exactly unbiased baseline.
    public static func reinforce(rewards: [Float], batchMeanBaseline: Bool = false) -> [Float] {
        let baseline = batchMeanBaseline ? mean(rewards) : 0
        return rewards.map { Float(Double($0) - baseline) }
    }

    // MARK: Group baselines

    /// RLOO (Kool et al. 2019; Ahmadian et al. 2024): A_i = R_i − mean_{j≠i, j∈g} R_j.
    ///
    /// verl (`compute_rloo_outcome_advantage`) writes it as G/(G−1)·(R_i − mean_g), the same number. A group of one
    /// sample has no leave-one-out baseline: A = R (as verl).
    public static func rloo(rewards: [Float], groupSize: Int) -> [Float] {
        mapGroups(rewards, groupSize) { group in
            let g = Double(group.count)
            guard group.count > 1 else { return group }
            let total = group.reduce(0, +)
            return group.map { reward in
                let leaveOneOutMean = (total - reward) / (g - 1)
                return reward - leaveOneOutMean
            }
        }
    }

    /// GRPO (Shao et al. 2024, DeepSeekMath): A_i = (R_i − mean_g) / (std_g + ε), std the unbiased (N−1) one.
    ///
    /// As verl (`compute_grpo_outcome_advantage`, `torch.std` is unbiased, ε = 1e-6): a group whose rewards are all
    /// equal gets A = 0; a group of one sample uses mean 0 and std 1 (A = R / (1 + ε)). Pitfall 2: dividing by the
    /// group std up-weights nearly uniform (very easy / very hard) prompts.
    public static func grpo(rewards: [Float], groupSize: Int, epsilon: Double = 1e-6) -> [Float] {
        mapGroups(rewards, groupSize) { group in
            let (groupMean, groupStd) = group.count > 1 ? (mean(group), unbiasedStd(group)) : (0, 1)
            return group.map { reward in (reward - groupMean) / (groupStd + epsilon) }
        }
    }

    /// Dr.GRPO (Liu et al. 2025, "Understanding R1-Zero-Like Training"): A_i = R_i − mean_g (no std division).
    ///
    /// verl: `grpo` with `norm_adv_by_std_in_grpo = False`; a group of one sample uses mean 0. The group mean includes
    /// the sample itself, so the expected gradient is (G − 1)/G times the true policy gradient (RLOO = G/(G−1) ×
    /// Dr.GRPO exactly); the direction is unbiased. Pair it with `.tokenSumOverConstant` aggregation, as the paper does.
    public static func drGRPO(rewards: [Float], groupSize: Int) -> [Float] {
        mapGroups(rewards, groupSize) { group in
            let groupMean = group.count > 1 ? mean(group) : 0
            return group.map { reward in reward - groupMean }
        }
    }

    /// Batch-normalised group baseline (REINFORCE++-baseline, Hu 2025; DLER): A = whiten_batch(R_i − mean_g).
    ///
    /// verl (`compute_reinforce_plus_plus_baseline_outcome_advantage`) subtracts the group mean (0 for a group of one)
    /// and then whitens over every response TOKEN of the batch (`masked_whiten`: token-weighted mean, unbiased
    /// variance, x ↦ (x − μ)/√(σ² + 1e-8)). Pass `tokenCounts` (response length per sample) to reproduce that
    /// weighting exactly; nil weights every sample once.
    public static func batchNormalized(rewards: [Float], groupSize: Int, tokenCounts: [Int]? = nil) -> [Float] {
        let centred = drGRPO(rewards: rewards, groupSize: groupSize)
        return whiten(centred, weights: tokenCounts?.map { Float($0) })
    }

    /// ReMax (Li et al. 2023): A_i = R_i − R(greedy response to the same prompt).
    ///
    /// `greedyRewards[p]` is the reward of the greedy (argmax) decoding of prompt p; `rewards` holds `groupSize`
    /// sampled responses per prompt (verl: `reward_baselines`, usually G = 1).
    public static func remax(rewards: [Float], greedyRewards: [Float], groupSize: Int = 1) -> [Float] {
        requireGroups(rewards, groupSize)
        require(greedyRewards.count * groupSize == rewards.count,
                "remax: \(greedyRewards.count) greedy rewards for \(rewards.count) samples in groups of \(groupSize)")
        return rewards.indices.map { i in
            let baseline = Double(greedyRewards[i / groupSize])
            return Float(Double(rewards[i]) - baseline)
        }
    }

    /// GPG (Chu et al. 2025, "Group Policy Gradient"): A_i = α·(R_i − mean_g), α = B / #{i : R_i ≠ 0}; the loss is
    /// plain −lp·A (`PolicyLoss.vanilla`).
    ///
    /// As verl (`compute_gpg_outcome_advantage`, F_norm = 1): the count of nonzero rewards is clamped to at least 1;
    /// a group of one sample uses mean 0. The GPG paper's α counts valid samples (B / (B − M)); the catalogue and
    /// verl count nonzero rewards, which coincide for {0,1} rewards where only all-zero groups are invalid.
    public static func gpg(rewards: [Float], groupSize: Int) -> [Float] {
        let nonzero = rewards.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
        let alpha = Double(rewards.count) / Double(Swift.max(1, nonzero))
        return drGRPO(rewards: rewards, groupSize: groupSize).map { Float(alpha * Double($0)) }
    }

    // MARK: Sign-split estimators on binary rewards (Zhu et al. 2025, "The Surprising Effectiveness of Negative Reinforcement")

    /// PSR, positive-sample reinforcement: A = r for r ∈ {0, 1} (only correct samples are pushed up).
    public static func positiveSampleReinforcement(rewards: [Float]) -> [Float] {
        requireBinary(rewards, "positiveSampleReinforcement")
        return rewards.map { reward in reward }
    }

    /// NSR, negative-sample reinforcement: A = r − 1 for r ∈ {0, 1} (only wrong samples are pushed down).
    public static func negativeSampleReinforcement(rewards: [Float]) -> [Float] {
        requireBinary(rewards, "negativeSampleReinforcement")
        return rewards.map { reward in reward - 1 }
    }

    /// W-REINFORCE = λ·PSR + NSR: A = λ if correct (r = 1), −1 if wrong (r = 0); λ = 0.1 in the paper.
    public static func weightedReinforce(rewards: [Float], positiveWeight lambda: Float = 0.1) -> [Float] {
        requireBinary(rewards, "weightedReinforce")
        return rewards.map { reward in reward == 1 ? lambda : -1 }
    }

    // MARK: Rejection-style estimators (Xiong et al. 2025, "A Minimalist Approach to LLM Reasoning")

    /// RAFT (Dong et al. 2023): A = max(r, 0) — supervised learning on the positive (correct) samples only.
    public static func raft(rewards: [Float]) -> [Float] {
        rewards.map { reward in Swift.max(reward, 0) }
    }

    /// Reinforce-Rej: A = r on groups whose rewards differ; groups whose rewards are all equal are dropped.
    ///
    /// A uniform group counts as all-correct when its common reward is > 0 and as all-wrong otherwise (works for
    /// {0,1} and ±1 rewards). `dropAllCorrect` / `dropAllWrong` give the paper's two ablations. Dropped samples get
    /// A = 0 and `kept = false`: the training loop should remove them from the batch so that they do not count in the
    /// token-mean denominator (the paper filters the prompts out).
    public static func reinforceRej(rewards: [Float], groupSize: Int, dropAllCorrect: Bool = true,
                                    dropAllWrong: Bool = true) -> (advantages: [Float], kept: [Bool]) {
        let kept = reinforceRejKept(rewards: rewards, groupSize: groupSize, dropAllCorrect: dropAllCorrect, dropAllWrong: dropAllWrong)
        let advantages = zip(rewards, kept).map { reward, keep in keep ? reward : 0 }
        return (advantages, kept)
    }

    /// Which samples Reinforce-Rej keeps (see `reinforceRej`): false for every sample of a dropped uniform group.
    public static func reinforceRejKept(rewards: [Float], groupSize: Int, dropAllCorrect: Bool = true,
                                        dropAllWrong: Bool = true) -> [Bool] {
        requireGroups(rewards, groupSize)
        var kept = [Bool](repeating: true, count: rewards.count)
        for start in stride(from: 0, to: rewards.count, by: groupSize) {
            let group = rewards[start..<(start + groupSize)]
            guard let first = group.first, group.allSatisfy({ $0 == first }) else { continue }
            let allCorrect = first > 0
            if (allCorrect && dropAllCorrect) || (!allCorrect && dropAllWrong) {
                for i in group.indices { kept[i] = false }
            }
        }
        return kept
    }

    // MARK: pass@k

    /// The pass@k advantage of verl's `grpo_passk` (after Tang et al. 2025, arXiv 2503.19595): in each group only the
    /// highest-reward sample gets an advantage, r_max − r_second (the first maximal sample on ties, whose advantage is
    /// then 0); every other sample gets 0.
    ///
    /// verl additionally divides by (std_g + ε) when `norm_adv_by_std_in_grpo` is true (its default); the catalogue's
    /// definition is unnormalised, so `normalizeByStd` defaults to false. Needs G ≥ 2.
    public static func passAtK(rewards: [Float], groupSize: Int, normalizeByStd: Bool = false, epsilon: Double = 1e-6) -> [Float] {
        require(groupSize >= 2, "passAtK: needs at least 2 samples per group, got \(groupSize)")
        return mapGroups(rewards, groupSize) { group in
            var best = 0
            for j in group.indices where group[j] > group[best] { best = j }
            let secondBest = group.indices.filter { $0 != best }.map { group[$0] }.max()!
            var advantage = group[best] - secondBest
            if normalizeByStd { advantage /= unbiasedStd(group) + epsilon }
            return group.indices.map { $0 == best ? advantage : 0 }
        }
    }

    // MARK: Critic-based

    /// Generalised advantage estimation (Schulman et al. 2016) with a learned critic, per sequence:
    ///   δ_t = r_t + γ·V_{t+1} − V_t,   A_t = δ_t + γλ·A_{t+1},   returns_t = A_t + V_t,
    /// with V and A zero after the last response token (the episode ends with the response).
    ///
    /// Inputs are [B, T] row-major (`columns` = T): per-token rewards (e.g. the outcome reward on the last response
    /// token, minus a KL penalty — see `KLRegularization.penalizedTokenRewards`), critic values, response mask.
    /// Masked-out positions are skipped, exactly as verl's `compute_gae_advantage_return` (V_{t+1} and A_{t+1} are
    /// those of the next unmasked token) and get A = returns = 0. verl then whitens the advantages over the batch;
    /// call `whiten(_:weights:)` with the mask for that. Defaults γ = 1, λ = 0.95 (TRL's PPO; verl uses λ = 1).
    public static func gae(rewards: [Float], values: [Float], mask: [Float], columns: Int,
                           gamma: Double = 1, lambda: Double = 0.95) -> (advantages: [Float], returns: [Float]) {
        require(columns > 0 && rewards.count % columns == 0, "gae: \(rewards.count) rewards do not fill rows of \(columns)")
        require(values.count == rewards.count && mask.count == rewards.count,
                "gae: rewards \(rewards.count), values \(values.count), mask \(mask.count) differ")
        var advantages = [Float](repeating: 0, count: rewards.count)
        var returns = [Float](repeating: 0, count: rewards.count)
        for row in 0..<(rewards.count / columns) {
            var nextValue = 0.0, nextAdvantage = 0.0
            for t in stride(from: columns - 1, through: 0, by: -1) {
                let i = row * columns + t
                guard mask[i] != 0 else { continue }
                let value = Double(values[i])
                let delta = Double(rewards[i]) + gamma * nextValue - value
                let advantage = delta + gamma * lambda * nextAdvantage
                advantages[i] = Float(advantage)
                returns[i] = Float(advantage + value)
                nextValue = value; nextAdvantage = advantage
            }
        }
        return (advantages, returns)
    }

    /// GAE of one sequence (every position valid): see `gae(rewards:values:mask:columns:gamma:lambda:)`.
    public static func gae(rewards: [Float], values: [Float], gamma: Double = 1, lambda: Double = 0.95) -> (advantages: [Float], returns: [Float]) {
        gae(rewards: rewards, values: values, mask: [Float](repeating: 1, count: rewards.count),
            columns: Swift.max(1, rewards.count), gamma: gamma, lambda: lambda)
    }

    // MARK: Per-token advantages

    /// On-policy distillation (Agarwal et al. 2024; tinker-cookbook, Thinking Machines 2025): the per-token reverse-KL
    /// advantage A_t = −(lp_student,t − lp_teacher,t), no task reward; masked tokens get 0.
    ///
    /// Both log-probs are of the student's sampled token. tinker trains it with the importance-sampling loss
    /// (`PolicyLoss.importanceSampling`) and a discount of 0 (each token's own log-ratio, no sum over the future).
    public static func onPolicyDistillation(studentLogProbs: [Float], teacherLogProbs: [Float], mask: [Float]) -> [Float] {
        require(studentLogProbs.count == teacherLogProbs.count && mask.count == studentLogProbs.count,
                "onPolicyDistillation: \(studentLogProbs.count), \(teacherLogProbs.count), \(mask.count) values differ")
        return studentLogProbs.indices.map { i in
            let reverseKL = studentLogProbs[i] - teacherLogProbs[i]
            return -reverseKL * mask[i]
        }
    }

    /// Advantage reweighting, AR (Yang et al. 2025, "Do Not Let Low-Probability Tokens Over-Dominate in RL for LLMs"):
    /// A'_t = [α·π_old(o_t) + (1 − α)]·A_t, α = 0.2, π_old = exp(old log-prob). Attenuates low-probability tokens.
    public static func advantageReweighting(advantages: [Float], oldLogProbs: [Float], alpha: Float = 0.2) -> [Float] {
        require(advantages.count == oldLogProbs.count, "advantageReweighting: \(advantages.count) vs \(oldLogProbs.count) values")
        return advantages.indices.map { i in
            let oldProbability = Foundation.exp(oldLogProbs[i])
            let weight = alpha * oldProbability + (1 - alpha)
            return weight * advantages[i]
        }
    }

    // MARK: Helpers

    /// Broadcasts per-sequence advantages [B] to tokens [B, T] (row-major, T = `columns`): A_{b,t} = A_b·m_{b,t}.
    public static func broadcast(_ perSequence: [Float], mask: [Float], columns: Int) -> [Float] {
        require(perSequence.count * columns == mask.count, "broadcast: \(perSequence.count) sequences × \(columns) columns vs mask \(mask.count)")
        return mask.indices.map { i in perSequence[i / columns] * mask[i] }
    }

    /// `broadcast(_:mask:columns:)` as a constant tensor in the mask's graph ([B, T], for `PolicyInputs.advantages`).
    public static func broadcast(_ perSequence: [Float], mask: Tensor) -> Tensor {
        require(mask.rank == 2 && mask.shape[0] == perSequence.count, "broadcast: \(perSequence.count) sequences vs mask \(mask.shape)")
        return mask.graph.constant(broadcast(perSequence, mask: mask.scalars, columns: mask.shape[1]), mask.shape)
    }

    /// Whitening as verl's `masked_whiten`: weighted mean μ, unbiased weighted variance σ² (× W/(W − 1), W = Σ w),
    /// x ↦ (x − μ)/√(σ² + ε). Weights default to 1; a zero weight (masked token) excludes a value from the statistics
    /// and returns 0 for it.
    public static func whiten(_ values: [Float], weights: [Float]? = nil, epsilon: Double = 1e-8) -> [Float] {
        let w = weights ?? [Float](repeating: 1, count: values.count)
        require(w.count == values.count, "whiten: \(values.count) values, \(w.count) weights")
        let total = w.reduce(0.0) { $0 + Double($1) }
        guard total > 0 else { return values.map { _ in 0 } }
        let mu = zip(values, w).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } / total
        var variance = zip(values, w).reduce(0.0) { $0 + Double($1.1) * (Double($1.0) - mu) * (Double($1.0) - mu) } / total
        if total > 1 { variance *= total / (total - 1) }
        let scale = 1 / (variance + epsilon).squareRoot()
        return zip(values, w).map { x, weight in weight == 0 ? 0 : Float((Double(x) - mu) * scale) }
    }

    static func mean(_ x: [Float]) -> Double { x.isEmpty ? 0 : x.reduce(0.0) { $0 + Double($1) } / Double(x.count) }
    static func mean(_ x: [Double]) -> Double { x.isEmpty ? 0 : x.reduce(0, +) / Double(x.count) }

    /// √(Σ (x − mean)² / (N − 1)), as `torch.std`.
    static func unbiasedStd(_ x: [Double]) -> Double {
        guard x.count > 1 else { return 0 }
        let m = mean(x)
        return (x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1)).squareRoot()
    }

    static func requireGroups(_ rewards: [Float], _ groupSize: Int) {
        require(groupSize > 0 && rewards.count % groupSize == 0,
                "advantages: \(rewards.count) rewards do not split into groups of \(groupSize)")
    }

    static func requireBinary(_ rewards: [Float], _ name: String) {
        require(rewards.allSatisfy { $0 == 0 || $0 == 1 }, "\(name): rewards must be 0 or 1")
    }

    /// Applies `body` to each group (as Doubles) and concatenates the results.
    static func mapGroups(_ rewards: [Float], _ groupSize: Int, _ body: ([Double]) -> [Double]) -> [Float] {
        requireGroups(rewards, groupSize)
        var out: [Float] = []
        out.reserveCapacity(rewards.count)
        for start in stride(from: 0, to: rewards.count, by: groupSize) {
            let group = rewards[start..<(start + groupSize)].map { Double($0) }
            out += body(group).map { Float($0) }
        }
        return out
    }
}
