namespace Coditect.Server.FaultTests.Infrastructure;

/// <summary>A Redis server of the fault tests' own, without persistence, so a restart loses every key.</summary>
public sealed class PrivateRedis : IAsyncDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("coditect-faults-redis-").FullName;
    private bool _disposed;

    public int Port { get; } = Coditect.Testing.Ports.Free();

    public string ConnectionString => $"127.0.0.1:{Port},connectTimeout=2000,syncTimeout=2000";

    public static async Task<PrivateRedis> StartAsync()
    {
        var redis = new PrivateRedis();
        try
        {
            await redis.StartServerAsync();
            return redis;
        }
        catch
        {
            await redis.DisposeAsync();
            throw;
        }
    }

    public async Task StartServerAsync()
    {
        await Commands.RunAsync("redis-server",
        [
            "--bind", "127.0.0.1", "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no",
            "--daemonize", "yes", "--pidfile", Path.Combine(_folder, "redis.pid"), "--logfile", Path.Combine(_folder, "redis.log"), "--dir", _folder,
        ]);
        for (var i = 0; i < 100; i++)
        {
            if (await PingAsync())
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Redis did not answer on port {Port}:\n{File.ReadAllText(Path.Combine(_folder, "redis.log"))}");
    }

    /// <summary>Shuts Redis down without saving and waits until it no longer answers.</summary>
    public async Task StopServerAsync()
    {
        await CliAsync(check: false, "shutdown", "nosave");
        for (var i = 0; i < 100 && await PingAsync(); i++)
        {
            await Task.Delay(100);
        }
    }

    public async Task<bool> PingAsync() => (await CliAsync(check: false, "ping")).Trim() == "PONG";

    public Task<string> CliAsync(params string[] arguments) => CliAsync(check: true, arguments);

    public Task<string> CliAsync(bool check, params string[] arguments) =>
        Commands.RunAsync("redis-cli", ["-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. arguments], check: check, timeout: TimeSpan.FromSeconds(20));

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await CliAsync(check: false, "shutdown", "nosave");
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // the log may still be open for a moment
        }
    }
}
