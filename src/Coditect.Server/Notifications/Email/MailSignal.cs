using Coditect.Server.Platform;

namespace Coditect.Server.Notifications.Email;

/// <summary>"Mail is due": wakes every node's <see cref="MailSender"/> after the queuing transaction commits.</summary>
public sealed class MailSignal(ClusterSignal cluster) : CommitSignal(cluster)
{
    public override string Channel => "coditect_mail";
}
