using Coditect.Server.Platform;

namespace Coditect.Server.Notifications.Webhooks;

/// <summary>"Deliveries are due": wakes every node's <see cref="WebhookSender"/> after the queuing transaction commits.</summary>
public sealed class WebhookSignal(ClusterSignal cluster) : CommitSignal(cluster)
{
    public override string Channel => "coditect_webhooks";
}
