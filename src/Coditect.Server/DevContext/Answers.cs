using Coditect.Contracts.Common;
using Coditect.Server.Platform;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coditect.Server.DevContext;

/// <summary>Turns a use case's <see cref="Outcome{T}"/> into the API's answer.</summary>
internal static class Answers
{
    public static Results<Ok<T>, ProblemHttpResult> Ok<T>(Outcome<T> outcome) where T : class =>
        outcome.Refusal is { } refusal ? refusal.ToProblem() : TypedResults.Ok(outcome.Value!);

    public static Results<Created<T>, ProblemHttpResult> Created<T>(Outcome<T> outcome, Func<T, string> location) where T : class =>
        outcome.Refusal is { } refusal ? refusal.ToProblem() : TypedResults.Created(location(outcome.Value!), outcome.Value!);

    public static Results<NoContent, ProblemHttpResult> NoContent(Refusal? refusal) =>
        refusal is not null ? refusal.ToProblem() : TypedResults.NoContent();

    /// <summary>409 with the code and the field at fault (a name, slug or key another object has).</summary>
    public static Refusal Taken(string code, string field, string what) =>
        Refusal.Conflict(code, $"Another {what} of this organization has that {field.Replace('_', ' ')}.",
            new Dictionary<string, object?> { ["field"] = field });

    public static Refusal ProjectNotFound() => Refusal.NotFound(ProblemCodes.ProjectNotFound, "The project");

    public static Refusal TaskNotFound() => Refusal.NotFound(ProblemCodes.TaskNotFound, "The task");

    public static Refusal TaskListNotFound() => Refusal.NotFound(ProblemCodes.TaskListNotFound, "The task list");

    public static Refusal TeamNotFound() => Refusal.NotFound(ProblemCodes.TeamNotFound, "The team");

    public static Refusal RepositoryNotFound() => Refusal.NotFound(ProblemCodes.RepositoryNotFound, "The repository");
}
