using System.Globalization;
using System.Text;
using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Licensing.Admin;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.Licensing.Pages;

/// <summary>What the sessions table shows (<c>_Sessions.cshtml</c>), on the page and as its live fragment.</summary>
/// <c>Fragment</c>: answered alone to the live section, which then also refreshes the page's seat and queue figures (out of band).
public sealed record SessionsView(
    string LicensePath, int SeatsTotal, PagedList<SessionResponse> Sessions, bool CanKick, DateTime Now, int SeatsUsed, int QueueLength, bool Fragment);

/// <summary>
/// One licence: its facts, its key once after it was made, its live sessions (reloaded by the page's event stream), its
/// usage over a chosen range with the turn-aways. For those who manage licences, its actions: edit, suspend, delete and
/// kick through their pages, and reinstate and renew here (handlers with their own permission). A node-locked licence
/// lists its machines instead of sessions; machines and licence files are in <c>License.Machines.cs</c>.
/// </summary>
[RequirePermission(Permission.ReadLicenses)]
public sealed partial class LicenseModel(LicenseAdmin licenses, TimeProvider clock) : ConsolePage
{
    /// <summary>A choice of the range picker: how far back, and by hour or day.</summary>
    public sealed record UsageChoice(string Value, string Label, string Bucket, TimeSpan Span);

    public static IReadOnlyList<UsageChoice> Ranges { get; } =
    [
        new("24h", "Last 24 hours", "hour", TimeSpan.FromHours(24)),
        new("7d", "Last 7 days", "hour", TimeSpan.FromDays(7)),
        new("30d", "Last 30 days", "day", TimeSpan.FromDays(30)),
        new("90d", "Last 90 days", "day", TimeSpan.FromDays(90)),
    ];

    public LicenseResponse License { get; private set; } = null!;
    public SessionsView Sessions { get; private set; } = null!;
    public UsageChoice Range { get; private set; } = Ranges[0];
    public LicenseAdmin.UsageRange Usage { get; private set; } = null!;

    /// <summary>The buckets of the range that turned a client away, newest first.</summary>
    public IReadOnlyList<UsageBucket> TurnAways { get; private set; } = [];

    /// <summary>The renew form's new expiry.</summary>
    [BindProperty(Name = "expires_at")]
    public string? RenewExpiresAt { get; set; }

    public string LicensePath => Shell.OrgPath($"/licenses/{License.Id}");

    /// <summary>The chart's data and the CSV download: the usage handler over the chosen range.</summary>
    public string UsageUrl(string? format = null) =>
        $"{LicensePath}?handler=usage&bucket={Usage.Bucket}&from={Rfc3339(Usage.From)}&to={Rfc3339(Usage.To)}" + (format is null ? "" : "&format=" + format);

    public async Task<IActionResult> OnGetAsync(Guid id, string? range, CancellationToken ct) =>
        await LoadAsync(id, range, ct) ? Page() : NotFound();

    /// <summary>The sessions table alone: what the live section reloads when the licence's sessions change.</summary>
    public async Task<IActionResult> OnGetSessionsAsync(Guid id, CancellationToken ct)
    {
        if (await licenses.GetAsync(id, ct) is not { } license)
        {
            return NotFound();
        }

        License = license;
        return Partial("/Licensing/Pages/_Sessions.cshtml", await SessionsAsync(ct) with { Fragment = true });
    }

    /// <summary>
    /// The usage chart's data (<c>{x, series}</c>), or <c>format=csv</c>: the same query and computation as
    /// <c>GET /api/v1/orgs/{org}/licenses/{id}/usage</c> (<c>bucket</c>, <c>from</c>, <c>to</c>).
    /// </summary>
    public async Task<IActionResult> OnGetUsageAsync(Guid id, string? format, CancellationToken ct)
    {
        var errors = new Validator();
        var range = licenses.ParseUsageRange(Request.Query, errors);
        if (!errors.IsValid)
        {
            return new JsonResult(new { errors = errors.ToDictionary() }) { StatusCode = StatusCodes.Status400BadRequest };
        }

        if (await licenses.UsageAsync(id, range, ct) is not { } usage)
        {
            return NotFound();
        }

        if (format == "csv")
        {
            var csv = new StringBuilder("start,peak_seats_used,acquisitions,denials\n");
            foreach (var bucket in usage.Buckets)
            {
                csv.Append(CultureInfo.InvariantCulture, $"{Rfc3339(bucket.Start)},{bucket.PeakSeatsUsed},{bucket.Acquisitions},{bucket.Denials}\n");
            }

            return File(Encoding.UTF8.GetBytes(csv.ToString()), "text/csv", $"license-{id}-usage-by-{usage.Bucket}.csv");
        }

        return new JsonResult(new
        {
            x = usage.Buckets.Select(b => new DateTimeOffset(DateTime.SpecifyKind(b.Start, DateTimeKind.Utc)).ToUnixTimeSeconds()),
            series = new[]
            {
                new { label = "Seats in use", values = usage.Buckets.Select(b => b.PeakSeatsUsed), kind = "line" },
                new { label = "Acquisitions", values = usage.Buckets.Select(b => b.Acquisitions), kind = "bars" },
                new { label = "Denials", values = usage.Buckets.Select(b => b.Denials), kind = "bars" },
            },
        });
    }

    [RequirePermission(Permission.ManageLicenses)]
    public async Task<IActionResult> OnPostReinstateAsync(Guid id, CancellationToken ct)
    {
        var reinstated = await licenses.ReinstateAsync(id, ct);
        return reinstated.License is { } license
            ? RedirectWith(Shell.OrgPath($"/licenses/{id}"), $"{license.Name} is reinstated.")
            : NotFound();
    }

    /// <summary>Sets the new expiry, as <c>POST /api/v1/orgs/{org}/licenses/{id}/renew</c> does; a refused one shows beside the field.</summary>
    [RequirePermission(Permission.ManageLicenses)]
    public async Task<IActionResult> OnPostRenewAsync(Guid id, CancellationToken ct)
    {
        var errors = new Validator();
        var renewed = await licenses.RenewAsync(id, LicenseFormPage.ReadExpiry(errors, RenewExpiresAt), errors, ct);
        if (renewed.License is { } license)
        {
            return RedirectWith(Shell.OrgPath($"/licenses/{id}"), $"{license.Name} now expires {ConsoleViews.Time(license.ExpiresAt)}.");
        }

        if (renewed.NotFound)
        {
            return NotFound();
        }

        ShowErrors(renewed.Errors);
        return await LoadAsync(id, range: null, ct) ? Page() : NotFound();
    }

    private async Task<bool> LoadAsync(Guid id, string? range, CancellationToken ct)
    {
        if (await licenses.GetAsync(id, ct) is not { } license)
        {
            return false;
        }

        License = license;
        Sessions = await SessionsAsync(ct);
        Machines = await MachinesAsync(ct);
        Range = Ranges.FirstOrDefault(r => r.Value == range) ?? Ranges[0];
        var step = Range.Bucket == "day" ? TimeSpan.FromDays(1) : TimeSpan.FromHours(1);
        var now = clock.GetUtcNow().UtcDateTime;
        var to = new DateTime(now.Ticks - (now.Ticks % step.Ticks), DateTimeKind.Utc) + step; // the current bucket included
        Usage = new LicenseAdmin.UsageRange(to - Range.Span, to, Range.Bucket);
        var usage = await licenses.UsageAsync(id, Usage, ct);
        TurnAways = usage is null ? [] : [.. usage.Buckets.Where(b => b.Denials > 0).OrderByDescending(b => b.Start)];
        return true;
    }

    private async Task<SessionsView> SessionsAsync(CancellationToken ct)
    {
        var live = await licenses.LiveSessionsAsync(License, Paging.MaxPageSize, ct);
        return new SessionsView(Shell.OrgPath($"/licenses/{License.Id}"), License.SeatsTotal, live, Shell.Can(Permission.ManageLicenses), clock.GetUtcNow().UtcDateTime,
            License.SeatsUsed, License.QueueLength, Fragment: false);
    }

    private static string Rfc3339(DateTime time) => time.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
