namespace Coditect.Contracts.Common;

/// <summary>
/// One page of a keyset-paged list: pass <c>NextCursor</c> back as <c>?cursor=</c> for the next page; it is null on
/// the last one. There is no total: counting would cost what the cursor saves.
/// </summary>
public sealed record CursorPage<T>(IReadOnlyList<T> Items, int PageSize, string? NextCursor);
