using Coditect.Contracts.Common;
using Coditect.Server.Data;
using Coditect.Server.Identity;
using Coditect.Server.Platform;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.WebUtilities;

namespace Coditect.Server.Staff.Pages;

/// <summary>
/// The staff area's start: every organization, searched by name or slug (<c>search</c>), paged (<c>page</c>,
/// <c>page_size</c>) with the search kept, with members, licences and seats in use now. Read-only, across every
/// tenant through the system path (<see cref="OrganizationDirectory"/>); listing is not audited, opening one is.
/// </summary>
[Authorize(Policy = StaffRequirement.Policy)]
public sealed class StaffOrganizationsModel(CoditectDbContext db, TimeProvider clock) : ConsolePage
{
    public string Search { get; private set; } = "";
    public PagedList<OrganizationRow> Listing { get; private set; } = null!;

    /// <summary>The page size when the query chose one (kept by the search form and the pager), else null.</summary>
    public int? ChosenPageSize { get; private set; }

    public int PageCount => Math.Max(1, (int)Math.Ceiling(Listing.Total / (double)Listing.PageSize));

    public async Task OnGetAsync(CancellationToken ct)
    {
        var errors = new Validator();
        var paging = Paging.Parse(Request, errors);
        Search = OrganizationDirectory.ParseSearch(Request.Query, errors);
        ShowErrors(errors);
        ChosenPageSize = Request.Query.ContainsKey("page_size") && paging.PageSize != Paging.DefaultPageSize ? paging.PageSize : null;

        var now = clock.GetUtcNow().UtcDateTime;
        Listing = await db.ReadOnlyAsync(() => OrganizationDirectory.PageAsync(db, Search, paging, now, ct), ct);
    }

    /// <summary>This list's address with the search kept, at <paramref name="page"/>.</summary>
    public string PageUrl(int page)
    {
        var query = SearchQuery();
        if (ChosenPageSize is { } size)
        {
            query["page_size"] = size.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (page > 1)
        {
            query["page"] = page.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return QueryHelpers.AddQueryString("/staff", query);
    }

    /// <summary>The CSV of every organization this search matches (all pages).</summary>
    public string CsvUrl => QueryHelpers.AddQueryString("/staff/organizations.csv", SearchQuery());

    private Dictionary<string, string?> SearchQuery() => Search.Length > 0 ? new() { ["search"] = Search } : [];
}
