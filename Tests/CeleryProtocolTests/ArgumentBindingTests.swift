import Testing
import PythonCompat
@testable import CeleryProtocol

@Suite struct ArgumentBindingTests {
    let updateGroups: [Parameter] = [.required("user_pk"), .optional("state_name", default: nil)]

    private func failure(_ parameters: [Parameter], _ args: [JSONValue], _ kwargs: JSONObject, function: String? = nil) -> BindingError? {
        do {
            _ = try bindArguments(parameters: parameters, args: args, kwargs: kwargs, function: function)
            return nil
        } catch {
            return error
        }
    }

    @Test func bindsPositionalKeywordAndDefaults() throws {
        #expect(try bindArguments(parameters: updateGroups, args: [1], kwargs: [:]) == ["user_pk": 1, "state_name": nil])
        #expect(try bindArguments(parameters: updateGroups, args: [], kwargs: ["user_pk": 1, "state_name": "Guest"])
            == ["user_pk": 1, "state_name": "Guest"])
        #expect(try bindArguments(parameters: updateGroups, args: [1, "Member"], kwargs: [:]) == ["user_pk": 1, "state_name": "Member"])
        #expect(try bindArguments(parameters: updateGroups, args: [1], kwargs: ["state_name": "X"]) == ["user_pk": 1, "state_name": "X"])
        #expect(try bindArguments(parameters: [], args: [], kwargs: [:]) == [:])
    }

    @Test func pythonErrorMessages() {
        #expect(failure(updateGroups, [1], ["user_pk": 2])?.message == "got multiple values for argument 'user_pk'")
        #expect(failure(updateGroups, [], [:])?.message == "missing 1 required positional argument: 'user_pk'")
        #expect(failure([.required("user_pk")], [1, 2], [:])?.message == "takes 1 positional argument but 2 were given")
        #expect(failure(updateGroups, [], ["x": 1])?.message == "got an unexpected keyword argument 'x'")
        #expect(failure(updateGroups, [1, 2, 3], [:])?.message == "takes from 1 to 2 positional arguments but 3 were given")
        #expect(failure([], [1], [:])?.message == "takes 0 positional arguments but 1 was given")
        let abc: [Parameter] = [.required("a"), .required("b"), .required("c")]
        #expect(failure(abc, [], [:])?.message == "missing 3 required positional arguments: 'a', 'b', and 'c'")
        #expect(failure(abc, [1], [:])?.message == "missing 2 required positional arguments: 'b' and 'c'")
        #expect(failure(updateGroups, [], ["state_name": 1])?.code == .missingArguments)
        #expect(failure(updateGroups, [], [:], function: "update_groups")?.message
            == "update_groups() missing 1 required positional argument: 'user_pk'")
    }

    @Test func errorOrderFollowsCPython() {
        // f(1, 2, 3, x=1) → unexpected keyword first; f(1, 2, 3, user_pk=1) → multiple values first.
        #expect(failure(updateGroups, [1, 2, 3], ["x": 1])?.code == .unexpectedKeyword)
        #expect(failure(updateGroups, [1, 2, 3], ["user_pk": 1])?.code == .multipleValues)
        #expect(failure([.required("a"), .required("b"), .required("c")], [1], ["x": 2])?.code == .unexpectedKeyword)
    }
}
