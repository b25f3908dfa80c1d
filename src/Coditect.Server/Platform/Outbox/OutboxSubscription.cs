namespace Coditect.Server.Platform.Outbox;

/// <summary>Who must see an event.</summary>
public enum Delivery
{
    /// <summary>
    /// Every node, each from its own position (caches, live views): the node that committed delivers before its
    /// answer leaves, the others within a second of the signal or the poll. Handlers must be idempotent and quick.
    /// </summary>
    EveryNode,

    /// <summary>
    /// Once in the cluster, in commit order per organization, at least once (webhooks, e-mail, billing calls): the
    /// dispatcher of whichever node claims the organization runs the handler inside its transaction.
    /// </summary>
    OncePerCluster,
}

/// <summary>
/// An in-process subscriber, registered by the feature that owns it (<c>services.AddOutboxSubscription(...)</c>).
/// The handler gets a scope of its own: on <see cref="Delivery.OncePerCluster"/> its database work commits with the
/// dispatcher's progress, under the event's organization. Such a handler may also leave its changes in the scope's
/// context unsaved: the dispatcher saves them once for its whole batch, before it moves its progress (a hundred events'
/// rows in a few round trips instead of a save, with its savepoint, per event).
/// </summary>
public sealed record OutboxSubscription(
    string Name,
    Delivery Delivery,
    Func<string, bool> Handles,
    Func<OutboxMessage, IServiceProvider, CancellationToken, Task> HandleAsync);

public static class OutboxSubscriptions
{
    public static IServiceCollection AddOutboxSubscription(
        this IServiceCollection services, string name, Delivery delivery, Func<string, bool> handles,
        Func<OutboxMessage, IServiceProvider, CancellationToken, Task> handle) =>
        services.AddSingleton(new OutboxSubscription(name, delivery, handles, handle));
}
