using System.Buffers.Text;
using System.Linq.Expressions;
using System.Text.Json;
using Coditect.Contracts.Common;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Platform;

/// <summary>
/// Keyset paging (decisions: "Keyset paging"): <c>?cursor=</c> (opaque: base64url of the sort, the last row's sort
/// value and its id), <c>page_size</c> (1-100, default 50) and <c>sort=field</c> / <c>sort=-field</c> among the
/// list's <see cref="SortKeys{T}"/>. A page costs one indexed range read however deep it is; there is no total.
/// </summary>
public sealed record Keyset(string Sort, bool Descending, int PageSize, JsonElement? AfterValue, Guid? AfterId)
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 100;

    /// <summary>Reads <c>cursor</c>, <c>page_size</c> and <c>sort</c>; bad values are field errors.</summary>
    public static Keyset Parse<T>(HttpRequest request, Validator errors, SortKeys<T> keys) where T : class
    {
        var size = DefaultPageSize;
        var rawSize = request.Query["page_size"].ToString();
        if (rawSize.Length > 0 && (!int.TryParse(rawSize, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out size)
            || size is < 1 or > MaxPageSize))
        {
            errors.Add("page_size", $"must be a whole number from 1 to {MaxPageSize}.");
            size = DefaultPageSize;
        }

        var rawSort = request.Query["sort"].ToString();
        var descending = rawSort.StartsWith('-');
        var sort = rawSort.TrimStart('-');
        if (rawSort.Length == 0)
        {
            (sort, descending) = (keys.Default, keys.DefaultDescending);
        }
        else if (!keys.Contains(sort))
        {
            errors.Add("sort", $"must be one of {string.Join(", ", keys.Names)}, with '-' in front for descending order.");
            (sort, descending) = (keys.Default, keys.DefaultDescending);
        }

        var cursor = request.Query["cursor"].ToString();
        if (cursor.Length == 0)
        {
            return new Keyset(sort, descending, size, null, null);
        }

        if (Decode(cursor) is not { } decoded || decoded.Sort != (descending ? "-" : "") + sort)
        {
            errors.Add("cursor", "is not a cursor this list gave out with this sort; start again without it.");
            return new Keyset(sort, descending, size, null, null);
        }

        return new Keyset(sort, descending, size, decoded.Value, decoded.Id);
    }

    /// <summary>The page after the cursor, in the sort's order (the id breaks ties), mapped by <paramref name="map"/>.</summary>
    public async Task<CursorPage<TOut>> ToPageAsync<T, TOut>(IQueryable<T> query, SortKeys<T> keys, Func<T, TOut> map, CancellationToken ct)
        where T : class
    {
        var (rows, next) = await RowsAsync(query, keys, ct);
        return new CursorPage<TOut>([.. rows.Select(map)], PageSize, next);
    }

    /// <summary>The rows of the page after the cursor and the cursor after them (null on the last page), for callers that map in bulk.</summary>
    public async Task<(List<T> Rows, string? NextCursor)> RowsAsync<T>(IQueryable<T> query, SortKeys<T> keys, CancellationToken ct)
        where T : class
    {
        var keyset = this;
        if (AfterId is { } after && AfterValue is { ValueKind: JsonValueKind.Null })
        {
            // A long text value stays out of the cursor (query values are at most 256 characters): read it from its row.
            if (await keys.ValueAsync(query, Sort, after, ct) is not { } value)
            {
                return ([], null); // the row the cursor stood on is gone, or no longer in the list: nothing after it to show
            }

            keyset = this with { AfterValue = JsonSerializer.SerializeToElement(value) };
        }

        var rows = await keys.Apply(query, keyset).Take(PageSize + 1).ToListAsync(ct);
        string? next = null;
        if (rows.Count > PageSize)
        {
            rows.RemoveAt(PageSize);
            next = keys.CursorAfter(rows[^1], this);
        }

        return (rows, next);
    }

    /// <summary>Text values longer than this are not carried in the cursor but read back from the row by id.</summary>
    private const int MaxCarriedText = 40;

    internal static string Encode(string sort, object? value, Guid id)
    {
        var carried = value is string { Length: > MaxCarriedText } ? null : value;
        var json = JsonSerializer.SerializeToUtf8Bytes(new CursorBody(sort, JsonSerializer.SerializeToElement(carried), id));
        return Base64Url.EncodeToString(json);
    }

    private static CursorBody? Decode(string cursor)
    {
        try
        {
            return JsonSerializer.Deserialize<CursorBody>(Base64Url.DecodeFromChars(cursor));
        }
        catch (Exception e) when (e is FormatException or JsonException or ArgumentException)
        {
            return null;
        }
    }

    private sealed record CursorBody(string Sort, JsonElement Value, Guid Id);
}

/// <summary>
/// The sorts a list offers, each a non-null column (the row's <c>Id</c> breaks ties, so every order is total and a
/// cursor names one place in it).
/// </summary>
public sealed class SortKeys<T> where T : class
{
    private readonly Dictionary<string, SortKey> _keys = new(StringComparer.Ordinal);
    private readonly Expression<Func<T, Guid>> _id;
    private readonly Func<T, Guid> _readId;

    public SortKeys(Expression<Func<T, Guid>> id, string defaultSort, bool defaultDescending)
    {
        _id = id;
        _readId = id.Compile();
        Default = defaultSort;
        DefaultDescending = defaultDescending;
    }

    public string Default { get; }
    public bool DefaultDescending { get; }
    public IEnumerable<string> Names => _keys.Keys;

    public bool Contains(string name) => _keys.ContainsKey(name);

    /// <summary>Adds a sort by <paramref name="key"/> under its wire name.</summary>
    public SortKeys<T> Add<TKey>(string name, Expression<Func<T, TKey>> key)
    {
        var read = key.Compile();
        _keys[name] = new SortKey(
            (query, keyset) => Apply(query, key, keyset),
            row => read(row),
            async (query, id, ct) =>
            {
                var box = Expression.Property(Expression.Constant(new Box<Guid>(id)), nameof(Box<Guid>.Value));
                var match = Expression.Lambda<Func<T, bool>>(Expression.Equal(_id.Body, box), _id.Parameters[0]);
                var values = await query.Where(match).Select(key).Take(1).ToListAsync(ct);
                return values.Count == 0 ? null : values[0];
            });
        return this;
    }

    /// <summary>The sort value of the row <paramref name="id"/> in <paramref name="query"/>, or null when it is not there.</summary>
    internal Task<object?> ValueAsync(IQueryable<T> query, string sort, Guid id, CancellationToken ct) => _keys[sort].Lookup(query, id, ct);

    internal IQueryable<T> Apply(IQueryable<T> query, Keyset keyset) => _keys[keyset.Sort].Apply(query, keyset);

    internal string CursorAfter(T row, Keyset keyset) =>
        Keyset.Encode((keyset.Descending ? "-" : "") + keyset.Sort, _keys[keyset.Sort].Read(row), _readId(row));

    private IQueryable<T> Apply<TKey>(IQueryable<T> query, Expression<Func<T, TKey>> key, Keyset keyset)
    {
        if (keyset.AfterValue is { } raw && keyset.AfterId is { } afterId)
        {
            TKey? value;
            try
            {
                value = raw.Deserialize<TKey>();
            }
            catch (JsonException)
            {
                value = default;
            }

            if (value is not null)
            {
                // key > v OR (key = v AND id > after), or the same with < for a descending sort. Values go in as members
                // of a closure so EF sends them as parameters.
                var row = key.Parameters[0];
                var idBody = new Rebind(_id.Parameters[0], row).Visit(_id.Body);
                var boundValue = Expression.Property(Expression.Constant(new Box<TKey>(value)), nameof(Box<TKey>.Value));
                var boundId = Expression.Property(Expression.Constant(new Box<Guid>(afterId)), nameof(Box<Guid>.Value));
                var past = Expression.OrElse(
                    Compare(key.Body, boundValue, keyset.Descending),
                    Expression.AndAlso(Expression.Equal(key.Body, boundValue), Compare(idBody, boundId, keyset.Descending)));
                query = query.Where(Expression.Lambda<Func<T, bool>>(past, row));
            }
        }

        return keyset.Descending
            ? query.OrderByDescending(key).ThenByDescending(_id)
            : query.OrderBy(key).ThenBy(_id);
    }

    private static BinaryExpression Compare(Expression left, Expression right, bool descending)
    {
        if (left.Type == typeof(string))
        {
            var compare = Expression.Call(typeof(string).GetMethod(nameof(string.Compare), [typeof(string), typeof(string)])!, left, right);
            return descending ? Expression.LessThan(compare, Expression.Constant(0)) : Expression.GreaterThan(compare, Expression.Constant(0));
        }

        return descending ? Expression.LessThan(left, right) : Expression.GreaterThan(left, right);
    }

    private sealed record SortKey(
        Func<IQueryable<T>, Keyset, IQueryable<T>> Apply, Func<T, object?> Read, Func<IQueryable<T>, Guid, CancellationToken, Task<object?>> Lookup);

    private sealed class Box<TValue>(TValue value)
    {
        public TValue Value { get; } = value;
    }

    private sealed class Rebind(ParameterExpression from, ParameterExpression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : node;
    }
}
