using System.Net;
using System.Text;
using Coditect.Contracts.Common;
using Coditect.Server.Data;
using Coditect.Server.Tests.Infrastructure;

namespace Coditect.Server.Tests.Platform;

/// <summary>
/// Behaviour only the real server shows: the in-memory test server neither enforces Kestrel's body limit on a
/// streamed body nor writes a Server header, so these run on Kestrel on a free local port.
/// </summary>
public abstract class KestrelTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private readonly Client _anonymous = app.Anonymous();

    [Fact]
    public async Task A_streamed_body_over_the_limit_answers_413_PAYLOAD_TOO_LARGE()
    {
        var caller = await _anonymous.RegisterAsync();
        var json = Encoding.UTF8.GetBytes("{\"name\":\"" + new string('x', 2 * 1024 * 1024) + "\"}");
        using var content = new StreamContent(new MemoryStream(json)); // no Content-Length: sent chunked
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/orgs") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        var response = await caller.Client.Http.SendAsync(request);

        await response.ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge, ProblemCodes.PayloadTooLarge);
    }

    [Fact]
    public async Task A_declared_body_over_the_limit_answers_413_PAYLOAD_TOO_LARGE()
    {
        using var content = new StringContent("{\"email\":\"" + new string('x', 2 * 1024 * 1024) + "\"}", Encoding.UTF8, "application/json");
        // The server answers as soon as it reads the declared length and closes the connection; with 100-continue the
        // client waits for that answer instead of writing 2 MiB into a closing socket (a broken pipe under load).
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/login") { Content = content };
        request.Headers.ExpectContinue = true;

        var response = await _anonymous.Http.SendAsync(request);

        await response.ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge, ProblemCodes.PayloadTooLarge);
    }

    /// <summary>
    /// Kestrel refuses a request line whose path decodes to a NUL before any middleware runs, so this 400 has no
    /// problem+json body and no request id; nothing of the application is reached. (The in-memory test server cannot
    /// even send it.) A NUL in a query value does reach the application and is a 400 VALIDATION_FAILED.
    /// </summary>
    [Fact]
    public async Task A_NUL_in_the_path_is_refused_with_400_by_Kestrel_itself()
    {
        var caller = await _anonymous.RegisterAsync();

        var inPath = await caller.Client.GetAsync("/api/v1/orgs/acme%00corp");
        var inQuery = await caller.Client.GetAsync($"{caller.OrgPath}/licenses?search=acme%00corp");

        inPath.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var problem = await inQuery.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        problem.GetProperty("errors").TryGetProperty("search", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task The_real_server_sends_security_headers_and_no_server_header()
    {
        var response = await _anonymous.GetAsync("/health");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Headers.Contains("Server").ShouldBeFalse();
        response.Headers.GetValues("X-Content-Type-Options").Single().ShouldBe("nosniff");
        response.Headers.GetValues("X-Frame-Options").Single().ShouldBe("DENY");
        _anonymous.Http.BaseAddress!.IsLoopback.ShouldBeTrue();
    }
}

public sealed class KestrelSqliteApp : CoditectApp
{
    public KestrelSqliteApp() => UseKestrel(0);

    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;
}

public sealed class KestrelPostgresApp : CoditectApp
{
    public KestrelPostgresApp() => UseKestrel(0);

    public override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

public sealed class KestrelTestsOnSqlite(KestrelSqliteApp app) : KestrelTests<KestrelSqliteApp>(app);

public sealed class KestrelTestsOnPostgres(KestrelPostgresApp app) : KestrelTests<KestrelPostgresApp>(app);
