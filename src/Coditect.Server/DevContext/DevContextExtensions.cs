using Coditect.Server.DevContext.Plans;
using Coditect.Server.DevContext.Projects;
using Coditect.Server.DevContext.Repositories;
using Coditect.Server.DevContext.Stats;
using Coditect.Server.DevContext.Tasks;
using Coditect.Server.DevContext.Teams;
using Coditect.Server.DevContext.Import;
using Coditect.Server.DevContext.Search;
using Coditect.Server.DevContext.WorkSessions;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.DevContext;

public static class DevContextExtensions
{
    /// <summary>Dev Context's use cases (scoped: each runs in its request's transaction and organization).</summary>
    public static WebApplicationBuilder AddDevContext(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<TeamAdmin>();
        builder.Services.AddScoped<ProjectAdmin>();
        builder.Services.AddScoped<PlanHistory>();
        builder.Services.AddScoped<TaskLists>();
        builder.Services.AddScoped<TaskBoard>();
        builder.Services.AddScoped<TaskGraph>();
        builder.Services.AddScoped<RepositoryAdmin>();
        builder.Services.AddScoped<CommitSync>();
        builder.Services.AddScoped<WorkStats>();

        // Part 2: work sessions, conversations and messages, search, import and export, statistics and quota counters.
        builder.Services.AddOptions<SearchOptions>().BindConfiguration(SearchOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        if (Platform.Topology.Of(builder).Database == Data.DatabaseProvider.Postgres)
        {
            builder.Services.AddHostedService<SearchStatistics>();
        }
        builder.Services.AddScoped<WorkSessionAdmin>();
        builder.Services.AddScoped<MessageLog>();
        builder.Services.AddScoped<MessageSearch>();
        builder.Services.AddScoped<SessionExport>();
        builder.Services.AddScoped<TranscriptImport>();
        builder.Services.AddScoped<WorkSessionStats>();
        builder.Services.AddScoped<MessageQuotaCounter>();
        // The message quotas, as billing's /usage reports them and the message log enforces them at every append.
        builder.Services.AddSingleton(new Billing.QuotaCounter(Billing.Quota.Messages, (db, _, ct) => MessageQuotaCounter.MessagesAsync(db, ct)));
        builder.Services.AddSingleton(new Billing.QuotaCounter(Billing.Quota.MessageBytes, (db, _, ct) => MessageQuotaCounter.BytesAsync(db, ct)));
        return builder;
    }

    /// <summary>The work-tracking API under <c>/api/v1/orgs/{org}</c>: teams, projects and plans, task lists and tasks, repositories and commits, statistics.</summary>
    public static void MapDevContext(this RouteGroupBuilder org)
    {
        org.MapTeams();
        org.MapProjects();
        org.MapPlans();
        org.MapTasks();
        org.MapRepositories();
        org.MapWorkSessions();
    }
}
