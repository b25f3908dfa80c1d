namespace Coditect.Server.DevContext;

/// <summary>
/// The events Dev Context raises on the outbox (<c>data</c> is the API's response shape of the object). Bulk
/// operations raise one summary event: <c>project.imported</c>, <c>task.bulk_updated</c>, <c>commits.synced</c>.
/// </summary>
public static class DevContextEvents
{
    public const string TeamCreated = "team.created";
    public const string TeamUpdated = "team.updated";
    public const string TeamDeleted = "team.deleted";

    public const string ProjectCreated = "project.created";
    public const string ProjectUpdated = "project.updated";
    public const string ProjectDeleted = "project.deleted";
    public const string ProjectImported = "project.imported";
    public const string PlanUpdated = "plan.updated";

    public const string TaskListCreated = "task_list.created";
    public const string TaskListUpdated = "task_list.updated";
    public const string TaskListDeleted = "task_list.deleted";

    public const string TaskCreated = "task.created";
    public const string TaskUpdated = "task.updated";
    public const string TaskDeleted = "task.deleted";
    public const string TaskBulkUpdated = "task.bulk_updated";

    public const string RepositoryCreated = "repository.created";
    public const string RepositoryUpdated = "repository.updated";
    public const string RepositoryDeleted = "repository.deleted";
    public const string CommitsSynced = "commits.synced";

    public const string WorkSessionCreated = "work_session.created";
    public const string WorkSessionDeleted = "work_session.deleted";
    public const string WorkSessionImported = "work_session.imported";
    public const string ConversationCreated = "conversation.created";
    public const string MessagesAppended = "messages.appended";
}
