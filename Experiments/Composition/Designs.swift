// The table of Stage-1 designs tried (issue 8 asks for every design with its gate metrics and results in REPORT.md).
// Measured with `swift run -c release CompositionProbe base …` (greedy, 256 reserved problems per cell; Level 1 over
// all 16 functions, so about 16 per function), environment seed 0, rewrite traces, RoPE, AdamW with warm-up and
// cosine decay (peak 1e-3, 200 warm-up steps), batch 64. The chosen design's own gate (1,024 per cell) is in the
// report's gate section.

extension Composition {
    static let designsTried = """
    Every design trains the main family at Level 1 only, gives the base a general chaining ability through an auxiliary \
    family composed at Levels 1–6, and never composes a held-out function. The probes measured greedy accuracy on 256 \
    reserved problems per cell (Level 1: about 16 per function); the gate proper uses 1,024.

    | # | design | model | steps | mix (auxiliary / train-L2 chain / main L1) | train time (2 cores) | L1 min (functions < 0.9) | held-out L2 | held-out L3 | train L2 | train L3 | gate |
    |---|---|---|---|---|---|---|---|---|---|---|---|
    | 1 | auxiliary chains, no chain prior | d192, 4 layers, 6 heads (1.8M params) | 1,500 | 0.5 / 0 / 0.5 | 605 s | 0.56 (4 functions) | 0.031 | 0.012 | 0.062 | 0.008 | fails (L1; L3 < 0.02) |
    | 2 | + 10% train-function chain prior | same | 3,000 | 0.5 / 0.1 / 0.4 | 908 s | 0.94 | 0.055 | 0.008 | 0.949 | 0.234 | fails (L3 < 0.02; train L2 saturated) |
    | 3 | main L1 packed after 0–2 solved L1 examples | same | 3,000 | 0.5 / 0 / 0.5 | 1,030 s | 1.00 | 0.039 | 0.000 | 0.035 | 0.004 | fails (L3 < 0.02) |
    | 4 | design 3 with ids spelled `F`/`G` + shared digit tokens | same | 3,000 | 0.5 / 0 / 0.5 | 1,389 s | 1.00 | 0.000 | 0.000 | 0.031 | 0.000 | fails (L3 < 0.02) |
    | 5 | design 3 + the response restates the prompt (`e₀ = e₁ = …`) + 8 aliases per auxiliary function | same | 3,000 | 0.5 / 0 / 0.5 | 1,541 s | 0.94 (compressRepeats) | 0.031 | 0.016 | 0.031 | 0.008 | fails (L3 < 0.02) |
    | 6 | design 5 with every id an opaque two-digit number (shared digit tokens, no family mark) | same | 3,000 | 0.5 / 0 / 0.5 | 2,082 s | 0.94 (at 1,024 per function: 0.80, deterministicShuffle and compressRepeats) | 0.066 | 0.004 | 0.098 | 0.016 | fails (L1; L3 < 0.02) |
    DESIGN7_ROW

    **What each design taught us.**
    - Design 1: chaining learned on the auxiliary family barely transfers to the main family (train L2 0.06), and 1,500 steps do not master sorting, shuffling, compressing and mirroring.
    - Design 2: 3,000 steps master every atomic skill. A 10% chain prior teaches those particular compositions (train L2 0.95) but not composition in general (held-out L3 0.008), and it saturates the Stage-2 reward. As in FINDINGS.md's feasibility probes, the main family's skills are tied to the position right after a prompt.
    - Design 3: packing Level-1 examples after other solved examples practises the skills away from the start of a sequence; it changed nothing. Decoded answers show why: the model writes a well-formed rewrite trace but replaces the main-family ids it should copy with auxiliary ids (`f14(f6(gaachc)) =` is answered `g4(gchcga) = …`). In Stage 1 no response ever writes a main-family id, and with only 10 auxiliary ids a trace's outer calls can be memorised instead of copied.
    - Design 4: spelling ids with shared digit tokens did not help: the trace writes `G 2 (…)` for `f14(f6(…))`. There is no copy mechanism for the digits to ride on.
    - RL probes from design 3 (GRPO on train Level 2): at lr 1e-4 train L2 rose 0.035 → 0.17 but Level 1 collapsed to ≈ 0.5 (the claims' precondition broken); RL L1+2 at lr 2e-5 for 200 steps kept Level 1 and lifted train L2 to 0.125, and held-out accuracy did not move (L3 stayed 0), as the id-substitution failure predicts.
    - Design 5: two changes aimed at the copy step. Restating the prompt makes every Level-1 response write a main-family id (copied from the prompt); aliasing the auxiliary ids (8 interchangeable tokens per function, drawn per problem) makes a chain's calls impossible to write except by copying. The restatement is now copied correctly at its outermost call but not inside: `f14(f6(gaachc)) =` is restated `f14 ( g6~2 ( … ) )`. A main-family id had only ever been written as the first token of a response, and an inner call had only ever been an auxiliary alias: the model learned which kind of token goes where, not a copy. A short RL L1+2 probe (lr 5e-5, 20 steps) found the GRPO groups starved: token entropy 0.04–0.05, 6–12% of the samples in groups with mixed rewards.
    - Design 6: ids as opaque two-digit numbers in both families, so that copying a call is copying two digits, which the aliased auxiliary chains practise at every nesting position. This fixed the copy: decoded answers restate the prompt and carry every call through the trace correctly (`f14(f6(gaachc)) =` is answered `62 ( 46 ( gaachc ) ) = 62 ( ggachc ) = …`, 62 and 46 being the numbers of f14 and f6). The errors left are atomic (92–94% of the wrong Level-2 and Level-3 answers): a main-family function applied inside a trace, with its call nested in another, gives a wrong value, while the same function at Level 1 is right. Stage 1 only ever applies a main-family function at the top of a response. Its gate at 1,024 per cell: Level-1 minimum 0.80 (deterministicShuffle; compressRepeats 0.84), held-out L2 0.052, L3 0.010, train L2 0.082, L3 0.014. Short GRPO probes on train Level 2 (40 steps of 16 × 8): at lr 5e-5 train L2 rose 0.086 → 0.148 and train L3 0.008 → 0.062 while held-out L2 fell 0.094 → 0.039 (train L1 0.89); at lr 1e-4 Level 1 broke (0.72). RL learned the particular train compositions, not nested application in general.
    DESIGN7_TEXT
    """
}
