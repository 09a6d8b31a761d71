import Testing
import Foundation
@testable import Engine

@Suite struct VectorMathAgainstLibm {
    func sweep(_ lo: Float, _ hi: Float, _ n: Int = 200_003) -> [Float] { (0..<n).map { lo + (hi - lo) * Float($0) / Float(n - 1) } }

    func apply(_ xs: [Float], _ f: (VectorMath.V) -> VectorMath.V) -> [Float] {
        var ys = [Float](repeating: 0, count: xs.count)
        xs.withUnsafeBufferPointer { x in ys.withUnsafeMutableBufferPointer { y in VectorMath.map(x.baseAddress!, y.baseAddress!, xs.count, f) } }
        return ys
    }

    @Test func expRelativeError() {
        let xs = sweep(-87, 88)
        let ys = apply(xs, VectorMath.exp)
        var worst = 0.0
        for (x, y) in zip(xs, ys) { let e = Foundation.exp(Double(x)); worst = Swift.max(worst, Swift.abs(Double(y) - e) / e) }
        #expect(worst < 5e-7, "max relative error \(worst)")
        #expect(apply([-200, 0, 200], VectorMath.exp)[0] < 1e-37 && apply([0], VectorMath.exp)[0] == 1)
        #expect(apply([-.infinity, -88], VectorMath.exp) == [0, 0])
    }

    @Test func expMatchesTheScalarTwinBitForBit() {
        // the same Cephes formula one lane at a time, with libm rounding: the shifter trick must give identical bits
        func twin(_ x: Float) -> Float {
            if x < -87.3 { return 0 }
            let c = Swift.min(Swift.max(x, -87.3), 88.7)
            let n = (c * 1.44269504088896341).rounded(.toNearestOrEven)
            var r = c - n * 0.693359375
            r = r - n * -2.12194440e-4
            var p: Float = 1.9875691500e-4
            p = p * r + 1.3981999507e-3; p = p * r + 8.3334519073e-3; p = p * r + 4.1665795894e-2
            p = p * r + 1.6666665459e-1; p = p * r + 5.0000001201e-1
            return (p * r * r + r + 1) * Float(bitPattern: UInt32(Int32(n) + 127) << 23)
        }
        let xs = sweep(-100, 100) + [-87.3, 88.7, 0.5 / 1.44269504088896341, 1.5 / 1.44269504088896341, -0.5 / 1.44269504088896341]
        let ys = apply(xs, VectorMath.exp)
        let mismatches = zip(xs, ys).filter { twin($0.0).bitPattern != $0.1.bitPattern }
        #expect(mismatches.isEmpty, "first mismatches \(mismatches.prefix(3))")
    }

    @Test func sqrtIsCorrectlyRounded() {
        let xs = sweep(0, 1000) + [0, 1e-30, 1e-45, .infinity, 4, 2]
        let ys = apply(xs, VectorMath.sqrt)
        #expect(zip(xs, ys).allSatisfy { $0.0.squareRoot().bitPattern == $0.1.bitPattern })
        #expect(apply([-1], VectorMath.sqrt)[0].isNaN)
    }

    @Test func erfAndGeluAbsoluteError() {
        let xs = sweep(-9, 9)
        let erf = apply(xs, VectorMath.erf), gelu = apply(xs, VectorMath.gelu), dgelu = apply(xs, VectorMath.geluDerivative)
        var worstErf = 0.0, worstGelu = 0.0, worstD = 0.0
        for (i, x) in xs.enumerated() {
            let d = Double(x)
            worstErf = Swift.max(worstErf, Swift.abs(Double(erf[i]) - Foundation.erf(d)))
            let g = 0.5 * d * (1 + Foundation.erf(d / 2.0.squareRoot()))
            worstGelu = Swift.max(worstGelu, Swift.abs(Double(gelu[i]) - g) / Swift.max(1, Swift.abs(g)))
            let dg = 0.5 * (1 + Foundation.erf(d / 2.0.squareRoot())) + d * Foundation.exp(-0.5 * d * d) / (2 * Double.pi).squareRoot()
            worstD = Swift.max(worstD, Swift.abs(Double(dgelu[i]) - dg))
        }
        #expect(worstErf < 5e-7 && worstGelu < 1e-6 && worstD < 1e-6, "erf \(worstErf), gelu \(worstGelu), gelu′ \(worstD)")
    }

    @Test func tailsGoThroughTheSameArithmetic() {
        // an element gives the same bits whether it sits in a full vector or in the padded tail
        let xs = sweep(-3, 3, 37)
        let whole = apply(xs, VectorMath.gelu)                 // elements 0…15 in a full vector
        let asTail = apply(Array(xs[0..<5]), VectorMath.gelu)  // the same elements through the padded tail
        #expect(Array(whole[0..<5]) == asTail)
    }
}
