using System.ComponentModel.DataAnnotations;

namespace Coditect.Server.Platform.Outbox;

/// <summary><c>Outbox:*</c> settings.</summary>
public sealed class OutboxOptions
{
    public const string Section = "Outbox";

    /// <summary>How often every node looks for events it was not signalled about (the backstop of the signal).</summary>
    [Range(100, 60_000)]
    public int PollMilliseconds { get; set; } = 1000;

    /// <summary>Events are deleted this many days after the cluster dispatcher handled them.</summary>
    [Range(1, 3650)]
    public int RetentionDays { get; set; } = 7;

    /// <summary>Run this node's cluster dispatcher (every node does by default; any one of them is enough).</summary>
    public bool Dispatch { get; set; } = true;

    /// <summary>Fault testing only: wait this long after a commit before delivering its events on this node.</summary>
    [Range(0, 600_000)]
    public int PauseAfterCommitMilliseconds { get; set; }

    public TimeSpan Poll => TimeSpan.FromMilliseconds(PollMilliseconds);
}
