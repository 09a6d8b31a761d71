import Testing
import Foundation
@testable import Environments
import Engine

// ParityDigits: glyph templates and rendering against hand-drawn patterns, the label rules against hand-written
// values, the datasets' invariants (every label of every row checked), determinism, disjointness, difficulty, and
// fuzzing of every function that accepts untrusted integers or vectors.

/// Renders a hand-drawn pattern ('#' = 1, '+' = ½, '.' = 0) as row-major floats.
private func parityPattern(_ rows: [String]) -> [Float] {
    rows.flatMap { $0.map { $0 == "#" ? Float(1) : $0 == "+" ? 0.5 : 0 } }
}

private func parityRenderDigit(_ digit: Int, _ pose: ParityDigitsGlyphPose, side: Int = 12) -> [Float] {
    var out = [Float](repeating: -1, count: side * side)
    out.withUnsafeMutableBufferPointer {
        ParityDigitsGlyphs.render(digit: digit, pose: pose, side: side, into: $0.baseAddress!)
    }
    return out
}

private func parityRenderTexture(_ textureClass: Int, _ pose: ParityDigitsTexturePose, side: Int = 12,
                           sharpness: Float = 1) -> [Float] {
    var out = [Float](repeating: -1, count: side * side)
    out.withUnsafeMutableBufferPointer {
        ParityDigitsTextures.render(textureClass: textureClass, pose: pose, side: side, sharpness: sharpness,
                                    into: $0.baseAddress!)
    }
    return out
}

/// A pose whose segment centre lines run through pixel centres: corners at x ∈ {4.5, 8.5}, y ∈ {2.5, 6.5, 10.5},
/// i.e. columns 4 and 8, rows 2, 6 and 10.
private let parityGridPose = ParityDigitsGlyphPose(centerX: 6.5, centerY: 6.5, height: 8, width: 4, slant: 0,
                                                   strokeWidth: 1, ink: 1)

private func parityClose(_ a: Float, _ b: Float, _ tolerance: Float = 1e-5) -> Bool { Swift.abs(a - b) <= tolerance }

@Suite struct ParityDigitsGlyphTests {
    @Test func segmentTemplates() {
        // a b c d e f g = bits 0…6
        #expect(ParityDigitsGlyphs.segments(of: 8) == 0b111_1111)            // all seven
        #expect(ParityDigitsGlyphs.segments(of: 1) == 0b000_0110)            // b, c
        #expect(ParityDigitsGlyphs.segments(of: 7) == 0b000_0111)            // a, b, c
        #expect(ParityDigitsGlyphs.segments(of: 0) == 0b011_1111)            // all but g
        #expect(ParityDigitsGlyphs.segments(of: 4) == 0b110_0110)            // b, c, f, g
        let counts = (0...9).map { ParityDigitsGlyphs.litSegmentCount(of: $0) }
        #expect(counts == [6, 2, 5, 5, 4, 5, 6, 3, 7, 6])
        // every digit has a distinct template
        #expect(Set(ParityDigitsGlyphs.segmentMasks).count == 10)
        #expect(ParityDigitsGlyphs.segments(of: -1) == 0 && ParityDigitsGlyphs.segments(of: 10) == 0)
    }

    @Test func cornersFollowPoseShearAndWobble() {
        // height 8, width 4, centre (6, 6), slant 0.5: the top row (y = −4) moves right by 2, the bottom left by 2
        var pose = ParityDigitsGlyphPose(centerX: 6, centerY: 6, height: 8, width: 4, slant: 0.5)
        pose.cornerOffsets[10] = 0.25     // BR dx
        pose.cornerOffsets[11] = -0.5     // BR dy
        let c = pose.corners()
        let expected: [Float] = [6, 2, 10, 2,     // TL, TR
                                 4, 6, 8, 6,      // ML, MR
                                 2, 10, 6.25, 9.5] // BL, BR
        for k in 0..<12 { #expect(parityClose(c[k], expected[k]), "lane \(k): \(c[k]) vs \(expected[k])") }
    }

    @Test func renderedSevenMatchesHandDrawnPattern() {
        let expected = parityPattern([
            "............",
            "............",
            "....#####...",
            "........#...",
            "........#...",
            "........#...",
            "........#...",
            "........#...",
            "........#...",
            "........#...",
            "........#...",
            "............",
        ])
        #expect(parityRenderDigit(7, parityGridPose) == expected)
    }

    @Test func renderedFourWithHalfInkMatchesHandDrawnPattern() {
        var pose = parityGridPose
        pose.ink = 0.5
        let expected = parityPattern([
            "............",
            "............",
            "....#...#...",
            "....#...#...",
            "....#...#...",
            "....#...#...",
            "....#####...",
            "........#...",
            "........#...",
            "........#...",
            "........#...",
            "............",
        ]).map { $0 * 0.5 }
        #expect(parityRenderDigit(4, pose) == expected)
    }

    @Test func strokeWidthTwoAntiAliases() {
        // digit 1 = column 8, rows 2…10; width 2 ⇒ reach 1.5: distance 1 → ½, distance √2 → 1.5 − √2
        var pose = parityGridPose
        pose.strokeWidth = 2
        let img = parityRenderDigit(1, pose)
        #expect(img[5 * 12 + 8] == 1)
        #expect(img[5 * 12 + 7] == 0.5 && img[5 * 12 + 9] == 0.5)
        #expect(img[1 * 12 + 8] == 0.5 && img[11 * 12 + 8] == 0.5)
        #expect(parityClose(img[1 * 12 + 7], 1.5 - Float(2).squareRoot()))
        #expect(img[5 * 12 + 6] == 0 && img[0] == 0)
    }

    @Test func eightContainsEveryOtherDigitsStrokes() {
        // with identical pose, every lit pixel of any digit is lit (≥) in 8, and 8 ≠ any other digit
        let eight = parityRenderDigit(8, parityGridPose)
        for d in 0...9 where d != 8 {
            let img = parityRenderDigit(d, parityGridPose)
            #expect(zip(img, eight).allSatisfy { $0 <= $1 })
            #expect(img != eight)
        }
    }

    @Test func fastRendererMatchesItsNaiveTwin() {
        let g = ParityDigitsGenerator()
        var rng = RandomStream(seed: 21)
        var fast = [Float](repeating: 0, count: 144), naive = [Float](repeating: 0, count: 144)
        for i in 0..<500 {
            var pose = g.sampleGlyphPose(rng: &rng)
            if i % 7 == 0 {     // TR moved onto TL: segment a degenerates to a point
                pose.cornerOffsets[2] = pose.cornerOffsets[0] - pose.width
                pose.cornerOffsets[3] = pose.cornerOffsets[1]
            }
            let digit = i % 12 - 1      // includes −1 and 10 (blank)
            fast.withUnsafeMutableBufferPointer {
                ParityDigitsGlyphs.render(digit: digit, pose: pose, side: 12, into: $0.baseAddress!)
            }
            naive.withUnsafeMutableBufferPointer {
                ParityDigitsGlyphs.renderNaive(digit: digit, pose: pose, side: 12, into: $0.baseAddress!)
            }
            #expect(zip(fast, naive).allSatisfy { Swift.abs($0 - $1) < 1e-5 }, "digit \(digit), pose \(pose)")
        }
    }

    @Test func outOfRangeDigitRendersBlank() {
        for d in [-1, 10, Int.min, Int.max] { #expect(parityRenderDigit(d, parityGridPose).allSatisfy { $0 == 0 }) }
    }

    @Test func glyphIsCentredOnLargerImages() {
        // side 16: neutral pose centred at (8, 8); the vertical centre of mass of an 8 lies within half a pixel
        var config = ParityDigitsConfig()
        config.imageSide = 16
        let img = parityRenderDigit(8, .neutral(config), side: 16)
        var mass: Float = 0, my: Float = 0, mx: Float = 0
        for r in 0..<16 {
            for c in 0..<16 { let v = img[r * 16 + c]; mass += v; my += v * (Float(r) + 0.5); mx += v * (Float(c) + 0.5) }
        }
        #expect(Swift.abs(my / mass - 8) < 0.5 && Swift.abs(mx / mass - 8) < 0.5)
    }
}

@Suite struct ParityDigitsTextureTests {
    @Test func stripesAreConstantAlongTheirDirection() {
        func stripes(_ k: Int, _ angle: Float) -> [Float] {
            parityRenderTexture(k, ParityDigitsTexturePose(angle: angle, period: 4, phase: 0.3, centerX: 6, centerY: 6))
        }
        let horizontal = stripes(0, 0)
        for r in 0..<12 { for c in 1..<12 { #expect(horizontal[r * 12 + c] == horizontal[r * 12]) } }
        #expect(Set(horizontal).count > 3)      // but varies down the columns
        let vertical = stripes(1, .pi / 2)
        for r in 1..<12 { for c in 0..<12 { #expect(parityClose(vertical[r * 12 + c], vertical[c], 1e-4)) } }
        // ╲ stripes (θ = π/4) are constant along the down-right diagonal
        let diagonal = stripes(2, .pi / 4)
        for i in 1..<12 { #expect(parityClose(diagonal[i * 12 + i], diagonal[0], 1e-4)) }
    }

    @Test func stripeProfileHandValues() {
        // horizontal stripes, period 4, phase 0, centre y = 6: row r has v = r + ½ − 6, value ½ + ½·sin(2π·v/4)
        let img = parityRenderTexture(0, ParityDigitsTexturePose(angle: 0, period: 4, phase: 0, centerX: 6, centerY: 6))
        let expectedRow6 = 0.5 + 0.5 * Float(sin(Double.pi / 4))           // v = ½
        let expectedRow4 = 0.5 + 0.5 * Float(sin(-3 * Double.pi / 4))      // v = −3/2
        #expect(parityClose(img[6 * 12], expectedRow6) && parityClose(img[4 * 12], expectedRow4))
        // sharpness 2 clamps: row 6 → clamp(½ + sin(π/4)) = 1
        let sharp = parityRenderTexture(0, ParityDigitsTexturePose(angle: 0, period: 4, phase: 0, centerX: 6, centerY: 6),
                                        sharpness: 2)
        #expect(sharp[6 * 12] == 1)
    }

    @Test func crossAndFrameMatchHandDrawnPatterns() {
        let cross = parityRenderTexture(7, ParityDigitsTexturePose(angle: 0, centerX: 6.5, centerY: 6.5, strokeWidth: 1))
        #expect(cross == parityPattern([
            "......#.....",
            "......#.....",
            "......#.....",
            "......#.....",
            "......#.....",
            "......#.....",
            "############",
            "......#.....",
            "......#.....",
            "......#.....",
            "......#.....",
            "......#.....",
        ]))
        let frame = parityRenderTexture(9, ParityDigitsTexturePose(angle: 0, centerX: 6.5, centerY: 6.5, size: 3,
                                                                   strokeWidth: 1))
        #expect(frame == parityPattern([
            "............",
            "............",
            "............",
            "...#######..",
            "...#.....#..",
            "...#.....#..",
            "...#.....#..",
            "...#.....#..",
            "...#.....#..",
            "...#######..",
            "............",
            "............",
        ]))
    }

    @Test func blobAndDotsAndRings() {
        // blob radius 3 at (6.5, 6.5): centre pixel full, corner pixel empty, symmetric left/right
        let blob = parityRenderTexture(6, ParityDigitsTexturePose(centerX: 6.5, centerY: 6.5, size: 3))
        #expect(blob[6 * 12 + 6] == 1 && blob[0] == 0)
        #expect(blob[6 * 12 + 4] == blob[6 * 12 + 8])
        // dots: radius ½ on a lattice of period 4 through (6.5, 6.5): exactly the pixels (2,2), (2,6), … lit
        let dots = parityRenderTexture(8, ParityDigitsTexturePose(period: 4, centerX: 6.5, centerY: 6.5, size: 0.5))
        for r in 0..<12 { for c in 0..<12 {
            #expect(dots[r * 12 + c] == ((r % 4 == 2 && c % 4 == 2) ? 1 : 0), "dots (\(r), \(c))")
        } }
        // rings are radially symmetric about their centre
        let rings = parityRenderTexture(5, ParityDigitsTexturePose(period: 4, phase: 1, centerX: 6, centerY: 6))
        #expect(parityClose(rings[2 * 12 + 3], rings[3 * 12 + 2]) && parityClose(rings[2 * 12 + 3], rings[9 * 12 + 8]))
    }

    @Test func outOfRangeClassRendersBlankAndInkScales() {
        for k in [-1, 10, Int.min, Int.max] {
            #expect(parityRenderTexture(k, ParityDigitsTexturePose(centerX: 6, centerY: 6)).allSatisfy { $0 == 0 })
        }
        let full = parityRenderTexture(7, ParityDigitsTexturePose(centerX: 6.5, centerY: 6.5))
        let half = parityRenderTexture(7, ParityDigitsTexturePose(centerX: 6.5, centerY: 6.5, ink: 0.5))
        #expect(half == full.map { $0 * 0.5 })
    }

    @Test func theTenClassesAreDistinctWithoutJitter() {
        let g = ParityDigitsGenerator()
        var rng = RandomStream(seed: 3)
        var images: [[Float]] = []
        for k in 0..<10 {
            var pose = g.sampleTexturePose(textureClass: k, rng: &rng)
            pose.angle = ParityDigitsTextures.baseAngles[k]; pose.centerX = 6; pose.centerY = 6
            images.append(parityRenderTexture(k, pose))
        }
        #expect(Set(images).count == 10)
    }
}

@Suite struct ParityDigitsLabelTests {
    @Test func parityRulesByHand() {
        #expect(ParityDigits.correctLabels(digit: 3) == [1, 3, 5, 7, 9])
        #expect(ParityDigits.correctLabels(digit: 0) == [0, 2, 4, 6, 8])
        #expect(ParityDigits.correctMask(digit: 6) == [1, 0, 1, 0, 1, 0, 1, 0, 1, 0])
        #expect(ParityDigits.correctMask(digit: 9) == [0, 1, 0, 1, 0, 1, 0, 1, 0, 1])
        #expect(ParityDigits.uniformTarget(digit: 4) == [0.2, 0, 0.2, 0, 0.2, 0, 0.2, 0, 0.2, 0])
        #expect(ParityDigits.isCorrect(label: 8, digit: 2) && !ParityDigits.isCorrect(label: 7, digit: 2))
        #expect(ParityDigits.reward(label: 5, digit: 1) == 1 && ParityDigits.reward(label: 4, digit: 1) == 0)
        #expect(ParityDigits.parity(of: 7) == 1 && ParityDigits.parity(of: 4) == 0 && ParityDigits.parity(of: -2) == -1)
        #expect(ParityDigits.oneHot(3) == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0])
        #expect(ParityDigits.isCorrect(label: 3, textureClass: 3) && !ParityDigits.isCorrect(label: 4, textureClass: 3))
    }

    @Test func everyDigitHasFiveCorrectLabelsOfItsParity() {
        for d in 0...9 {
            let mask = ParityDigits.correctMask(digit: d)
            #expect(mask.reduce(0, +) == 5)
            for y in 0...9 { #expect((mask[y] == 1) == (y % 2 == d % 2)) }
            #expect(parityClose(ParityDigits.uniformTarget(digit: d).reduce(0, +), 1))
        }
    }

    @Test func correctMassAndOracleTargetByHand() {
        let p: [Float] = [0.1, 0.2, 0.1, 0.3, 0, 0.1, 0.05, 0.05, 0.04, 0.06]
        #expect(parityClose(ParityDigits.correctMass(probabilities: p, digit: 1), 0.71))   // 0.2 + 0.3 + 0.1 + 0.05 + 0.06
        #expect(parityClose(ParityDigits.correctMass(probabilities: p, digit: 2), 0.29))   // 0.1 + 0.1 + 0 + 0.05 + 0.04
        // q* on odd labels: [0.2, 0.3, 0.1, 0.05, 0.06] / 0.71
        let q = ParityDigits.oracleTarget(digit: 1, base: p)
        let expected: [Float] = [0, 0.2 / 0.71, 0, 0.3 / 0.71, 0, 0.1 / 0.71, 0, 0.05 / 0.71, 0, 0.06 / 0.71]
        for y in 0..<10 { #expect(parityClose(q[y], expected[y])) }
        // no mass on the correct labels ⇒ the uniform target
        let allWrong: [Float] = [0, 1, 0, 0, 0, 0, 0, 0, 0, 0]
        #expect(ParityDigits.oracleTarget(digit: 0, base: allWrong) == ParityDigits.uniformTarget(digit: 0))
    }

    @Test func sftVariantsByHand() {
        #expect(ParityDigitsSFTVariant.sft1.labels(digit: 4) == [0] && ParityDigitsSFTVariant.sft1.labels(digit: 7) == [1])
        #expect(ParityDigitsSFTVariant.sft2.labels(digit: 6) == [0, 4])
        #expect(ParityDigitsSFTVariant.sft2.labels(digit: 3) == [1, 5])
        #expect(ParityDigitsSFTVariant.sft1.target(digit: 9) == [0, 1, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(ParityDigitsSFTVariant.sft2.target(digit: 2) == [0.5, 0, 0, 0, 0.5, 0, 0, 0, 0, 0])
        var rng = RandomStream(seed: 1)
        var counts = [Int](repeating: 0, count: 10)
        for i in 0..<2000 { counts[ParityDigitsSFTVariant.sft2.sampleLabel(digit: i % 10, rng: &rng)] += 1 }
        #expect(counts[2] + counts[3] + counts[6] + counts[7] + counts[8] + counts[9] == 0)
        for y in [0, 1, 4, 5] { #expect(counts[y] > 400 && counts[y] < 600) }   // ≈ 500 each
        for d in 0...9 { #expect(ParityDigitsSFTVariant.sft1.sampleLabel(digit: d, rng: &rng) == d % 2) }
    }

    @Test func sampledCorrectLabelsAreCorrectAndCoverAllFive() {
        var rng = RandomStream(seed: 2)
        for d in 0...9 {
            var seen = Set<Int>()
            for _ in 0..<200 {
                let y = ParityDigits.sampleCorrectLabel(digit: d, rng: &rng)
                #expect(ParityDigits.isCorrect(label: y, digit: d))
                seen.insert(y)
            }
            #expect(seen == Set(ParityDigits.correctLabels(digit: d)))
        }
    }

    @Test func divergencesByHand() {
        // KL([½, ½] ‖ [¼, ¾]) = ½ ln 2 + ½ ln(2/3) = 0.1438410362
        #expect(Swift.abs(ParityDigits.kl([0.5, 0.5], [0.25, 0.75]) - 0.1438410362) < 1e-7)
        #expect(ParityDigits.kl([1, 0], [1, 0]) == 0)                      // 0·log 0 = 0
        #expect(ParityDigits.kl([1, 0], [0, 1]).isFinite)                  // q floored, no infinity
        #expect(Swift.abs(ParityDigits.totalVariation([0.5, 0.5], [0.25, 0.75]) - 0.25) < 1e-9)
        let p = ParityDigits.uniformTarget(digit: 0) + ParityDigits.uniformTarget(digit: 1)
        let q = ParityDigits.oneHot(0) + ParityDigits.oneHot(1)
        // KL(uniform-over-5 ‖ one-hot) is large (floored q); KL(one-hot ‖ uniform-over-5) = ln 5
        #expect(Swift.abs(ParityDigits.meanKL(q, p) - log(5.0)) < 1e-6)
        #expect(Swift.abs(ParityDigits.meanTotalVariation(p, q) - 0.8) < 1e-6)
    }
}

@Suite struct ParityDigitsDatasetTests {
    static let config: ParityDigitsConfig = {
        var c = ParityDigitsConfig()
        c.pretrainingPerTask = 250; c.evaluationPerTask = 250
        return c
    }()
    static let data = ParityDigitsDatasets(config: config, stream: RandomStream(seed: 7))

    @Test func shapesRangesAndIndicators() {
        let d = Self.data
        #expect(d.pretraining.count == 500 && d.evaluationParity.count == 250 && d.evaluationPrior.count == 250)
        for b in [d.pretraining, d.evaluationParity, d.evaluationPrior, d.fineTuningBatch(index: 0, count: 64)] {
            #expect(b.inputWidth == 145 && b.inputs.count == b.count * 145 && b.shape == Shape(b.count, 145))
            for r in 0..<b.count {
                #expect(b.pixels(row: r).allSatisfy { $0 >= 0 && $0 <= 1 })
                #expect(b.inputs[r * 145 + 144] == (b.tasks[r] == .parity ? 1 : -1))
            }
        }
        #expect(d.pretraining.tasks[0..<250].allSatisfy { $0 == .parity })
        #expect(d.pretraining.tasks[250..<500].allSatisfy { $0 == .prior })
        #expect(d.evaluationPrior.tasks.allSatisfy { $0 == .prior })
        #expect(d.fineTuningBatch(index: 3, count: 10).tasks.allSatisfy { $0 == .parity })
    }

    @Test func everyLabelOfEveryRowIsCheckedForParity() {
        let d = Self.data
        for b in [d.pretraining, d.evaluationParity, d.evaluationPrior, d.fineTuningBatch(index: 1, count: 200)] {
            let masks = b.correctMasks(), targets = b.targetDistributions()
            for r in 0..<b.count {
                let mask = Array(masks[(r * 10)..<(r * 10 + 10)])
                let k = b.classes[r]
                if b.tasks[r] == .parity {
                    #expect(mask.reduce(0, +) == 5)
                    for y in 0..<10 {
                        let correct = y % 2 == k % 2
                        #expect((mask[y] == 1) == correct && b.isCorrect(row: r, label: y) == correct)
                        #expect(targets[r * 10 + y] == (correct ? 0.2 : 0))
                        #expect(b.reward(row: r, label: y) == (correct ? 1 : 0))
                    }
                } else {
                    #expect(mask == ParityDigits.oneHot(k))
                    for y in 0..<10 { #expect(b.isCorrect(row: r, label: y) == (y == k)) }
                    #expect(Array(targets[(r * 10)..<(r * 10 + 10)]) == ParityDigits.oneHot(k))
                }
            }
        }
        for r in 0..<d.pretraining.count { #expect(d.pretraining.isCorrect(row: r, label: d.pretrainingLabels[r])) }
    }

    @Test func fixedSetsAreBalanced() {
        let d = Self.data
        var parity = [Int](repeating: 0, count: 10), prior = [Int](repeating: 0, count: 10)
        for r in 0..<d.pretraining.count {
            let k = d.pretraining.classes[r]
            if d.pretraining.tasks[r] == .parity { parity[k] += 1 } else { prior[k] += 1 }
        }
        #expect(parity == Array(repeating: 25, count: 10) && prior == Array(repeating: 25, count: 10))
        var rng = RandomStream(seed: 1)
        let odd = ParityDigitsGenerator.balancedClasses(count: 23, rng: &rng)
        let counts = (0..<10).map { k in odd.filter { $0 == k }.count }
        #expect(odd.count == 23 && counts.allSatisfy { $0 == 2 || $0 == 3 } && counts.filter { $0 == 3 }.count == 3)
    }

    @Test func determinismPerSeed() {
        let a = ParityDigitsDatasets(config: Self.config, stream: RandomStream(seed: 7))
        #expect(a.pretraining == Self.data.pretraining && a.pretrainingLabels == Self.data.pretrainingLabels)
        #expect(a.evaluationParity == Self.data.evaluationParity && a.evaluationPrior == Self.data.evaluationPrior)
        #expect(a.fineTuningBatch(index: 5, count: 32) == Self.data.fineTuningBatch(index: 5, count: 32))
        let b = ParityDigitsDatasets(config: Self.config, stream: RandomStream(seed: 8))
        #expect(b.pretraining.inputs != a.pretraining.inputs && b.evaluationParity.inputs != a.evaluationParity.inputs)
        #expect(a.fineTuningBatch(index: 5, count: 32) != a.fineTuningBatch(index: 6, count: 32))
        // one image from the same stream state is the same image
        let g = ParityDigitsGenerator()
        var r1 = RandomStream(seed: 11), r2 = RandomStream(seed: 11)
        #expect(g.image(task: .parity, label: 3, rng: &r1) == g.image(task: .parity, label: 3, rng: &r2))
        #expect(g.image(task: .prior, label: 3, rng: &r1) == g.image(task: .prior, label: 3, rng: &r2))
    }

    @Test func setsAreDisjoint() {
        let d = Self.data
        func pixelRows(_ b: ParityDigitsBatch) -> [[Float]] { (0..<b.count).map { Array(b.pixels(row: $0)) } }
        let pre = pixelRows(d.pretraining), evalP = pixelRows(d.evaluationParity), evalQ = pixelRows(d.evaluationPrior)
        let fine = (0..<8).flatMap { pixelRows(d.fineTuningBatch(index: $0, count: 64)) }
        let all = pre + evalP + evalQ + fine
        #expect(Set(all).count == all.count)       // no image appears twice anywhere
    }

    @Test func classesAreDistinguishableButOverlap() {
        // nearest-centroid on raw pixels, centroids from the pretraining set, scored on the held-out sets
        // (measured for seed 7: digits ≈ 0.5, textures ≈ 0.6; chance 0.1)
        let d = Self.data, n = Self.config.pretrainingPerTask
        func nearestCentroid(_ train: ParityDigitsBatch, _ test: ParityDigitsBatch) -> Double {
            let p = train.pixelCount
            var centroid = [Float](repeating: 0, count: 10 * p), counts = [Float](repeating: 0, count: 10)
            for r in 0..<train.count {
                for (j, v) in train.pixels(row: r).enumerated() { centroid[train.classes[r] * p + j] += v }
                counts[train.classes[r]] += 1
            }
            for k in 0..<10 { for j in 0..<p { centroid[k * p + j] /= Swift.max(counts[k], 1) } }
            var right = 0
            for r in 0..<test.count {
                let x = Array(test.pixels(row: r))
                let distances = (0..<10).map { k in
                    (0..<p).reduce(Float(0)) { $0 + (x[$1] - centroid[k * p + $1]) * (x[$1] - centroid[k * p + $1]) }
                }
                if distances.firstIndex(of: distances.min()!) == test.classes[r] { right += 1 }
            }
            return Double(right) / Double(test.count)
        }
        let digits = nearestCentroid(d.pretraining.rows(0..<n), d.evaluationParity)
        let textures = nearestCentroid(d.pretraining.rows(n..<(2 * n)), d.evaluationPrior)
        #expect(digits > 0.3 && digits < 0.9, "digit nearest-centroid accuracy \(digits)")
        #expect(textures > 0.3 && textures < 0.9, "texture nearest-centroid accuracy \(textures)")
    }

    @Test func noiseFreeJitterFreeGeneratorIsTheRenderer() {
        var c = ParityDigitsConfig()
        c.pixelNoise = 0; c.scaleJitter = 0; c.maxShift = 0; c.maxSlant = 0; c.cornerJitter = 0; c.inkMin = 1
        c.strokeWidthMin = 1.2; c.strokeWidthMax = 1.2
        let g = ParityDigitsGenerator(config: c)
        var rng = RandomStream(seed: 4)
        let pose = g.sampleGlyphPose(rng: &rng)
        #expect(pose == .neutral(c))
        let img = g.image(task: .parity, label: 2, rng: &rng)
        #expect(img == parityRenderDigit(2, .neutral(c)))
    }

    @Test func sampledPosesStayInsideAndSpanTheConfiguredRanges() {
        // side 24 ⇒ pixelScale 2: every length range doubles
        var c = ParityDigitsConfig()
        c.imageSide = 24
        let g = ParityDigitsGenerator(config: c)
        var rng = RandomStream(seed: 12)
        let poses = (0..<2000).map { _ in g.sampleGlyphPose(rng: &rng) }
        func spans(_ values: [Float], _ low: Float, _ high: Float) -> Bool {
            let lo = values.min()!, hi = values.max()!
            return lo >= low && hi <= high && lo < low + 0.05 * (high - low) && hi > high - 0.05 * (high - low)
        }
        #expect(spans(poses.map(\.centerX), 12 - 2.4, 12 + 2.4) && spans(poses.map(\.centerY), 12 - 2.4, 12 + 2.4))
        #expect(spans(poses.map(\.height), 14 * 0.85, 14 * 1.15))
        #expect(spans(poses.map(\.slant), -0.3, 0.3))
        #expect(spans(poses.map(\.strokeWidth), 1.6, 3.2))
        #expect(spans(poses.map(\.ink), 0.6, 1))
        #expect(poses.allSatisfy { parityClose($0.width, 0.55 * $0.height) })
        // corner wobble: N(0, (0.35 · 2)²) per lane ⇒ RMS ≈ 0.7; lanes 12–15 unused
        let wobble = poses.flatMap { p in (0..<12).map { p.cornerOffsets[$0] } }
        let rms = (wobble.reduce(0) { $0 + $1 * $1 } / Float(wobble.count)).squareRoot()
        #expect(Swift.abs(rms - 0.7) < 0.05)
        #expect(poses.allSatisfy { p in (12..<16).allSatisfy { p.cornerOffsets[$0] == 0 } })
        // textures: base angle + small jitter (σ = 0.1), periods and sizes in range
        let stripes = (0..<1000).map { _ in g.sampleTexturePose(textureClass: 2, rng: &rng) }
        let angles = stripes.map { $0.angle - .pi / 4 }
        #expect(Swift.abs(angles.reduce(0, +) / 1000) < 0.02 && angles.allSatisfy { Swift.abs($0) < 0.6 })
        #expect(spans(stripes.map(\.period), 7, 10))
        let frames = (0..<1000).map { _ in g.sampleTexturePose(textureClass: 9, rng: &rng) }
        #expect(spans(frames.map(\.size), 6.4 * 0.8, 6.4 * 1.2))
        let blobs = (0..<1000).map { _ in g.sampleTexturePose(textureClass: 6, rng: &rng) }
        #expect(spans(blobs.map(\.angle), 0, .pi) && spans(blobs.map(\.size), 5.2 * 0.8, 5.2 * 1.2))
    }

    @Test func noiseHasTheConfiguredSpreadAndIsClamped() {
        var c = ParityDigitsConfig()
        c.pixelNoise = 0.1
        let g = ParityDigitsGenerator(config: c)
        var rng = RandomStream(seed: 13)
        var x = [Float](repeating: 0.5, count: 20_001)     // odd count: the last pair's second normal is unused
        x.withUnsafeMutableBufferPointer { g.addNoise($0.baseAddress!, count: $0.count, rng: &rng) }
        let mean = x.reduce(0, +) / Float(x.count)
        let std = (x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(x.count)).squareRoot()
        #expect(Swift.abs(mean - 0.5) < 0.005 && Swift.abs(std - 0.1) < 0.005, "mean \(mean), std \(std)")
        var loud = [Float](repeating: 0.9, count: 1000)
        c.pixelNoise = 5
        loud.withUnsafeMutableBufferPointer {
            ParityDigitsGenerator(config: c).addNoise($0.baseAddress!, count: 1000, rng: &rng)
        }
        #expect(loud.allSatisfy { $0 >= 0 && $0 <= 1 } && loud.contains(0) && loud.contains(1))
        // zero noise consumes no randomness and only clamps
        c.pixelNoise = 0
        var before = rng
        var values: [Float] = [-0.5, 0.25, 1.5]
        values.withUnsafeMutableBufferPointer {
            ParityDigitsGenerator(config: c).addNoise($0.baseAddress!, count: 3, rng: &rng)
        }
        #expect(values == [0, 0.25, 1] && rng.next() == before.next())
    }

    @Test func largerImagesHaveLargerRows() {
        var c = Self.config
        c.imageSide = 16; c.pretrainingPerTask = 20; c.evaluationPerTask = 10
        let d = ParityDigitsDatasets(config: c, stream: RandomStream(seed: 1))
        #expect(d.pretraining.inputWidth == 257 && d.pretraining.inputs.count == 40 * 257)
        #expect(d.evaluationParity.inputs.count == 10 * 257)
    }

    @Test func batchHelpersByHand() {
        // two rows: parity digit 3, prior class 2
        let b = ParityDigitsBatch(inputWidth: 2, inputs: [0.5, 1, 0.25, -1], tasks: [.parity, .prior], classes: [3, 2])
        var probs = [Float](repeating: 0.1, count: 20)
        probs[12] = 0.55; probs[13] = 0.05; probs[14] = 0.05; probs[15] = 0.05    // prior row: mass 0.55 on class 2
        let mass = b.correctMass(probabilities: probs)
        #expect(parityClose(mass[0], 0.5) && parityClose(mass[1], 0.55))
        #expect(Swift.abs(b.meanCorrectMass(probabilities: probs) - 0.525) < 1e-6)
        // argmax: row 0 all ties → label 0 (wrong for digit 3); row 1 → label 2 (right)
        #expect(b.argmaxLabels(scores: probs) == [0, 2] && b.argmaxAccuracy(scores: probs) == 0.5)
        #expect(b.rewards(labels: [7, 3]) == [1, 0])
        var rng = RandomStream(seed: 0)
        #expect(b.sftLabels(.sft1, rng: &rng) == [1, 2])
        let oracle = b.oracleTargets(base: probs)
        #expect(Array(oracle[0..<10]) == [0, 0.2, 0, 0.2, 0, 0.2, 0, 0.2, 0, 0.2])
        #expect(Array(oracle[10..<20]) == ParityDigits.oneHot(2))
        #expect(b.rows([1, 1, 0]).classes == [2, 2, 3] && b.rows([1]).inputs == [0.25, -1])
        #expect(ParityDigitsBatch.concatenation([b, b.rows(0..<1)]).classes == [3, 2, 3])
        #expect(b.pixels(row: 1) == [0.25])
    }

    @Test func configRoundTripsThroughJSON() throws {
        var c = ParityDigitsConfig()
        c.imageSide = 14; c.pixelNoise = 0.3
        let back = try JSONDecoder().decode(ParityDigitsConfig.self, from: JSONEncoder().encode(c))
        #expect(back == c && back.inputWidth == 197 && parityClose(back.pixelScale, 14.0 / 12))
        #expect(ParityDigitsConfig.standard.inputWidth == 145)
    }

    @Test func renderingIsFast() {
        // tens of thousands of images per second: 20 000 images (half digits, half textures) take ≈ 0.2 s on one core
        let g = ParityDigitsGenerator()
        var rng = RandomStream(seed: 9)
        let start = Date()
        let digits = g.batch(task: .parity, count: 10_000, balanced: false, rng: &rng)
        let textures = g.batch(task: .prior, count: 10_000, balanced: false, rng: &rng)
        let seconds = Date().timeIntervalSince(start)
        #expect(digits.count + textures.count == 20_000)
        #expect(seconds < 2, "20 000 images took \(seconds) s")
    }
}

@Suite struct ParityDigitsFuzzTests {
    static let adversarial = [Int.min, Int.min + 1, -1_000_000_007, -11, -10, -2, -1, 0, 1, 9, 10, 11, 12, 1 << 40,
                              Int.max - 1, Int.max]

    @Test func labelRulesAreTotal() {
        var rng = RandomStream(seed: 99)
        // Build.fuzzInputs values (10⁶ in the checked build): the adversarial ones, random bit patterns of every
        // magnitude, and small values around the label range
        let count = Build.fuzzInputs(unchecked: 4000)
        var values = Self.adversarial
        for i in 0..<(count - values.count) { values.append(i % 4 == 0 ? rng.int(30) - 10 : Int(bitPattern: UInt(rng.next())) >> rng.int(64)) }
        for v in values {
            let inRange = v >= 0 && v <= 9
            #expect(ParityDigits.isClass(v) == inRange)
            #expect(ParityDigits.correctMask(digit: v).reduce(0, +) == (inRange ? 5 : 0))
            #expect(ParityDigits.uniformTarget(digit: v).count == 10)
            #expect(ParityDigits.correctLabels(digit: v).count == (inRange ? 5 : 0))
            #expect(ParityDigits.oneHot(v).reduce(0, +) == (inRange ? 1 : 0))
            let label = ParityDigits.sampleCorrectLabel(digit: v, rng: &rng)
            #expect(inRange ? ParityDigits.isCorrect(label: label, digit: v) : label == -1)
            for variant in ParityDigitsSFTVariant.allCases {
                let y = variant.sampleLabel(digit: v, rng: &rng)
                #expect(inRange ? ParityDigits.isCorrect(label: y, digit: v) : y == -1)
                #expect(variant.target(digit: v).reduce(0, +) == (inRange ? 1 : 0))
            }
            let other = values[rng.int(values.count)]
            let expected = inRange && other >= 0 && other <= 9 && other % 2 == v % 2
            #expect(ParityDigits.isCorrect(label: other, digit: v) == expected)
            #expect(ParityDigits.reward(label: other, digit: v) == (expected ? 1 : 0))
            #expect(ParityDigits.isCorrect(label: other, textureClass: v) == (inRange && other == v))
            #expect(ParityDigitsGlyphs.segments(of: v) == (inRange ? ParityDigitsGlyphs.segmentMasks[v] : 0))
        }
        print("fuzz: ParityDigits label rules (reward, isCorrect, targets): \(values.count) inputs, \(Build.description) build")
    }

    @Test func vectorHelpersAreTotal() {
        var rng = RandomStream(seed: 5)
        let specials: [Float] = [.nan, .infinity, -.infinity, -1, 0, 1e30, -1e30, .leastNonzeroMagnitude]
        for _ in 0..<3000 {
            let length = rng.int(14)     // too short, exact or too long
            let p: [Float] = (0..<length).map { _ in
                rng.bernoulli(0.2) ? specials[rng.int(specials.count)] : rng.uniform()
            }
            let digit = rng.int(14) - 2
            let mass = ParityDigits.correctMass(probabilities: p, digit: digit)
            #expect(mass.isFinite)
            #expect(ParityDigits.isClass(digit) || mass == 0)
            let q = ParityDigits.oracleTarget(digit: digit, base: p)
            #expect(q.count == 10 && q.allSatisfy { $0.isFinite && $0 >= 0 })
            if ParityDigits.isClass(digit) {
                #expect(Swift.abs(q.reduce(0, +) - 1) < 1e-4)
                #expect((0..<10).allSatisfy { q[$0] == 0 || ParityDigits.isCorrect(label: $0, digit: digit) })
            } else {
                #expect(q.allSatisfy { $0 == 0 })
            }
            let kl = ParityDigits.kl(p[...], q[...]), tv = ParityDigits.totalVariation(p[...], q[...])
            _ = (kl, tv)   // defined for any input (NaN in, NaN out); must not trap
        }
    }

    @Test func batchQueriesAreTotal() {
        let b = ParityDigitsDatasetTests.data.fineTuningBatch(index: 0, count: 16)
        var rng = RandomStream(seed: 6)
        for _ in 0..<3000 {
            let row = Self.adversarial[rng.int(Self.adversarial.count)] &+ (rng.int(3) - 1)
            let label = Self.adversarial[rng.int(Self.adversarial.count)]
            let inRow = row >= 0 && row < b.count
            let expected = inRow && ParityDigits.isCorrect(label: label, digit: b.classes[row])
            #expect(b.isCorrect(row: row, label: label) == expected)
            #expect(b.pixels(row: row).count == (inRow ? 144 : 0))
            let lo = Self.adversarial[rng.int(Self.adversarial.count)] / 2, hi = lo &+ rng.int(40)
            let slice = b.rows(lo..<Swift.max(lo, hi))
            #expect(slice.count <= b.count)
        }
        // NaN scores: skipped by argmax; a row of NaN gives −1, never correct
        var scores = [Float](repeating: .nan, count: 16 * 10)
        scores[3] = 1
        let labels = b.argmaxLabels(scores: scores)
        #expect(labels[0] == 3 && labels[1...].allSatisfy { $0 == -1 })
        #expect(b.rewards(labels: labels.map { $0 &* 1_000_003 }).allSatisfy { $0 == 0 || $0 == 1 })
        #expect(b.meanCorrectMass(probabilities: scores) >= 0)
    }

    @Test func generatorHandlesEveryLabelValue() {
        let g = ParityDigitsGenerator()
        var rng = RandomStream(seed: 8)
        for v in Self.adversarial {
            for task in ParityDigitsTask.allCases {
                let img = g.image(task: task, label: v, rng: &rng)
                #expect(img.count == 144 && img.allSatisfy { $0 >= 0 && $0 <= 1 })
            }
        }
    }
}
