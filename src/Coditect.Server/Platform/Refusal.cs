using Coditect.Contracts.Common;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coditect.Server.Platform;

/// <summary>
/// Why a use case shared by the API and the console said no, stated once: the API answers it as problem+json
/// (<see cref="ToProblem"/>), a page shows <see cref="Title"/> as a message or <see cref="Errors"/> beside their fields.
/// </summary>
public sealed record Refusal(int Status, string Code, string Title, Validator? Errors = null, IDictionary<string, object?>? Extensions = null)
{
    public static Refusal Invalid(Validator errors) =>
        new(StatusCodes.Status400BadRequest, ProblemCodes.ValidationFailed, "The request is not valid.", errors);

    public static Refusal Invalid(string field, string message) => Invalid(new Validator().Add(field, message));

    public static Refusal NotFound(string code, string what) => new(StatusCodes.Status404NotFound, code, $"{what} was not found.");

    public static Refusal Forbidden(string title = "Your role does not allow this.") =>
        new(StatusCodes.Status403Forbidden, ProblemCodes.Forbidden, title);

    public static Refusal Conflict(string code, string title, IDictionary<string, object?>? extensions = null) =>
        new(StatusCodes.Status409Conflict, code, title, Extensions: extensions);

    public ProblemHttpResult ToProblem() => Errors is { } errors ? Problems.Validation(errors) : Problems.Of(Status, Code, Title, extensions: Extensions);
}

/// <summary>What a use case gives back: its value, or the <see cref="Refusal"/> that stopped it.</summary>
public readonly record struct Outcome<T>(T? Value, Refusal? Refusal)
    where T : class
{
    public bool Succeeded => Refusal is null;

    public static implicit operator Outcome<T>(T value) => new(value, null);

    public static implicit operator Outcome<T>(Refusal refusal) => new(null, refusal);
}
