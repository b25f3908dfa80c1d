using Coditect.Contracts.Common;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Platform;

/// <summary><c>?page=</c> (from 1) and <c>?page_size=</c> (1..100, default 50), validated like any other input.</summary>
public readonly record struct Paging(int Page, int PageSize)
{
    public const int MaxPage = 1_000_000;
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 100;

    public static Paging Parse(HttpRequest request, Validator errors)
    {
        var page = ParseInt(request, "page", 1, 1, MaxPage, errors);
        var size = ParseInt(request, "page_size", DefaultPageSize, 1, MaxPageSize, errors);
        return new Paging(page, size);
    }

    public async Task<PagedList<TOut>> ToListAsync<TIn, TOut>(IQueryable<TIn> ordered, Func<TIn, TOut> map, CancellationToken ct)
    {
        var total = await ordered.CountAsync(ct);
        var items = await ordered.Skip((Page - 1) * PageSize).Take(PageSize).ToListAsync(ct);
        int? next = Page * PageSize < total ? Page + 1 : null;
        return new PagedList<TOut>([.. items.Select(map)], Page, PageSize, total, next);
    }

    private static int ParseInt(HttpRequest request, string name, int fallback, int min, int max, Validator errors)
    {
        var raw = request.Query[name].ToString();
        if (raw.Length == 0)
        {
            return fallback;
        }

        if (!int.TryParse(raw, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value)
            || value < min || value > max)
        {
            errors.Add(name, $"must be a whole number from {min} to {max}.");
            return fallback;
        }

        return value;
    }
}
