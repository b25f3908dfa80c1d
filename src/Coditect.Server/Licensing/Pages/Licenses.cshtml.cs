using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Licensing.Admin;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.WebUtilities;

namespace Coditect.Server.Licensing.Pages;

/// <summary>
/// The organization's licences, newest first, as <c>GET /api/v1/orgs/{org}/licenses</c> lists them: the same query
/// (<c>search</c>, <c>status</c>, <c>page</c>, <c>page_size</c>) and the same rules; a bad value is shown beside its
/// field and left out.
/// </summary>
[RequirePermission(Permission.ReadLicenses)]
public sealed class LicensesModel(LicenseAdmin licenses) : ConsolePage
{
    public LicenseAdmin.LicenseFilter Filter { get; private set; } = LicenseAdmin.LicenseFilter.All;
    public PagedList<LicenseResponse> Listing { get; private set; } = null!;
    /// <summary>The page size when the query chose one (kept by the filter form and the pager), else null.</summary>
    public int? ChosenPageSize { get; private set; }

    public bool IsFiltered => Filter.Status.Length > 0 || Filter.Search.Length > 0;

    public int PageCount => Math.Max(1, (int)Math.Ceiling(Listing.Total / (double)Listing.PageSize));

    public async Task OnGetAsync(CancellationToken ct)
    {
        var errors = new Validator();
        var paging = Paging.Parse(Request, errors);
        Filter = LicenseAdmin.LicenseFilter.Parse(Request.Query, errors);
        if (!errors.IsValid)
        {
            ShowErrors(errors);
        }

        ChosenPageSize = Request.Query.ContainsKey("page_size") && paging.PageSize != Paging.DefaultPageSize ? paging.PageSize : null;
        Listing = await licenses.ListAsync(Filter, paging, ct);
    }

    /// <summary>This list's address with the filters kept, at <paramref name="page"/>.</summary>
    public string PageUrl(int page)
    {
        var query = new Dictionary<string, string?>();
        if (Filter.Search.Length > 0)
        {
            query["search"] = Filter.Search;
        }

        if (Filter.Status.Length > 0)
        {
            query["status"] = Filter.Status;
        }

        if (ChosenPageSize is { } size)
        {
            query["page_size"] = size.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (page > 1)
        {
            query["page"] = page.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return QueryHelpers.AddQueryString(Shell.OrgPath("/licenses"), query);
    }
}
