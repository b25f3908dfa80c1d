using Coditect.Client.Tests.Infrastructure;
using Coditect.Contracts.Licensing;

namespace Coditect.Client.Tests.Leases;

/// <summary>AcquireWaitingAsync against the real server: waits in the licence's queue and claims the freed seat.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class SeatQueueTests(RealServer server)
{
    [Fact]
    public async Task A_waiting_machine_gets_the_seat_its_holder_gives_back()
    {
        var vendor = await server.NewVendorAsync();
        var license = await vendor.NewLicenseAsync(seats: 1);
        using var client = server.LicenseClient(license.LicenseKey!);
        var holder = await client.AcquireAsync("hw-holder");
        var seen = new List<QueueTicketResponse>();
        var waiting = client.AcquireWaitingAsync("hw-waiter", progress: new Progress<QueueTicketResponse>(t => { lock (seen) { seen.Add(t); } }));

        await Eventually.TrueAsync(() => { lock (seen) { return seen.Count > 0; } }, TimeSpan.FromSeconds(10), "the waiter joined the queue");
        waiting.IsCompleted.ShouldBeFalse();
        await Should.ThrowAsync<NoSeatsAvailableException>(() => client.AcquireAsync("hw-jumper")); // nobody jumps the queue
        await holder.DisposeAsync();

        await using var lease = await waiting.WaitAsync(TimeSpan.FromSeconds(20));
        lease.State.ShouldBe(LeaseState.Active);
        lease.HardwareId.ShouldBe("hw-waiter");
        lock (seen)
        {
            seen[0].State.ShouldBe(QueueStates.Waiting);
            seen[0].Position.ShouldBe(1);
        }

        (await client.ValidateAsync("hw-waiter")).Code.ShouldBe(ValidationCodes.Valid);
    }

    [Fact]
    public async Task Cancelling_the_wait_leaves_the_queue()
    {
        var vendor = await server.NewVendorAsync();
        var license = await vendor.NewLicenseAsync(seats: 1);
        using var client = server.LicenseClient(license.LicenseKey!);
        await using var holder = await client.AcquireAsync("hw-holder");
        using var cancel = new CancellationTokenSource();
        var joined = new TaskCompletionSource<QueueTicketResponse>();
        var waiting = client.AcquireWaitingAsync("hw-waiter", progress: new Progress<QueueTicketResponse>(t => joined.TrySetResult(t)), ct: cancel.Token);
        await joined.Task.WaitAsync(TimeSpan.FromSeconds(10));

        await cancel.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(() => waiting);
        // The ticket is gone: the queue no longer holds back a plain acquire once the seat is free.
        await holder.DisposeAsync();
        await using var other = await client.AcquireAsync("hw-other");
        other.State.ShouldBe(LeaseState.Active);
    }
}
