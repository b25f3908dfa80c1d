using Coditect.Server.DevContext.Plans;
using Coditect.Server.DevContext.Projects;
using Coditect.Server.DevContext.Repositories;
using Coditect.Server.DevContext.Tasks;
using Coditect.Server.DevContext.Teams;
using Coditect.Server.Identity;
using Coditect.Server.Organizations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Coditect.Server.DevContext;

// The EF model of Data/Migrations/*/0009_devcontext.sql; SchemaTests keep the two in step.

internal sealed class TeamConfiguration : IEntityTypeConfiguration<Team>
{
    public void Configure(EntityTypeBuilder<Team> team)
    {
        team.Property(t => t.Name).HasMaxLength(200);
        team.Property(t => t.Slug).HasMaxLength(63);
        team.HasIndex(t => new { t.TenantId, t.Slug }).IsUnique();
        team.HasOne<Organization>().WithMany().HasForeignKey(t => t.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class TeamMemberConfiguration : IEntityTypeConfiguration<TeamMember>
{
    public void Configure(EntityTypeBuilder<TeamMember> member)
    {
        member.Property(m => m.Role).HasMaxLength(16);
        member.HasIndex(m => new { m.TeamId, m.UserId }).IsUnique();
        member.HasIndex(m => m.UserId);
        member.HasOne<Team>().WithMany().HasForeignKey(m => m.TeamId).OnDelete(DeleteBehavior.Cascade);
        member.HasOne<User>().WithMany().HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ProjectConfiguration : IEntityTypeConfiguration<Project>
{
    public void Configure(EntityTypeBuilder<Project> project)
    {
        project.Property(p => p.Name).HasMaxLength(200);
        project.Property(p => p.Slug).HasMaxLength(63);
        project.Property(p => p.Key).HasMaxLength(10);
        project.Property(p => p.Status).HasMaxLength(16);
        project.HasIndex(p => new { p.TenantId, p.Slug }).IsUnique();
        project.HasIndex(p => p.TeamId);
        project.HasOne<Organization>().WithMany().HasForeignKey(p => p.TenantId).OnDelete(DeleteBehavior.Cascade);
        project.HasOne<Team>().WithMany().HasForeignKey(p => p.TeamId).OnDelete(DeleteBehavior.SetNull);
    }
}

internal sealed class ProjectKeyConfiguration : IEntityTypeConfiguration<ProjectKey>
{
    public void Configure(EntityTypeBuilder<ProjectKey> key)
    {
        key.HasKey(k => new { k.TenantId, k.Key });
        key.Property(k => k.Key).HasMaxLength(10);
        key.HasIndex(k => k.ProjectId);
        key.HasOne<Project>().WithMany().HasForeignKey(k => k.ProjectId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class PlanVersionConfiguration : IEntityTypeConfiguration<PlanVersion>
{
    public void Configure(EntityTypeBuilder<PlanVersion> version)
    {
        version.Property(v => v.Summary).HasMaxLength(500);
        version.HasIndex(v => new { v.ProjectId, v.Version }).IsUnique();
        version.HasOne<Project>().WithMany().HasForeignKey(v => v.ProjectId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class TaskListConfiguration : IEntityTypeConfiguration<TaskList>
{
    public void Configure(EntityTypeBuilder<TaskList> list)
    {
        list.Property(l => l.Title).HasMaxLength(200);
        list.HasIndex(l => new { l.ProjectId, l.Position });
        list.HasOne<Project>().WithMany().HasForeignKey(l => l.ProjectId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ProjectTaskConfiguration : IEntityTypeConfiguration<ProjectTask>
{
    public void Configure(EntityTypeBuilder<ProjectTask> task)
    {
        task.ToTable("tasks");
        task.Property(t => t.Title).HasMaxLength(500);
        task.Property(t => t.Status).HasMaxLength(16);
        task.HasIndex(t => new { t.ProjectId, t.Number }).IsUnique();
        task.HasIndex(t => new { t.TaskListId, t.Position });
        task.HasIndex(t => t.ParentId);
        task.HasIndex(t => t.AssigneeId);
        task.HasIndex(t => new { t.ProjectId, t.Status, t.Number });
        task.HasIndex(t => new { t.ProjectId, t.UpdatedAt });
        task.HasIndex(t => new { t.ProjectId, t.DueDate });
        task.HasOne<Project>().WithMany().HasForeignKey(t => t.ProjectId).OnDelete(DeleteBehavior.Cascade);
        task.HasOne<TaskList>().WithMany().HasForeignKey(t => t.TaskListId).OnDelete(DeleteBehavior.Cascade);
        task.HasOne<ProjectTask>().WithMany().HasForeignKey(t => t.ParentId).OnDelete(DeleteBehavior.Cascade);
        task.HasOne<User>().WithMany().HasForeignKey(t => t.AssigneeId).OnDelete(DeleteBehavior.SetNull);
    }
}

internal sealed class TaskDependencyConfiguration : IEntityTypeConfiguration<TaskDependency>
{
    public void Configure(EntityTypeBuilder<TaskDependency> dependency)
    {
        dependency.HasIndex(d => new { d.TaskId, d.DependsOnId }).IsUnique();
        dependency.HasIndex(d => d.DependsOnId);
        dependency.HasOne<ProjectTask>().WithMany().HasForeignKey(d => d.TaskId).OnDelete(DeleteBehavior.Cascade);
        dependency.HasOne<ProjectTask>().WithMany().HasForeignKey(d => d.DependsOnId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class RepositoryConfiguration : IEntityTypeConfiguration<Repository>
{
    public void Configure(EntityTypeBuilder<Repository> repository)
    {
        repository.ToTable("repositories");
        repository.Property(r => r.Name).HasMaxLength(200);
        repository.Property(r => r.Provider).HasMaxLength(16);
        repository.Property(r => r.CloneUrl).HasMaxLength(2000);
        repository.Property(r => r.DefaultBranch).HasMaxLength(255);
        repository.HasIndex(r => new { r.TenantId, r.Name }).IsUnique();
        repository.HasIndex(r => r.ProjectId);
        repository.HasOne<Organization>().WithMany().HasForeignKey(r => r.TenantId).OnDelete(DeleteBehavior.Cascade);
        repository.HasOne<Project>().WithMany().HasForeignKey(r => r.ProjectId).OnDelete(DeleteBehavior.SetNull);
    }
}

internal sealed class CommitConfiguration : IEntityTypeConfiguration<Commit>
{
    public void Configure(EntityTypeBuilder<Commit> commit)
    {
        commit.Property(c => c.Sha).HasMaxLength(64);
        commit.Property(c => c.AuthorName).HasMaxLength(256);
        commit.Property(c => c.AuthorEmail).HasMaxLength(320);
        commit.Property(c => c.CommitterName).HasMaxLength(256);
        commit.Property(c => c.CommitterEmail).HasMaxLength(320);
        commit.HasIndex(c => new { c.RepositoryId, c.Sha }).IsUnique();
        commit.HasIndex(c => new { c.RepositoryId, c.CommittedAt });
        commit.HasOne<Repository>().WithMany().HasForeignKey(c => c.RepositoryId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class CommitTaskConfiguration : IEntityTypeConfiguration<CommitTask>
{
    public void Configure(EntityTypeBuilder<CommitTask> link)
    {
        link.HasKey(l => new { l.CommitId, l.TaskId });
        link.HasIndex(l => l.TaskId);
        link.HasOne<Commit>().WithMany().HasForeignKey(l => l.CommitId).OnDelete(DeleteBehavior.Cascade);
        link.HasOne<ProjectTask>().WithMany().HasForeignKey(l => l.TaskId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class RepositoryBranchConfiguration : IEntityTypeConfiguration<RepositoryBranch>
{
    public void Configure(EntityTypeBuilder<RepositoryBranch> branch)
    {
        branch.HasKey(b => new { b.RepositoryId, b.Name });
        branch.Property(b => b.Name).HasMaxLength(255);
        branch.Property(b => b.HeadSha).HasMaxLength(64);
        branch.HasOne<Repository>().WithMany().HasForeignKey(b => b.RepositoryId).OnDelete(DeleteBehavior.Cascade);
    }
}

// 0015_devcontext_rollups.sql: the roll-ups commit sync keeps for the statistics.

internal sealed class CommitWeekConfiguration : IEntityTypeConfiguration<CommitWeek>
{
    public void Configure(EntityTypeBuilder<CommitWeek> week)
    {
        week.HasKey(w => new { w.RepositoryId, w.WeekStart });
        week.HasOne<Repository>().WithMany().HasForeignKey(w => w.RepositoryId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class CommitAuthorConfiguration : IEntityTypeConfiguration<CommitAuthor>
{
    public void Configure(EntityTypeBuilder<CommitAuthor> author)
    {
        author.HasKey(a => new { a.RepositoryId, a.Email });
        author.Property(a => a.Email).HasMaxLength(320);
        author.HasOne<Repository>().WithMany().HasForeignKey(a => a.RepositoryId).OnDelete(DeleteBehavior.Cascade);
    }
}
