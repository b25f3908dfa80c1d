using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.WebConsole.Pages;

/// <summary>
/// The page for an error status on the console (404 for anything the caller may not see, as in the API; 403 for an
/// action their role does not allow), rendered in place of the empty answer by the status-code pages middleware.
/// </summary>
[AllowAnonymous]
[IgnoreAntiforgeryToken] // re-executed for a refused POST too
public sealed class ErrorModel : ConsolePage
{
    /// <summary>Set in <see cref="HttpContext.Items"/> by whoever refused, for a more precise explanation.</summary>
    public const string ReasonItem = "coditect.console_error_reason";

    public int Status { get; private set; }
    public string Heading { get; private set; } = "";
    public string Explanation { get; private set; } = "";

    public void OnGet(int status) => Describe(status);

    public void OnPost(int status) => Describe(status);

    private void Describe(int status)
    {
        // Only a re-executed error keeps its status; /error/404 opened directly is a page like any other.
        var original = HttpContext.Features.Get<IStatusCodeReExecuteFeature>();
        Status = original is null ? StatusCodes.Status404NotFound : status;
        HttpContext.Response.StatusCode = Status;
        var staffArea = original?.OriginalPath.StartsWith("/staff", StringComparison.Ordinal) == true;
        (Heading, Explanation) = (HttpContext.Items[ReasonItem] as string, Status) switch
        {
            ({ } reason, _) => ("Not available", reason),
            (_, 403) when staffArea => ("Not allowed", "This area is for the platform's staff. An operator grants it with create-staff."),
            (_, 404) => ("Not found", "There is nothing here, or it belongs to an organization you are not a member of."),
            (_, 403) => ("Not allowed", "Your role in this organization does not allow this."),
            (_, 400) => ("Bad request", "The request could not be read. Go back and try again."),
            (_, 405) => ("Not allowed", "This address does not accept that kind of request."),
            (_, 413) => ("Too large", "What you sent is larger than the server accepts."),
            (_, 429) => ("Slow down", "Too many requests. Wait a moment and try again."),
            _ => ("Something went wrong", "The request failed. Try again in a moment."),
        };
    }
}
