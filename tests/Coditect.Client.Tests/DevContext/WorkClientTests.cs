using System.Text;
using Coditect.Client.Tests.Infrastructure;
using Coditect.Contracts.DevContext;

namespace Coditect.Client.Tests.DevContext;

/// <summary>The SDK's Dev Context calls against the real server.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class WorkClientTests(RealServer server)
{
    [Fact]
    public async Task Lists_follow_the_keyset_cursor_past_one_page_and_task_actions_keep_the_rules()
    {
        var vendor = await server.NewVendorAsync();
        var admin = vendor.Admin;
        var project = await admin.CreateProjectAsync(vendor.Org, new CreateProjectRequest("Zephyr", Key: "ZEP"));
        var markdown = new StringBuilder("## Backlog\n");
        for (var i = 1; i <= 150; i++)
        {
            markdown.Append("- [ ] Item ").Append(i).Append('\n');
        }

        (await admin.ImportChecklistAsync(vendor.Org, project.Id, markdown.ToString())).Tasks.ShouldBe(150);
        var tasks = new List<TaskResponse>();
        await foreach (var task in admin.ListTasksAsync(vendor.Org, new TaskFilter { ProjectId = project.Id }))
        {
            tasks.Add(task);
        }

        tasks.Count.ShouldBe(150, "two pages of 100 and 50");
        tasks.Select(t => t.Number).ShouldBe(Enumerable.Range(1, 150));
        (await admin.ListProjectsAsync(vendor.Org, search: "zep").ToListAsync()).ShouldHaveSingleItem().Key.ShouldBe("ZEP");

        await admin.AddTaskDependencyAsync(vendor.Org, "ZEP-2", "ZEP-1");
        var blocked = await Should.ThrowAsync<ConflictException>(() => admin.ToggleTaskAsync(vendor.Org, "ZEP-2"));
        blocked.Code.ShouldBe("TASK_BLOCKED");
        (await admin.ToggleTaskAsync(vendor.Org, "ZEP-2", force: true)).Status.ShouldBe(TaskStatuses.Done);
        var cycle = await Should.ThrowAsync<ConflictException>(() => admin.AddTaskDependencyAsync(vendor.Org, "ZEP-1", "ZEP-2"));
        cycle.Code.ShouldBe("DEPENDENCY_CYCLE");

        var me = await admin.GetMeAsync();
        (await admin.AssignTaskAsync(vendor.Org, "ZEP-3", me.Id)).AssigneeId.ShouldBe(me.Id);
        (await admin.AssignTaskAsync(vendor.Org, "ZEP-3", null)).AssigneeId.ShouldBeNull();
        var second = await admin.CreateTaskListAsync(vendor.Org, project.Id, "Doing");
        var moved = await admin.MoveTaskAsync(vendor.Org, "ZEP-4", second.Id);
        (moved.TaskListId, moved.Position).ShouldBe((second.Id, 0));
        var bulk = await admin.BulkTaskStatusAsync(vendor.Org, [tasks[4].Id, tasks[5].Id], TaskStatuses.InProgress);
        bulk.Updated.ShouldBe(2);

        await admin.PutPlanAsync(vendor.Org, project.Id, "# Zephyr\nv1\n", "first");
        await admin.PutPlanAsync(vendor.Org, project.Id, "# Zephyr\nv2\n", "second");
        (await admin.ListPlanVersionsAsync(vendor.Org, project.Id).ToListAsync()).Select(v => v.Version).ShouldBe([2, 1]);
        (await admin.GetPlanAsync(vendor.Org, project.Id, 1)).Content.ShouldBe("# Zephyr\nv1\n");
        var diff = await admin.DiffPlanAsync(vendor.Org, project.Id);
        diff.Diff.ShouldContain("+v2");
        diff.Diff.ShouldContain("-v1");

        var missing = await Should.ThrowAsync<ResourceNotFoundException>(() => admin.GetTaskAsync(vendor.Org, "ZEP-999"));
        missing.Code.ShouldBe("TASK_NOT_FOUND");
    }
}

internal static class AsyncEnumerables
{
    public static async Task<List<T>> ToListAsync<T>(this IAsyncEnumerable<T> items)
    {
        var all = new List<T>();
        await foreach (var item in items)
        {
            all.Add(item);
        }

        return all;
    }
}
