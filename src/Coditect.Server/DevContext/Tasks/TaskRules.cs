using Coditect.Contracts.DevContext;

namespace Coditect.Server.DevContext.Tasks;

/// <summary>The task rules that need no database: the checkbox, status changes and completion times.</summary>
public static class TaskRules
{
    public static bool IsDone(this ProjectTask task) => task.Status == TaskStatuses.Done;

    /// <summary>Sets the status; becoming done stamps <c>completed_at</c>, leaving done clears it.</summary>
    public static void SetStatus(this ProjectTask task, string status, DateTime now)
    {
        if (status == task.Status)
        {
            return;
        }

        task.CompletedAt = status == TaskStatuses.Done ? now : null;
        task.Status = status;
    }

    /// <summary>The checkbox: ticking makes any open status done; unticking makes done todo.</summary>
    public static string Toggled(string status) => status == TaskStatuses.Done ? TaskStatuses.Todo : TaskStatuses.Done;
}
