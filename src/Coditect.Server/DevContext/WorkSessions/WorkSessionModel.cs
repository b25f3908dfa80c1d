using Coditect.Server.DevContext.Projects;
using Coditect.Server.DevContext.Repositories;
using Coditect.Server.Identity;
using Coditect.Server.Organizations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Coditect.Server.DevContext.WorkSessions;

// The EF model of Data/Migrations/*/0011_work_sessions.sql; SchemaTests keep the two in step.

internal sealed class WorkSessionConfiguration : IEntityTypeConfiguration<WorkSession>
{
    public void Configure(EntityTypeBuilder<WorkSession> session)
    {
        session.Property(s => s.Tool).HasMaxLength(16);
        session.Property(s => s.Branch).HasMaxLength(255);
        session.Property(s => s.Model).HasMaxLength(200);
        session.Property(s => s.WorkingDirectory).HasMaxLength(1000);
        session.Property(s => s.Title).HasMaxLength(500);
        session.Property(s => s.ExternalId).HasMaxLength(200);
        session.HasIndex(s => new { s.TenantId, s.Tool, s.ExternalId }).IsUnique();
        session.HasIndex(s => new { s.TenantId, s.StartedAt });
        session.HasIndex(s => s.ProjectId);
        session.HasIndex(s => s.UserId);
        session.HasIndex(s => s.RepositoryId);
        session.HasOne<Organization>().WithMany().HasForeignKey(s => s.TenantId).OnDelete(DeleteBehavior.Cascade);
        session.HasOne<User>().WithMany().HasForeignKey(s => s.UserId).OnDelete(DeleteBehavior.SetNull);
        session.HasOne<Project>().WithMany().HasForeignKey(s => s.ProjectId).OnDelete(DeleteBehavior.SetNull);
        session.HasOne<Repository>().WithMany().HasForeignKey(s => s.RepositoryId).OnDelete(DeleteBehavior.SetNull);
    }
}

internal sealed class ConversationConfiguration : IEntityTypeConfiguration<Conversation>
{
    public void Configure(EntityTypeBuilder<Conversation> conversation)
    {
        // SQLite triggers keep conversation_search in step with title_search (0018), so EF must not use RETURNING here.
        conversation.ToTable(t => t.HasTrigger("conversations_index_title"));
        conversation.Property(c => c.Title).HasMaxLength(500);
        conversation.Property(c => c.ExternalId).HasMaxLength(200);
        conversation.HasIndex(c => new { c.WorkSessionId, c.ExternalId }).IsUnique();
        conversation.HasIndex(c => c.ParentId);
        conversation.HasOne<WorkSession>().WithMany().HasForeignKey(c => c.WorkSessionId).OnDelete(DeleteBehavior.Cascade);
        conversation.HasOne<Conversation>().WithMany().HasForeignKey(c => c.ParentId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class MessageConfiguration : IEntityTypeConfiguration<Message>
{
    public void Configure(EntityTypeBuilder<Message> message)
    {
        message.Property(m => m.Role).HasMaxLength(16);
        message.Property(m => m.Model).HasMaxLength(200);
        message.Property(m => m.ExternalId).HasMaxLength(200);
        message.HasIndex(m => new { m.ConversationId, m.Position }).IsUnique();
        message.HasIndex(m => new { m.ConversationId, m.ExternalId }).IsUnique();
        message.HasIndex(m => new { m.WorkSessionId, m.CreatedAt });
        message.HasIndex(m => new { m.TenantId, m.CreatedAt });
        message.HasIndex(m => m.ContentId);
        message.HasIndex(m => m.ParentId);
        message.HasOne<WorkSession>().WithMany().HasForeignKey(m => m.WorkSessionId).OnDelete(DeleteBehavior.Cascade);
        message.HasOne<Conversation>().WithMany().HasForeignKey(m => m.ConversationId).OnDelete(DeleteBehavior.Cascade);
        message.HasOne<Message>().WithMany().HasForeignKey(m => m.ParentId).OnDelete(DeleteBehavior.SetNull);
        message.HasOne<MessageContent>().WithMany().HasForeignKey(m => m.ContentId).OnDelete(DeleteBehavior.NoAction);
    }
}

internal sealed class MessageContentConfiguration : IEntityTypeConfiguration<MessageContent>
{
    public void Configure(EntityTypeBuilder<MessageContent> content)
    {
        content.Property(c => c.Id).ValueGeneratedOnAdd();
        content.Property(c => c.Hash).HasMaxLength(64);
        content.HasIndex(c => new { c.TenantId, c.Hash }).IsUnique();
        content.HasOne<Organization>().WithMany().HasForeignKey(c => c.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}
