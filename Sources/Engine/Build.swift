// What kind of build this is, for the tests that scale with it.

public enum Build {
    /// True in the checked build (`POSTTRAINLAB_CHECKED=1` in the environment of `swift build`: `-O`, bounds and
    /// overflow checks on); false in the default `-Ounchecked` build, where an out-of-range read does not trap.
    #if POSTTRAINLAB_CHECKED
    public static let checked = true
    #else
    public static let checked = false
    #endif

    /// "checked (-O)" or "unchecked (-Ounchecked)".
    public static var description: String { checked ? "checked (-O)" : "unchecked (-Ounchecked)" }

    /// Inputs per verifier for the fuzz tests: 10⁶ in the checked build, `unchecked` otherwise (a fuzz test there
    /// can only compare answers, so a smaller sample keeps `swift test` short).
    public static func fuzzInputs(unchecked: Int) -> Int { checked ? 1_000_000 : unchecked }
}
