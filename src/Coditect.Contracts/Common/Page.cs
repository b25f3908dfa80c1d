namespace Coditect.Contracts.Common;

/// <summary>One page of a list (each endpoint documents its order). <c>NextPage</c> is null on the last page.</summary>
public sealed record PagedList<T>(IReadOnlyList<T> Items, int Page, int PageSize, int Total, int? NextPage);
