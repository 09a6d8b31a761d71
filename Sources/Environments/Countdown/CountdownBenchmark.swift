import Engine

/// The two workloads the project's benchmark times (single thread). Each returns a checksum so the work cannot be
/// optimised away.
public enum CountdownBenchmark {
    /// Builds a generator for `config` (its target table included) and draws `count` problems with their solution
    /// counts; returns the total solution count. Target: 100,000 problems in < 10 s on one core.
    public static func generateProblems(count: Int, config: CountdownConfig = .probe, rng: inout RandomStream) -> Int {
        let generator = CountdownGenerator(config: config)
        var total = 0
        for _ in 0..<count { total &+= generator.sample(&rng).solutionCount }
        return total
    }

    /// A fixed mix of tokenised answers for 64 problems of `config` (numbers drawn uniformly, target uniform over
    /// the reachable ones; found with the solver, no table), 5 answers per problem: a correct canonical solution,
    /// a valid solution of another target (`wrongValue`), a wrong last digit (`arithmeticError`), a changed first
    /// operand (`numberUnavailable` or `arithmeticError`), and the correct answer cut before its end token
    /// (`unterminated`). Exactly one answer in five is correct.
    public static func answerMix(config: CountdownConfig = .probe, rng: inout RandomStream) -> [(problem: CountdownProblem, answer: [Int32])] {
        if let error = config.validationError { require(false, "CountdownBenchmark: \(error)") }
        let rules = config.rules
        var mix: [(problem: CountdownProblem, answer: [Int32])] = []
        while mix.count < 64 * 5 {
            let numbers = (0..<config.numberCount).map { _ in config.lowestNumber + rng.int(config.numberRangeSize) }
            let targets = CountdownSolver.reachableTargets(numbers: numbers, rules: rules)
                .filter { $0.target >= config.lowestTarget && $0.target <= config.highestTarget }
            guard targets.count >= 2 else { continue }
            let chosen = rng.int(targets.count)
            let other = (chosen + 1 + rng.int(targets.count - 1)) % targets.count
            let problem = CountdownProblem(numbers: numbers, target: targets[chosen].target, solutionCount: targets[chosen].solutionCount)
            let solution = CountdownSolver.solve(problem, rules: rules, enumerate: true, limit: 1).solutions[0]
            let wrong = CountdownSolver.solve(numbers: numbers, target: targets[other].target, rules: rules, enumerate: true, limit: 1).solutions[0]
            let correct = CountdownTokenizer.answerTokens(solution)
            mix.append((problem, correct))
            mix.append((problem, CountdownTokenizer.answerTokens(wrong)))
            var arithmetic = correct
            let last = arithmetic.count - 2  // the last digit before the end token
            arithmetic[last] = CountdownTokenizer.digitBase + (arithmetic[last] - CountdownTokenizer.digitBase + 1) % 10
            mix.append((problem, arithmetic))
            var operand = correct
            operand[0] = CountdownTokenizer.digitBase + (operand[0] - CountdownTokenizer.digitBase + 3) % 10
            mix.append((problem, operand))
            mix.append((problem, Array(correct.dropLast())))
        }
        return mix
    }

    /// Verifies `count` answers cycling through `answerMix` (built from `rng`); returns how many were correct.
    /// Target: 1,000,000 answers in < 10 s on one core.
    public static func verifyAnswers(count: Int, config: CountdownConfig = .probe, rng: inout RandomStream) -> Int {
        let mix = answerMix(config: config, rng: &rng)
        let rules = config.rules
        var correct = 0
        for i in 0..<count {
            let (problem, answer) = mix[i % mix.count]
            if CountdownVerifier.verify(answer, problem: problem, rules: rules).outcome == .correct { correct += 1 }
        }
        return correct
    }
}
