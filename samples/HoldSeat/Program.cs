// Holds a seat of a CODITECT licence while it runs; Ctrl-C gives the seat back.
// Usage: dotnet run --project samples/HoldSeat -- http://localhost:5000 YOUR-LICENSE-KEY
using Coditect.Client;

using var client = new LicenseClient(new Uri(args[0]), args[1]);
await using var lease = await client.AcquireAsync(HardwareId.Default());
Console.WriteLine($"Seat held ({lease.SeatsUsed} of {lease.SeatsTotal} in use). Ctrl-C to quit.");

using var quit = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; quit.Cancel(); };
lease.StateChanged += (_, e) => Console.WriteLine($"Lease {e.Current}");
lease.Lost += (_, e) => { Console.WriteLine($"Seat lost: {e.Reason}"); quit.Cancel(); };

try
{
    await Task.Delay(Timeout.Infinite, quit.Token);
}
catch (OperationCanceledException)
{
    Console.WriteLine("Releasing the seat.");
}
