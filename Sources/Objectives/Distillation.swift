import Foundation
import Engine

// Distillation objectives: a student π_θ learns from a teacher π_T. Two kinds of inputs:
//   • sampled tokens: per-token log-probabilities [B, T] of the tokens in a batch of sequences, with mask [B, T];
//   • full distributions: logits [B, T, V] over the vocabulary at every response position, with mask [B, T].
// Teacher inputs are always constants (detached here). Per-token values are reduced with `aggregate` (Core.swift);
// the default is the token mean over the batch, which is how TRL's GKD ("batchmean" over non-masked tokens) and
// most SFT code reduce.
//
// Which sequences the student trains on is the loop's choice: teacher samples (forward KL / sequence-level KD),
// the student's own samples (on-policy distillation), a fixed dataset, or — GKD's λ — a mix of them.

// MARK: Forward KL (teacher samples or teacher distributions)

/// Forward-KL distillation on TEACHER SAMPLES (sequence-level KD; Kim & Rush 2016): minimising
/// KL(π_T ‖ π_θ) = E_{y∼π_T}[log π_T(y) − log π_θ(y)] over teacher samples is SFT on the teacher's outputs — the
/// gradient is −E_{y∼π_T} ∇ log π_θ(y), the SFT gradient.
///
///     ℓ_t = sg(lp_T,t) − lp_t        (or −lp_t when `teacherLogProbs` is nil)
///
/// `logProbs` [B, T]: the student's log-probs of the teacher-sampled tokens (differentiable). With the teacher's
/// log-probs of the same tokens the loss VALUE is the Monte-Carlo estimate of the per-token forward KL; without them it
/// is the SFT loss. The gradient is the same either way. Default aggregation: token mean.
public func forwardKLDistillationLoss(logProbs: Tensor, mask: Tensor, teacherLogProbs: Tensor? = nil,
                                      aggregation: Aggregation = .tokenMean, globalTokenCount: Int? = nil) -> Tensor {
    require(logProbs.shape == mask.shape && logProbs.rank == 2, "forwardKLDistillationLoss: log-probs \(logProbs.shape) vs mask \(mask.shape) (need [B, T])")
    var perToken = -logProbs
    if let teacher = teacherLogProbs {
        require(teacher.shape == logProbs.shape, "forwardKLDistillationLoss: teacher log-probs \(teacher.shape) vs \(logProbs.shape)")
        perToken = teacher.detached() - logProbs
    }
    return aggregate(perToken, mask: mask.detached(), mode: aggregation, globalTokenCount: globalTokenCount)
}

/// Token-level forward KL over FULL distributions (Hinton et al. 2015, word-level KD), when teacher logits are given:
///
///     ℓ_t = KL(π_T(·|y<t) ‖ π_θ(·|y<t)) = Σ_v π_T(v) (log π_T(v) − log π_θ(v))
///
/// Logits [B, T, V] (student differentiable, teacher constant), divided by `temperature` (default 1) before the
/// softmax, as TRL's GKD does; mask [B, T]. This is `generalizedJSDLoss` at β = 0.
public func forwardKLDistillationLoss(studentLogits: Tensor, teacherLogits: Tensor, mask: Tensor, temperature: Float = 1,
                                      aggregation: Aggregation = .tokenMean, globalTokenCount: Int? = nil) -> Tensor {
    let (studentLogProbs, teacherLogProbs) = distillationLogProbs("forwardKLDistillationLoss", studentLogits, teacherLogits, mask, temperature)
    let perToken = distributionKL(teacherLogProbs, studentLogProbs)                 // KL(π_T ‖ π_θ), [B, T]
    return aggregate(perToken, mask: mask.detached(), mode: aggregation, globalTokenCount: globalTokenCount)
}

// MARK: Reverse KL (student samples): on-policy distillation

/// Token-level reverse KL over FULL distributions, for student samples when teacher distributions are available
/// (GKD at β = 1; MiniLLM, Gu et al. 2024, without its sequence-level term):
///
///     ℓ_t = KL(π_θ(·|y<t) ‖ π_T(·|y<t)) = Σ_v π_θ(v) (log π_θ(v) − log π_T(v))
///
/// Exact at each visited prefix and differentiable through π_θ(·|y<t); like GKD it does not differentiate through the
/// sampling of the prefix y<t. Logits [B, T, V] (teacher constant), `temperature` as in `forwardKLDistillationLoss`.
public func reverseKLDistillationLoss(studentLogits: Tensor, teacherLogits: Tensor, mask: Tensor, temperature: Float = 1,
                                      aggregation: Aggregation = .tokenMean, globalTokenCount: Int? = nil) -> Tensor {
    let (studentLogProbs, teacherLogProbs) = distillationLogProbs("reverseKLDistillationLoss", studentLogits, teacherLogits, mask, temperature)
    let perToken = distributionKL(studentLogProbs, teacherLogProbs)                 // KL(π_θ ‖ π_T), [B, T]
    return aggregate(perToken, mask: mask.detached(), mode: aggregation, globalTokenCount: globalTokenCount)
}

/// On-policy distillation's loss and what it reports.
public struct OnPolicyDistillationResult {
    public var loss: Tensor
    /// Ratio, clip fraction (always 0: no clipping), approximate KL to the sampler, entropy (NaN: not given).
    public var diagnostics: PolicyDiagnostics
    /// Mean over masked tokens of lp_sampler − lp_T: tinker's "teacher_kl", the per-token reverse-KL estimate.
    public var teacherReverseKL: Double
    /// The per-token advantages used, [B·T] row-major (0 where masked).
    public var advantages: [Float]
}

/// On-policy distillation as a policy-gradient loss (tinker-cookbook `distillation/train_on_policy.py`; Thinking
/// Machines, "On-Policy Distillation", 2025). The student samples y ∼ π_old; the teacher scores the same tokens.
///
///     A_t = A_task,t − c · (lp_old,t − lp_T,t)        per-token negative reverse KL (c = `klCoefficient`)
///         (with `discountFactor` γ > 0: A_t = A_task,t + Σ_{k≥t} γ^{k−t} · (−c (lp_old,k − lp_T,k)))
///     ρ_t = exp(lp_t − lp_old,t)
///     ℓ_t = −ρ_t · A_t                                 (tinker's `importance_sampling` loss)
///
/// On-policy (lp = lp_old, ρ = 1) the gradient is Σ_t c (lp_t − lp_T,t) ∇lp_t, the score-function estimate of
/// c ∇ KL(π_θ ‖ π_T) keeping each token's own term (γ = 0; γ = 1 adds the future tokens' KL, the full sequence
/// estimator). Inputs [B, T]: `logProbs` (differentiable),
/// `samplingLogProbs` = lp_old (the sampler's log-probs; tinker uses them, not recomputed ones, in the KL),
/// `teacherLogProbs`, `mask`, and optional `taskAdvantages` (tinker adds the KL advantage to the task advantage, which
/// is 0 in pure distillation). Defaults c = 1, γ = 0 (tinker's `kl_penalty_coef`, `kl_discount_factor`).
/// Aggregation defaults to the token mean; tinker's loss is the plain sum over tokens (`.tokenSumOverConstant(1)`).
public func onPolicyDistillationLoss(logProbs: Tensor, samplingLogProbs: Tensor, teacherLogProbs: Tensor, mask: Tensor,
                                     taskAdvantages: Tensor? = nil, klCoefficient: Float = 1, discountFactor: Float = 0,
                                     aggregation: Aggregation = .tokenMean, globalTokenCount: Int? = nil) -> OnPolicyDistillationResult {
    require(logProbs.rank == 2 && [samplingLogProbs, teacherLogProbs, mask].allSatisfy { $0.shape == logProbs.shape },
            "onPolicyDistillationLoss: shapes \(logProbs.shape), \(samplingLogProbs.shape), \(teacherLogProbs.shape), \(mask.shape) (need equal [B, T])")
    require(taskAdvantages == nil || taskAdvantages!.shape == logProbs.shape, "onPolicyDistillationLoss: task advantages \(taskAdvantages!.shape)")
    require(discountFactor >= 0 && discountFactor <= 1, "onPolicyDistillationLoss: discountFactor \(discountFactor) outside [0, 1]")
    let g = logProbs.graph
    var advantages = distillationKLAdvantages(samplingLogProbs: samplingLogProbs.scalars, teacherLogProbs: teacherLogProbs.scalars,
                                              mask: mask.scalars, columns: logProbs.shape[1],
                                              klCoefficient: klCoefficient, discountFactor: discountFactor)
    if let task = taskAdvantages { for (i, a) in task.scalars.enumerated() { advantages[i] += a } }

    let advantage = g.constant(advantages, logProbs.shape)                         // A_t, constant
    let ratio = (logProbs - samplingLogProbs.detached()).exp()                      // ρ_t
    let perToken = -(ratio * advantage)
    let loss = aggregate(perToken, mask: mask.detached(), mode: aggregation, globalTokenCount: globalTokenCount)

    let old = samplingLogProbs.scalars, teacher = teacherLogProbs.scalars, m = mask.scalars
    var kl = 0.0, tokens = 0.0
    for i in 0..<m.count where m[i] != 0 { kl += Double(old[i]) - Double(teacher[i]); tokens += 1 }
    return OnPolicyDistillationResult(
        loss: loss, diagnostics: .measure(logProbs: logProbs, oldLogProbs: samplingLogProbs, mask: mask),
        teacherReverseKL: kl / Swift.max(tokens, 1), advantages: advantages)
}

/// The per-token KL advantage −c·m_t·(lp_old,t − lp_T,t), discounted-summed along each row when γ > 0 (tinker's
/// `discounted_future_sum_vectorized`). Row-major [B·T] arrays with T = `columns`.
private func distillationKLAdvantages(samplingLogProbs: [Float], teacherLogProbs: [Float], mask: [Float], columns: Int,
                                      klCoefficient: Float, discountFactor: Float) -> [Float] {
    var advantages = (0..<mask.count).map { -klCoefficient * mask[$0] * (samplingLogProbs[$0] - teacherLogProbs[$0]) }
    if discountFactor > 0 {
        for row in 0..<(mask.count / Swift.max(columns, 1)) {
            var future: Float = 0
            for t in stride(from: columns - 1, through: 0, by: -1) {
                future = advantages[row * columns + t] + discountFactor * future
                advantages[row * columns + t] = future
            }
        }
    }
    return advantages
}

// MARK: Generalised JSD (GKD)

/// Generalised Jensen–Shannon divergence, GKD (Agarwal et al. 2024, "On-Policy Distillation of Language Models:
/// Learning from Self-Generated Mistakes", Eq. 1), as TRL's `GKDTrainer.generalized_jsd_loss` codes it. With
/// P = π_T (teacher) and Q = π_θ (student) at each position:
///
///     M       = β P + (1 − β) Q
///     JSD_β   = β KL(P ‖ M) + (1 − β) KL(Q ‖ M)          for 0 < β < 1
///     β = 0:  KL(P ‖ Q)   (forward KL)                     β = 1:  KL(Q ‖ P)   (reverse KL)
///
/// The endpoints are special-cased exactly as in TRL's code: the JSD formula itself vanishes at β = 0 and β = 1;
/// the two KLs are its limits after dividing by β (β → 0) or by 1 − β (β → 1). log M is computed as a log-sum-exp
/// of log P + log β and log Q + log(1 − β), like TRL. Logits [B, T, V] are divided by `temperature` (TRL's function
/// default 1; `GKDConfig.temperature` is 0.9); mask [B, T]; per-token values summed over V, then token-mean.
/// Default β = 0.5 (TRL's `GKDConfig.beta`).
///
/// GKD's λ (TRL's `lmbda`, default 0.5) is the share of training batches whose responses the student samples
/// itself (on-policy); the other batches use the fixed dataset's responses (or teacher samples, TRL's `seq_kd`).
/// That choice belongs to the training loop: the loss on a batch is the same whichever source it came from.
public func generalizedJSDLoss(studentLogits: Tensor, teacherLogits: Tensor, mask: Tensor, beta: Float = 0.5,
                               temperature: Float = 1, aggregation: Aggregation = .tokenMean,
                               globalTokenCount: Int? = nil) -> Tensor {
    require(beta >= 0 && beta <= 1, "generalizedJSDLoss: beta \(beta) outside [0, 1]")
    let (studentLogProbs, teacherLogProbs) = distillationLogProbs("generalizedJSDLoss", studentLogits, teacherLogits, mask, temperature)
    let perToken: Tensor                                                            // [B, T]
    if beta == 0 {
        perToken = distributionKL(teacherLogProbs, studentLogProbs)                   // KL(P ‖ Q), forward
    } else if beta == 1 {
        perToken = distributionKL(studentLogProbs, teacherLogProbs)                   // KL(Q ‖ P), reverse
    } else {
        let mixtureLogProbs = distributionLogSumExp(teacherLogProbs + Foundation.log(beta), studentLogProbs + Foundation.log(1 - beta))  // log M
        let klTeacher = distributionKL(teacherLogProbs, mixtureLogProbs)              // KL(P ‖ M)
        let klStudent = distributionKL(studentLogProbs, mixtureLogProbs)              // KL(Q ‖ M)
        perToken = beta * klTeacher + (1 - beta) * klStudent
    }
    return aggregate(perToken, mask: mask.detached(), mode: aggregation, globalTokenCount: globalTokenCount)
}

// MARK: Helpers

/// Log-softmax of student and (detached) teacher logits at `temperature`, after checking shapes [B, T, V] / [B, T].
private func distillationLogProbs(_ name: String, _ studentLogits: Tensor, _ teacherLogits: Tensor, _ mask: Tensor,
                                  _ temperature: Float) -> (student: Tensor, teacher: Tensor) {
    require(studentLogits.rank == 3 && teacherLogits.shape == studentLogits.shape,
            "\(name): logits \(studentLogits.shape) vs \(teacherLogits.shape) (need equal [B, T, V])")
    require(mask.shape == Shape(studentLogits.shape[0], studentLogits.shape[1]), "\(name): mask \(mask.shape) vs logits \(studentLogits.shape)")
    require(temperature > 0, "\(name): temperature \(temperature) must be positive")
    let studentLogProbs = (studentLogits * (1 / temperature)).logSoftmax()          // log Q, [B, T, V]
    let teacherLogProbs = (teacherLogits.detached() * (1 / temperature)).logSoftmax() // log P, [B, T, V], constant
    return (studentLogProbs, teacherLogProbs)
}

/// KL(A ‖ B) per position from log-probabilities [B, T, V]: Σ_v e^{log a_v} (log a_v − log b_v) → [B, T].
private func distributionKL(_ logA: Tensor, _ logB: Tensor) -> Tensor {
    (logA.exp() * (logA - logB)).sum(axis: 2)
}

/// log(eᵃ + eᵇ) elementwise, shifted by sg(max(a, b)) for stability (the shift cancels in value and gradient).
private func distributionLogSumExp(_ a: Tensor, _ b: Tensor) -> Tensor {
    let m = maximum(a, b).detached()
    return m + ((a - m).exp() + (b - m).exp()).log()
}
