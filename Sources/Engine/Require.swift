/// An always-on check. Every target is built with `-Ounchecked`, which removes `precondition` entirely; `require`
/// traps with its message in every build, so shape and argument errors stay clear errors instead of silent memory
/// corruption. Keep it out of inner loops.
@inline(__always)
public func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                    file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError(message(), file: file, line: line) }
}
