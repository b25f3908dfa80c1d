namespace Coditect.Contracts.DevContext;

/// <summary>A new version of a project's plan: markdown, at most 1,048,576 UTF-8 bytes. <c>Summary</c> says what changed.</summary>
public sealed record PutPlanRequest(string? Content, string? Summary = null);

/// <summary>The plan as of one version (the current one at <c>GET .../plan</c>). Version 0 with empty content: no plan yet.</summary>
public sealed record PlanResponse(Guid ProjectId, int Version, string Content, int ContentBytes, string? Summary, Guid? AuthorId, DateTime? CreatedAt);

/// <summary>A version in the history, without its content.</summary>
public sealed record PlanVersionSummary(int Version, int ContentBytes, string? Summary, Guid? AuthorId, DateTime CreatedAt);

/// <summary>A unified diff (<c>--- v1</c>, <c>+++ v2</c>, <c>@@</c> hunks with 3 lines of context) between two versions.</summary>
public sealed record PlanDiffResponse(Guid ProjectId, int From, int To, int Additions, int Deletions, string Diff);
