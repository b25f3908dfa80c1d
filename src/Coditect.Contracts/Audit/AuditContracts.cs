namespace Coditect.Contracts.Audit;

/// <summary>One recorded change. <c>Changes</c> maps each changed field to its value before and after.</summary>
public sealed record AuditEventResponse(
    Guid Id,
    string Action,
    string ObjectType,
    string ObjectId,
    AuditActor Actor,
    IReadOnlyDictionary<string, AuditChange> Changes,
    string? RequestId,
    DateTime OccurredAt);

public sealed record AuditActor(string Type, Guid? Id);

public sealed record AuditChange(object? Before, object? After);
