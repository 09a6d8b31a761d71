import Foundation
import Engine

// Supervised fine-tuning and its variants: the losses (SFT, soft-target SFT, DFT, CHORD, Binary FeedME, Quark) and
// the data-selection / conditioning rules that decide WHAT the SFT step trains on (RFT, Best-of-n, Expert
// Iteration, Binary FeedME, reward-conditioned SFT, Quark). Iterating "sample → select → fine-tune" is the training
// loop's job; these functions are one step of it.
//
// Per-token inputs are [B, T] (B sequences, T response columns) aligned with a response mask, as
// `Transformer.tokenLogProbs` returns them; the default reduction is the token mean over the batch (Core.swift's
// `Aggregation.tokenMean`, the masked mean of TRL's SFTTrainer).

// MARK: Losses

/// Supervised fine-tuning: cross-entropy on the target tokens, masked mean.
///
///     ℓ_t = −lp_t = −log π_θ(y_t | x, y<t),    L = Σ_t m_t ℓ_t / Σ_t m_t   (default: token mean over the batch)
///
/// `logProbs` [B, T] are the model's log-probs of the target tokens (differentiable); `mask` [B, T] marks the tokens
/// trained on (the response, not the prompt).
public func sftLoss(logProbs: Tensor, mask: Tensor, aggregation: Aggregation = .tokenMean, globalTokenCount: Int? = nil) -> Tensor {
    checkTokenInputs("sftLoss", logProbs, mask)
    return aggregate(-logProbs, mask: mask.detached(), mode: aggregation, globalTokenCount: globalTokenCount)
}

/// Soft-target SFT: cross-entropy to a target DISTRIBUTION q at every position (e.g. Oracle SFT's q*, the optimal
/// KL-regularised policy q* ∝ π_ref · exp(r/β), or a teacher's distribution):
///
///     ℓ_t = −Σ_v q_t(v) log softmax(z_t)_v,     L = masked mean of ℓ_t
///
/// `logits` [B, T, V] (differentiable), `targetDistribution` [B, T, V] (each row sums to 1; constant), mask [B, T].
/// Equals forward KL(q ‖ π_θ) up to the constant entropy H(q).
public func softTargetSFTLoss(logits: Tensor, targetDistribution: Tensor, mask: Tensor,
                              aggregation: Aggregation = .tokenMean, globalTokenCount: Int? = nil) -> Tensor {
    require(logits.rank == 3 && targetDistribution.shape == logits.shape, "softTargetSFTLoss: logits \(logits.shape) vs targets \(targetDistribution.shape) (need [B, T, V])")
    require(mask.shape == Shape(logits.shape[0], logits.shape[1]), "softTargetSFTLoss: mask \(mask.shape) vs logits \(logits.shape)")
    let logProbs = logits.logSoftmax()                                              // log π_θ, [B, T, V]
    let perToken = -(targetDistribution.detached() * logProbs).sum(axis: 2)        // [B, T]
    return aggregate(perToken, mask: mask.detached(), mode: aggregation, globalTokenCount: globalTokenCount)
}

/// DFT, Dynamic Fine-Tuning (Wu et al. 2025, "On the Generalization of SFT: A Reinforcement Learning Perspective with
/// Reward Rectification"): SFT with each token's loss weighted by its own probability, stop-gradient:
///
///     ℓ_t = −sg(p_t) · log p_t,    p_t = exp(lp_t)
///
/// The weight is detached, so the gradient is −p_t ∇log p_t (= −∇p_t), not the gradient of −p log p. The authors' code
/// (and trinity-rft's `sft_is` loss) reduces by the token mean, the default here.
public func dftLoss(logProbs: Tensor, mask: Tensor, aggregation: Aggregation = .tokenMean, globalTokenCount: Int? = nil) -> Tensor {
    checkTokenInputs("dftLoss", logProbs, mask)
    let tokenProbability = logProbs.exp().detached()                                 // sg(p_t)
    return aggregate(-(tokenProbability * logProbs), mask: mask.detached(), mode: aggregation, globalTokenCount: globalTokenCount)
}

/// CHORD (Zhang et al. 2025, "On-Policy RL Meets Off-Policy Experts: Harmonizing Supervised Fine-Tuning and
/// Reinforcement Learning via Dynamic Weighting"): a convex mix of the on-policy RL loss and an SFT loss on expert data,
///
///     L = (1 − μ) · L_GRPO + μ · L_SFT
///     L_SFT = masked mean of −φ(p_t) · log p_t,   φ(p) = sg(p (1 − p))      (CHORD-φ; φ ≡ 1 without token weights)
///
/// `policyGradientLoss` is the GRPO-style loss on the on-policy batch, already reduced to a scalar (computed by the
/// policy-loss code, passed in); `expertLogProbs` [B, T] and `expertMask` are the model's log-probs of the expert
/// tokens. φ = p(1 − p) down-weights tokens the model already finds near-certain or near-impossible. μ is the global
/// weight, scheduled by the loop (`chordMuSchedule`); trinity-rft's defaults are μ = 0.1 constant with
/// `enable_phi_function = true` (the default here) and a token-mean SFT reduction.
public func chordLoss(policyGradientLoss: Tensor, expertLogProbs: Tensor, expertMask: Tensor, mu: Float,
                      useTokenWeights: Bool = true, aggregation: Aggregation = .tokenMean, globalTokenCount: Int? = nil) -> Tensor {
    checkTokenInputs("chordLoss", expertLogProbs, expertMask)
    require(policyGradientLoss.count == 1, "chordLoss: policyGradientLoss must be a scalar, got \(policyGradientLoss.shape)")
    require(mu >= 0 && mu <= 1, "chordLoss: mu \(mu) outside [0, 1]")
    var perToken = -expertLogProbs                                                   // −log p_t
    if useTokenWeights {
        let p = expertLogProbs.exp().detached()
        let phi = p * (1 - p)                                                        // φ(p) = sg(p(1 − p))
        perToken = phi * perToken
    }
    let sft = aggregate(perToken, mask: expertMask.detached(), mode: aggregation, globalTokenCount: globalTokenCount)
    return (1 - mu) * policyGradientLoss.reshaped(Shape()) + mu * sft
}

/// CHORD-µ's schedule for μ (trinity-rft `mu_schedule_function`): linear warm-up from 0 to `peak` over `warmupSteps`,
/// then cosine decay from `peak` to `valley` over `decaySteps`, then constant `valley`. With peak = valley it is
/// constant (trinity-rft's default 0.1).
public func chordMuSchedule(step: Int, warmupSteps: Int = 0, decaySteps: Int = 0, peak: Float = 0.1, valley: Float = 0.1) -> Float {
    if step < warmupSteps { return Float(step) / Float(warmupSteps) * peak }
    if step >= warmupSteps + decaySteps { return valley }
    let progress = Float(step - warmupSteps) / Float(decaySteps)
    let cosineDecay = 0.5 * (1 + Foundation.cos(Float.pi * progress))
    return (peak - valley) * cosineDecay + valley
}

/// Binary FeedME (OpenAI's "FeedME", feedback made easy; here with a binary judge): SFT on the model's own samples
/// that a judge rates good. The loss is SFT with the rows rated bad masked out (they count neither in the sum nor in
/// the token count). Selection alone: `binaryFeedMESelection`.
public func binaryFeedMELoss(logProbs: Tensor, mask: Tensor, judgedGood: [Bool], aggregation: Aggregation = .tokenMean,
                             globalTokenCount: Int? = nil) -> Tensor {
    checkTokenInputs("binaryFeedMELoss", logProbs, mask)
    let (b, t) = (logProbs.shape[0], logProbs.shape[1])
    require(judgedGood.count == b, "binaryFeedMELoss: \(judgedGood.count) judgements for \(b) rows")
    let rowKept = judgedGood.flatMap { good in [Float](repeating: good ? 1 : 0, count: t) }
    let keptMask = mask.detached() * mask.graph.constant(rowKept, mask.shape)       // [B, T]
    return sftLoss(logProbs: logProbs, mask: keptMask, aggregation: aggregation, globalTokenCount: globalTokenCount)
}

/// Quark (Lu et al. 2022, "Quark: Controllable Text Generation with Reinforced Unlearning") training loss on a batch
/// from the data pool, each sequence conditioned on its reward-quantile token (`quarkQuantiles`, `prefixControlToken`):
///
///     ℓ_t = −log π_θ(y_t | r_k, x, y<t) + β · KL(π_θ(·|r_k, x, y<t) ‖ π_ref(·|x, y<t)) − α · H(π_θ(·|r_k, x, y<t))
///     L   = masked token mean of ℓ_t
///
/// as in the Quark code (`loss = reduce_mean(lm_loss + kl_coef * kl − entropy_coef * entropy, masks)`, with
/// `kl = KLDivLoss(log_softmax(ref_logits), softmax(logits))` = KL(π_θ ‖ π_ref); the paper writes the KL with the
/// reference first). π_ref sees the prompt WITHOUT the quantile token. Defaults β = 0.05, α = 0.06 (Quark's
/// `kl_coef`, `entropy_coef`). `logits` [B, T, V] at the response positions (differentiable), `targets` the response
/// tokens (B·T, row-major; ignored where masked), `referenceLogits` [B, T, V] (constant), mask [B, T].
public func quarkLoss(logits: Tensor, targets: [Int32], referenceLogits: Tensor, mask: Tensor,
                      klCoefficient: Float = 0.05, entropyCoefficient: Float = 0.06,
                      aggregation: Aggregation = .tokenMean, globalTokenCount: Int? = nil) -> Tensor {
    require(logits.rank == 3 && referenceLogits.shape == logits.shape, "quarkLoss: logits \(logits.shape) vs reference \(referenceLogits.shape) (need [B, T, V])")
    require(mask.shape == Shape(logits.shape[0], logits.shape[1]) && targets.count == mask.count,
            "quarkLoss: mask \(mask.shape), \(targets.count) targets for logits \(logits.shape)")
    let v = Int32(logits.shape[2])
    let safeTargets = targets.map { $0 >= 0 && $0 < v ? $0 : 0 }                    // masked positions may hold anything
    let logProbs = logits.logSoftmax()                                               // log π_θ, [B, T, V]
    let referenceLogProbs = referenceLogits.detached().logSoftmax()                  // log π_ref, [B, T, V]
    let probs = logProbs.exp()
    let negativeLogLikelihood = -logProbs.gatherLast(logits.graph.indices(safeTargets))   // [B, T]
    let kl = (probs * (logProbs - referenceLogProbs)).sum(axis: 2)                   // KL(π_θ ‖ π_ref), [B, T]
    let entropy = -(probs * logProbs).sum(axis: 2)                                   // H(π_θ), [B, T]
    let perToken = negativeLogLikelihood + klCoefficient * kl - entropyCoefficient * entropy
    return aggregate(perToken, mask: mask.detached(), mode: aggregation, globalTokenCount: globalTokenCount)
}

// MARK: Selection: which samples to fine-tune on

/// RFT, rejection-sampling fine-tuning (Yuan et al. 2023, "Scaling Relationship on Learning Mathematical Reasoning
/// with Large Language Models"): keep the model's own CORRECT samples, reward ≥ `threshold` (default 1, a binary
/// verifier's "correct"). When `responses` are given, only the first copy of each distinct response per group is kept
/// (RFT keeps distinct reasoning paths); groups are consecutive runs of `groupSize` samples sharing a prompt (nil:
/// the whole batch is one group). Returns the kept indices in order. Iterating it is the loop's job.
public func rejectionSamplingSelection(rewards: [Double], threshold: Double = 1, groupSize: Int? = nil,
                                       responses: [[Int32]]? = nil) -> [Int] {
    let size = groupSize ?? Swift.max(rewards.count, 1)
    require(size > 0 && rewards.count % size == 0, "rejectionSamplingSelection: \(rewards.count) rewards in groups of \(size)")
    require(responses == nil || responses!.count == rewards.count, "rejectionSamplingSelection: \(responses!.count) responses for \(rewards.count) rewards")
    var kept = [Int]()
    var seen = Set<[Int32]>()
    for i in rewards.indices {
        if i % size == 0 { seen.removeAll(keepingCapacity: true) }
        guard rewards[i] >= threshold else { continue }
        if let r = responses { guard seen.insert(r[i]).inserted else { continue } }
        kept.append(i)
    }
    return kept
}

/// Best-of-n: in each group of n = `groupSize` consecutive samples of one prompt, the index of the sample with the
/// highest reward (ties: the first). Returns one index per group.
public func bestOfNSelection(rewards: [Double], groupSize: Int) -> [Int] {
    require(groupSize > 0 && rewards.count % groupSize == 0, "bestOfNSelection: \(rewards.count) rewards in groups of \(groupSize)")
    return stride(from: 0, to: rewards.count, by: groupSize).map { start in
        var best = start
        for i in start..<(start + groupSize) where rewards[i] > rewards[best] { best = i }
        return best
    }
}

/// Expert Iteration (Anthony et al. 2017; as used for LLM reasoning by Havrilla et al. 2024, "Teaching Large Language
/// Models to Reason with Reinforcement Learning"): each round, sample n per prompt, keep the best-of-n sample of every
/// prompt whose best reward reaches `minimumReward` (nil: keep every prompt's best; 1 with a binary verifier: keep
/// solved prompts only), fine-tune on them, repeat. This is one round's selection; the iteration is the loop's.
public func expertIterationSelection(rewards: [Double], groupSize: Int, minimumReward: Double? = nil) -> [Int] {
    bestOfNSelection(rewards: rewards, groupSize: groupSize).filter { minimumReward == nil || rewards[$0] >= minimumReward! }
}

/// Binary FeedME's selection: the indices of the samples the binary judge rated good.
public func binaryFeedMESelection(judgements: [Bool]) -> [Int] {
    judgements.indices.filter { judgements[$0] }
}

// MARK: Conditioning on a reward token

/// A control token prefixed to a prompt: [token] + prompt. Reward-conditioned SFT and Quark train on
/// (token(reward), prompt, response) and, at sampling time, prefix the token of the best bucket.
public func prefixControlToken(_ token: Int32, to prompt: [Int32]) -> [Int32] {
    [token] + prompt
}

/// Reward-conditioned SFT (e.g. Lu et al. 2022's unquantised ablation; Chen et al. 2021's return-conditioning):
/// rewards are bucketed by fixed `boundaries` (ascending) and each bucket has a control token. Bucket k holds the
/// rewards r with boundaries[k−1] ≤ r < boundaries[k] (bucket 0: r < boundaries[0]; the last: r ≥ the last
/// boundary), so there are boundaries.count + 1 buckets, 0 the lowest. Train with SFT on
/// `conditionedPrompt(prompt, reward:)` + response; sample with `prefixControlToken(bestToken, to: prompt)`.
public struct RewardConditioning: Codable, Equatable, Sendable {
    /// Ascending bucket edges.
    public var boundaries: [Double]
    /// One control token per bucket (boundaries.count + 1), lowest bucket first.
    public var tokens: [Int32]

    public init(boundaries: [Double], tokens: [Int32]) {
        require(zip(boundaries, boundaries.dropFirst()).allSatisfy { $0 < $1 }, "RewardConditioning: boundaries \(boundaries) must increase")
        require(tokens.count == boundaries.count + 1, "RewardConditioning: \(tokens.count) tokens for \(boundaries.count + 1) buckets")
        self.boundaries = boundaries; self.tokens = tokens
    }

    /// The bucket of a reward: the number of boundaries ≤ reward.
    public func bucket(for reward: Double) -> Int { boundaries.reduce(0) { $0 + (reward >= $1 ? 1 : 0) } }
    /// The control token of a reward's bucket.
    public func token(for reward: Double) -> Int32 { tokens[bucket(for: reward)] }
    /// The token of the highest bucket, used at sampling time.
    public var bestToken: Int32 { tokens[tokens.count - 1] }
    /// [token(reward)] + prompt.
    public func conditionedPrompt(_ prompt: [Int32], reward: Double) -> [Int32] { prefixControlToken(token(for: reward), to: prompt) }
}

/// Quark's reward quantiles over a data pool, exactly as Quark's `DataPool.add` assigns them: sort the pool by reward,
/// highest first (stable: ties keep pool order), cut it into `quantileCount` chunks of ⌊n/K⌋ samples, the remainder
/// going to the last chunk. Returns each sample's quantile, 0 = the HIGHEST rewards (Quark's `tree_tokens[0]`, the
/// token it conditions on at sampling time) … K − 1 = the lowest. Re-run it on the whole pool whenever samples are
/// added. Default K = 5 (Quark). Condition with `prefixControlToken(quantileTokens[q], to: prompt)`.
public func quarkQuantiles(rewards: [Double], quantileCount: Int = 5) -> [Int] {
    require(quantileCount > 0, "quarkQuantiles: quantileCount \(quantileCount) must be positive")
    let order = rewards.indices.sorted { rewards[$0] != rewards[$1] ? rewards[$0] > rewards[$1] : $0 < $1 }
    let chunk = rewards.count / quantileCount
    var quantile = [Int](repeating: 0, count: rewards.count)
    for (rank, i) in order.enumerated() { quantile[i] = chunk == 0 ? quantileCount - 1 : Swift.min(rank / chunk, quantileCount - 1) }
    return quantile
}

/// Shape check shared by the per-token losses.
private func checkTokenInputs(_ name: String, _ logProbs: Tensor, _ mask: Tensor) {
    require(logProbs.shape == mask.shape && logProbs.rank == 2, "\(name): log-probs \(logProbs.shape) vs mask \(mask.shape) (need [B, T])")
}
