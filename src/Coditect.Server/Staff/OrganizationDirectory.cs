using Coditect.Contracts.Common;
using Coditect.Server.Data;
using Coditect.Server.Licensing;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Staff;

/// <summary>An organization as the staff list and its CSV show it: who it is and how much it holds now.</summary>
public sealed record OrganizationRow(
    Guid Id, string Slug, string Name, int Members, int Licenses, int SeatsInUse, DateTime CreatedAt, DateTime? SuspendedAt);

/// <summary>
/// Every organization for platform staff, searched by name or slug, newest first, with its members, licences and seats
/// in use now. <c>organizations</c> is no tenant table; the counts are, so they are read through the system path
/// (<see cref="TenantTransactions.RunAsSystemAsync{T}"/>), three grouped queries for a whole page or export, never one
/// per organization. Callers authorize with the staff policy and read in a read-only transaction.
/// </summary>
public static class OrganizationDirectory
{
    public const int MaxSearchLength = 200;

    /// <summary>The <c>search</c> query parameter, trimmed; a bad value is a field error and reads as no search.</summary>
    public static string ParseSearch(IQueryCollection query, Validator errors)
    {
        var search = query["search"].ToString().Trim();
        if (WireText.Problem(search) is { } problem)
        {
            errors.Add("search", problem);
            return "";
        }

        if (search.Length > MaxSearchLength)
        {
            errors.Add("search", $"must be at most {MaxSearchLength} characters.");
            return "";
        }

        return search;
    }

    /// <summary>A page of the organizations matching <paramref name="search"/>, with their counts.</summary>
    public static async Task<PagedList<OrganizationRow>> PageAsync(CoditectDbContext db, string search, Paging paging, DateTime now, CancellationToken ct)
    {
        var page = await paging.ToListAsync(Ordered(Matching(db, search)), o => o, ct);
        var ids = page.Items.Select(o => o.Id).ToList();
        var counts = await CountsAsync(db, db.Set<Organization>().Where(o => ids.Contains(o.Id)).Select(o => o.Id), now, ct);
        return new PagedList<OrganizationRow>([.. page.Items.Select(o => RowOf(o, counts))], page.Page, page.PageSize, page.Total, page.NextPage);
    }

    /// <summary>Every organization matching <paramref name="search"/>, with their counts: the CSV export.</summary>
    public static async Task<IReadOnlyList<OrganizationRow>> AllAsync(CoditectDbContext db, string search, DateTime now, CancellationToken ct)
    {
        var organizations = await Ordered(Matching(db, search)).ToListAsync(ct);
        var counts = await CountsAsync(db, Matching(db, search).Select(o => o.Id), now, ct);
        return [.. organizations.Select(o => RowOf(o, counts))];
    }

    private static IQueryable<Organization> Matching(CoditectDbContext db, string search)
    {
        var organizations = db.Set<Organization>().AsNoTracking();
        if (search.Length == 0)
        {
            return organizations;
        }

        var pattern = $"%{search.ToLowerInvariant().Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal)}%";
        // Slugs are lower case already; names are compared in lower case on both databases.
        return organizations.Where(o => EF.Functions.Like(o.Name.ToLower(), pattern, "\\") || EF.Functions.Like(o.Slug, pattern, "\\"));
    }

    private static IOrderedQueryable<Organization> Ordered(IQueryable<Organization> organizations) =>
        organizations.OrderByDescending(o => o.CreatedAt).ThenByDescending(o => o.Id);

    private sealed record Counts(int Members, int Licenses, int SeatsInUse);

    /// <summary>Members, licences and live sessions of the organizations <paramref name="ids"/> selects, by organization.</summary>
    private static Task<Dictionary<Guid, Counts>> CountsAsync(CoditectDbContext db, IQueryable<Guid> ids, DateTime now, CancellationToken ct) =>
        db.RunAsSystemAsync(async () =>
        {
            var members = await db.Set<Membership>().IgnoreQueryFilters().Where(m => ids.Contains(m.TenantId))
                .GroupBy(m => m.TenantId).Select(g => new { g.Key, Count = g.Count() })
                .ToDictionaryAsync(x => x.Key, x => x.Count, ct);
            var licenses = await db.Set<License>().IgnoreQueryFilters().Where(l => ids.Contains(l.TenantId))
                .GroupBy(l => l.TenantId).Select(g => new { g.Key, Count = g.Count() })
                .ToDictionaryAsync(x => x.Key, x => x.Count, ct);
            var seats = await db.Set<LicenseSession>().IgnoreQueryFilters()
                .Where(s => ids.Contains(s.TenantId) && s.Status == SessionState.Active && s.ExpiresAt > now)
                .GroupBy(s => s.TenantId).Select(g => new { g.Key, Count = g.Count() })
                .ToDictionaryAsync(x => x.Key, x => x.Count, ct);
            return members.Keys.Union(licenses.Keys).Union(seats.Keys).ToDictionary(id => id, id => new Counts(
                members.GetValueOrDefault(id), licenses.GetValueOrDefault(id), seats.GetValueOrDefault(id)));
        }, ct);

    private static OrganizationRow RowOf(Organization o, Dictionary<Guid, Counts> counts)
    {
        var count = counts.GetValueOrDefault(o.Id) ?? new Counts(0, 0, 0);
        return new OrganizationRow(o.Id, o.Slug, o.Name, count.Members, count.Licenses, count.SeatsInUse,
            DateTime.SpecifyKind(o.CreatedAt, DateTimeKind.Utc), o.SuspendedAt is { } at ? DateTime.SpecifyKind(at, DateTimeKind.Utc) : null);
    }
}
