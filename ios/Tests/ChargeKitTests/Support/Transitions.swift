import Observation

/// Records the distinct values a property of an `@Observable` model takes, through Observation
/// itself: so a test also proves that the view would be told of each change.
///
/// Observation reports a change before it is made; the new value is read on the main actor
/// right after. Two changes within one synchronous stretch of main-actor work show as one
/// (the later); a screen would not have drawn the first either.
@MainActor
final class Transitions<Value: Equatable> {
    private(set) var values: [Value]
    private let read: @MainActor () -> Value

    init(_ read: @escaping @MainActor () -> Value) {
        self.read = read
        values = [read()]
        track()
    }

    private func track() {
        withObservationTracking {
            _ = read()
        } onChange: { [weak self] in
            Task { @MainActor in self?.record() }
        }
    }

    private func record() {
        let value = read()
        if value != values.last { values.append(value) }
        track()
    }
}
