using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Coditect.Client;
using Coditect.Server.Signing;

namespace Coditect.Bench;

/// <summary>
/// What one lease token's signature costs (issue 17 §2): <c>Coditect.Bench signature-cost [--seconds S]</c>. For each
/// algorithm a key can have, the server's own signer (<see cref="TokenAlgorithm"/>, the code every acquire and heartbeat
/// answer runs) signs a lease token's signing input, as large as a real one, for S seconds on one thread and then on
/// every core; the SDK's own verifier (<see cref="LeaseToken.Verify(string, JsonWebKeySet, string, DateTimeOffset)"/>)
/// checks the token for S seconds on one thread. Prints one JSON object per algorithm, a line each.
/// </summary>
internal static class SignatureCost
{
    private static readonly string[] Entitlements = ["pro"];

    public static int Run(string[] args)
    {
        var seconds = 3.0;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--seconds" && i + 1 < args.Length && double.TryParse(args[++i], CultureInfo.InvariantCulture, out var s) && s > 0)
            {
                seconds = s;
            }
            else
            {
                Console.Error.WriteLine("usage: Coditect.Bench signature-cost [--seconds S]");
                return 2;
            }
        }

        foreach (var algorithm in TokenAlgorithm.All)
        {
            var pkcs8 = algorithm.NewPrivateKey();
            using var signer = algorithm.Import(pkcs8);
            var token = Token(algorithm.Name, out var input);
            var signed = token + "." + Base64Url(signer.Sign(input));
            var keys = JsonWebKeySet.Parse(JsonSerializer.Serialize(new { keys = new[] { signer.PublicJwk("bench") } }));
            var now = DateTimeOffset.UtcNow;
            LeaseToken.Verify(signed, keys, "bench-hardware", now); // the verifier accepts what the signer made, or this throws

            var one = Measure(seconds, 1, () => signer.Sign(input));
            var all = Measure(seconds, Environment.ProcessorCount, () => signer.Sign(input));
            var verify = Measure(seconds, 1, () => LeaseToken.Verify(signed, keys, "bench-hardware", now));
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                algorithm = algorithm.Name,
                sign_us = Math.Round(1e6 / one, 1),
                signs_per_second_one_core = Math.Round(one),
                signs_per_second_all_cores = Math.Round(all),
                cores = Environment.ProcessorCount,
                verify_us = Math.Round(1e6 / verify, 1),
                token_chars = signed.Length,
            }));
        }

        return 0;
    }

    /// <summary>Calls per second of <paramref name="work"/> on <paramref name="threads"/> threads, after a warm-up.</summary>
    private static double Measure(double seconds, int threads, Action work)
    {
        for (var i = 0; i < 200; i++)
        {
            work();
        }

        var deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var counts = new long[threads];
        var clock = Stopwatch.StartNew();
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            long n = 0;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                work();
                n++;
            }

            counts[t] = n;
        });
        return counts.Sum() / clock.Elapsed.TotalSeconds;
    }

    /// <summary>A lease token's header and payload as the server writes them (LeaseTokens.SignAsync): same claims, same sizes.</summary>
    private static string Token(string algorithm, out byte[] input)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = JsonSerializer.Serialize(new { alg = algorithm, kid = "bench", typ = "JWT" });
        var payload = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["iss"] = "coditect", ["sub"] = Guid.NewGuid(), ["iat"] = now, ["exp"] = now + 360, ["jti"] = Guid.NewGuid().ToString("N"),
            ["license_id"] = Guid.NewGuid(), ["org_id"] = Guid.NewGuid(), ["hardware_id"] = "bench-hardware",
            ["entitlements"] = Entitlements, ["seats_total"] = 10000,
        });
        var text = Base64Url(Encoding.UTF8.GetBytes(header)) + "." + Base64Url(Encoding.UTF8.GetBytes(payload));
        input = Encoding.ASCII.GetBytes(text);
        return text;
    }

    private static string Base64Url(byte[] bytes) => LeaseTokens.Base64Url(bytes);
}
