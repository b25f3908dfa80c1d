using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Coditect.Contracts.Identity;
using Coditect.Contracts.Licensing;
using Coditect.Server.FaultTests.Infrastructure;
using Xunit.Abstractions;

namespace Coditect.Server.FaultTests.Platform;

/// <summary>
/// nginx, with deploy/nginx's configuration, in front of two nodes on PostgreSQL + Redis: sign-in, the lease protocol
/// and a licence page's live stream work through it; the sign-in limit counts each client by the address nginx
/// forwards (and not by one a client makes up); with one node killed, traffic goes on through the other.
/// Clients take their own loopback source addresses (127.0.0.5 to .9), so nginx and the nodes see them apart.
/// </summary>
[Collection(FaultsCollection.Name)]
public sealed partial class LoadBalancerTests(Backends backends, ITestOutputHelper output)
{
    private const int SignInLimit = 3;

    private static readonly Dictionary<string, string> Settings = new()
    {
        ["Api__TrustForwardedHeaders"] = "true",
        // nginx reaches the nodes from 127.0.0.1: its forwarded headers count; any other peer's do not.
        ["Api__TrustedProxies"] = "127.0.0.1",
        ["RateLimits__SignInPerMinute"] = SignInLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    [Fact]
    public async Task Sign_in_leases_and_live_updates_pass_through_nginx_which_forwards_the_client_and_outlives_a_node()
    {
        await using var cluster = await Cluster.StartAsync(backends, Ledger.Redis, nodes: 2, nodeSettings: _ => Settings);
        await using var nginx = await Nginx.StartAsync(cluster.Nodes);
        using var client = ClientFrom("127.0.0.5", nginx.Uri);

        // Sign-in through the balancer, then the vendor's calls and the lease protocol, spread over both nodes.
        var login = await client.SendJsonAsync(HttpMethod.Post, "api/v1/auth/login", new LoginRequest(cluster.VendorEmail, Api.VendorPassword));
        login.Status.ShouldBe(HttpStatusCode.OK, login.ToString());
        var token = login.Read<TokenResponse>().AccessToken;
        var license = await cluster.CreateLicenseAsync(seats: 2);
        var acquired = await client.AcquireAsync(license.LicenseKey!, "hw-balanced");
        acquired.Status.ShouldBe(HttpStatusCode.Created, acquired.ToString());
        var lease = acquired.Read<AcquireResponse>();
        for (var i = 0; i < 4; i++)
        {
            (await client.HeartbeatAsync(license.LicenseKey!, lease.SessionId)).Status.ShouldBe(HttpStatusCode.OK);
        }

        var answered = nginx.Requests().Where(r => r.Path == "/api/v1/licenses/heartbeat").Select(r => r.Upstream).Distinct().ToList();
        answered.Count.ShouldBe(2, $"heartbeats went to both nodes: {string.Join(", ", answered)}");

        // The console's live view: the stream passes each event at once through nginx (no buffering).
        using var console = await SignInToConsoleAsync(nginx.Uri, "127.0.0.5", cluster.VendorEmail);
        using var stream = await console.Http.GetAsync($"orgs/{cluster.OrgSlug}/licenses/{license.Id}/events", HttpCompletionOption.ResponseHeadersRead);
        stream.StatusCode.ShouldBe(HttpStatusCode.OK);
        stream.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        (await ReadUntilAsync(reader, "id: 0", TimeSpan.FromSeconds(10))).ShouldBeTrue("the stream's first block arrives through nginx");
        var second = await client.AcquireAsync(license.LicenseKey!, "hw-watched");
        second.Status.ShouldBe(HttpStatusCode.Created, second.ToString());
        (await ReadUntilAsync(reader, "event: changed", TimeSpan.FromSeconds(10)))
            .ShouldBeTrue("an acquire on either node reaches the stream through nginx within seconds");

        // The sign-in limit counts clients by the address nginx forwards; the nodes share the count (Redis). A client of
        // its own (the others' sign-ins above counted for their addresses).
        using (var guesser = ClientFrom("127.0.0.9", nginx.Uri))
        {
            for (var i = 0; i < SignInLimit; i++)
            {
                (await WrongPasswordAsync(guesser, cluster.VendorEmail)).ShouldBe(HttpStatusCode.Unauthorized);
            }

            (await WrongPasswordAsync(guesser, cluster.VendorEmail)).ShouldBe(HttpStatusCode.TooManyRequests, "127.0.0.9 is over its limit, whichever node answers");
        }

        using (var other = ClientFrom("127.0.0.6", nginx.Uri))
        {
            (await WrongPasswordAsync(other, cluster.VendorEmail, spoofed: "127.0.0.9"))
                .ShouldBe(HttpStatusCode.Unauthorized, "another client is counted apart, even naming the limited address itself");
        }

        using (var direct = ClientFrom("127.0.0.7", cluster.Nodes[0].Uri))
        {
            (await WrongPasswordAsync(direct, cluster.VendorEmail, spoofed: "127.0.0.9"))
                .ShouldBe(HttpStatusCode.Unauthorized, "a peer that is not a trusted proxy cannot pick its address");
        }

        using (var proxy = ClientFrom("127.0.0.1", cluster.Nodes[0].Uri))
        {
            (await WrongPasswordAsync(proxy, cluster.VendorEmail, spoofed: "127.0.0.9"))
                .ShouldBe(HttpStatusCode.TooManyRequests, "the trusted proxy's forwarded address is the one counted");
        }

        // One node dies: every call goes on through the other (nginx moves refused connections on).
        cluster.Nodes[1].Kill();
        for (var i = 0; i < 10; i++)
        {
            var beat = await client.HeartbeatAsync(license.LicenseKey!, lease.SessionId);
            beat.Status.ShouldBe(HttpStatusCode.OK, $"heartbeat {i} after the kill: {beat}\n{nginx.ErrorLog()}");
            (await client.SendJsonAsync(HttpMethod.Get, $"api/v1/orgs/{cluster.OrgSlug}/licenses", bearer: token)).Status.ShouldBe(HttpStatusCode.OK);
        }

        (await client.ReleaseAsync(license.LicenseKey!, lease.SessionId)).IsSuccess.ShouldBeTrue();
        output.WriteLine(string.Join('\n', nginx.Requests().Select(r => $"{r.Status} {r.Upstream} {r.Path}")));
    }

    /// <summary>An HTTP client whose connections leave from <paramref name="source"/> (any 127.x address is this machine).</summary>
    private static HttpClient ClientFrom(string source, Uri baseAddress, System.Net.CookieContainer? cookies = null) =>
        new(new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            UseCookies = cookies is not null,
            CookieContainer = cookies ?? new System.Net.CookieContainer(),
            AllowAutoRedirect = false,
        })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };

    private static async Task<HttpStatusCode> WrongPasswordAsync(HttpClient client, string email, string? spoofed = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/auth/login")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new LoginRequest(email, "not the password"), options: Api.Json),
        };
        if (spoofed is not null)
        {
            request.Headers.Add("X-Forwarded-For", spoofed);
        }

        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    private sealed record ConsoleSession(HttpClient Http) : IDisposable
    {
        public void Dispose() => Http.Dispose();
    }

    [GeneratedRegex("name=\"__csrf\" type=\"hidden\" value=\"([^\"]+)\"|name=\"__csrf\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    /// <summary>Signs in through the console's form, as a browser without scripts does; the client keeps the cookie.</summary>
    private static async Task<ConsoleSession> SignInToConsoleAsync(Uri baseAddress, string source, string email)
    {
        var http = ClientFrom(source, baseAddress, new System.Net.CookieContainer());
        var form = await http.GetStringAsync("signin");
        var match = AntiforgeryField().Match(form);
        match.Success.ShouldBeTrue("the sign-in form has its antiforgery field");
        var csrf = WebUtility.HtmlDecode(match.Groups[1].Success ? match.Groups[1].Value : match.Groups[2].Value);
        using var signedIn = await http.PostAsync("signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = email,
            ["password"] = Api.VendorPassword,
            ["__csrf"] = csrf,
        }));
        signedIn.StatusCode.ShouldBe(HttpStatusCode.Redirect, await signedIn.Content.ReadAsStringAsync());
        return new ConsoleSession(http);
    }

    /// <summary>Reads lines until one equals <paramref name="line"/>; false when the time runs out first.</summary>
    private static async Task<bool> ReadUntilAsync(StreamReader reader, string line, TimeSpan within)
    {
        using var limit = new CancellationTokenSource(within);
        try
        {
            while (await reader.ReadLineAsync(limit.Token) is { } read)
            {
                if (read == line)
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // the time ran out
        }

        return false;
    }
}
