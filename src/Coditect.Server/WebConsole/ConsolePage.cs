using Coditect.Server.Platform;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace Coditect.Server.WebConsole;

/// <summary>
/// The base of every console page: the frame's data, a one-shot flash message that survives the redirect after a
/// form post (post/redirect/get), and the API's <see cref="Validator"/> errors shown beside their fields.
/// </summary>
public abstract class ConsolePage : PageModel
{
    private ConsoleShell? _shell;

    public ConsoleShell Shell => _shell ??= HttpContext.RequestServices.GetRequiredService<ConsoleShell>();

    /// <summary>Shown once at the top of the next page (after a redirect), then gone.</summary>
    [TempData]
    public string? Flash { get; set; }

    /// <summary>A secret shown once (a new licence key or API key), on the page the redirect lands on.</summary>
    [TempData]
    public string? Secret { get; set; }

    /// <summary>The page's heading and the document title.</summary>
    public virtual string Title => "CODITECT";

    /// <summary>Copies the use case's field errors (wire names, e.g. <c>max_seats</c>) into the model state the form shows.</summary>
    protected void ShowErrors(Validator errors, string prefix = "")
    {
        foreach (var (field, messages) in errors.ToDictionary())
        {
            foreach (var message in messages)
            {
                ModelState.AddModelError(prefix + field, message);
            }
        }
    }

    /// <summary>A page's not-found answer: the status page renders it, as for an organization the caller cannot see.</summary>
    protected new IActionResult NotFound() => StatusCode(StatusCodes.Status404NotFound);

    protected IActionResult RedirectWith(string url, string flash)
    {
        Flash = flash;
        return LocalRedirect(url);
    }
}

/// <summary>Helpers the views share.</summary>
public static class ConsoleViews
{
    public static string Ago(DateTime? at, DateTime now)
    {
        if (at is not { } time)
        {
            return "—";
        }

        var span = now - time;
        return span.TotalSeconds switch
        {
            < 0 => "in " + Span(-span),
            < 5 => "just now",
            _ => Span(span) + " ago",
        };
    }

    private static string Span(TimeSpan span) => span.TotalSeconds switch
    {
        < 60 => $"{(int)span.TotalSeconds} s",
        < 3600 => $"{(int)span.TotalMinutes} min",
        < 86_400 => $"{(int)span.TotalHours} h",
        _ => $"{(int)span.TotalDays} d",
    };

    public static string Time(DateTime? at) => at is { } time ? time.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture) : "—";

    /// <summary>The first error of a field, for forms that render their own markup.</summary>
    public static string? ErrorOf(ModelStateDictionary state, string field) =>
        state.TryGetValue(field, out var entry) && entry.Errors.Count > 0 ? entry.Errors[0].ErrorMessage : null;
}
