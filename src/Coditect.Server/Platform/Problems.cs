using Coditect.Contracts.Common;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coditect.Server.Platform;

/// <summary>
/// Every error answer is RFC 9457 problem+json with a stable <c>code</c>; validation errors add <c>errors</c>, a map
/// from each offending snake_case field to its messages.
/// </summary>
public static class Problems
{
    public static ProblemHttpResult Of(int status, string code, string title, string? detail = null, IDictionary<string, object?>? extensions = null)
    {
        var all = new Dictionary<string, object?>(extensions ?? new Dictionary<string, object?>()) { ["code"] = code };
        return TypedResults.Problem(detail, statusCode: status, title: title, type: TypeFor(status), extensions: all);
    }

    public static ProblemHttpResult Validation(Validator errors) =>
        Of(StatusCodes.Status400BadRequest, ProblemCodes.ValidationFailed, "The request is not valid.",
            $"Check the field{(errors.Count == 1 ? "" : "s")}: {string.Join(", ", errors.Fields)}.",
            new Dictionary<string, object?> { ["errors"] = errors.ToDictionary() });

    public static ProblemHttpResult Validation(string field, string message) => Validation(new Validator().Add(field, message));

    public static ProblemHttpResult NotFound(string code, string what) =>
        Of(StatusCodes.Status404NotFound, code, $"{what} was not found.");

    public static ProblemHttpResult Conflict(string code, string title, IDictionary<string, object?>? extensions = null) =>
        Of(StatusCodes.Status409Conflict, code, title, extensions: extensions);

    public static ProblemHttpResult Forbidden(string title = "Your role does not allow this.") =>
        Of(StatusCodes.Status403Forbidden, ProblemCodes.Forbidden, title);

    public static ProblemHttpResult Unauthorized(string code, string title) =>
        Of(StatusCodes.Status401Unauthorized, code, title);

    public static string TypeFor(int status) => $"https://httpstatuses.io/{status}";
}
