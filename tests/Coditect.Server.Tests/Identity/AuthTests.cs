using System.Net;
using System.Text;
using Coditect.Contracts.Common;
using Coditect.Contracts.Identity;
using Coditect.Server.Data;
using Coditect.Server.Identity;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Coditect.Server.Tests.Identity;

public abstract class AuthTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private readonly Client _anonymous = app.Anonymous();

    [Fact]
    public async Task Register_returns_tokens_user_and_owned_organization()
    {
        var caller = await _anonymous.RegisterAsync("Acme Widgets");

        caller.Tokens.TokenType.ShouldBe("Bearer");
        caller.Tokens.ExpiresIn.ShouldBe(3600);
        caller.Tokens.Organization!.Slug.ShouldStartWith("acme-widgets");
        var me = await caller.Client.GetJsonAsync<MeResponse>("/api/v1/me");
        me.Email.ShouldBe(caller.Email);
        me.Organizations.ShouldHaveSingleItem().Role.ShouldBe("owner");
    }

    [Fact]
    public async Task Register_with_a_taken_email_answers_409_EMAIL_TAKEN()
    {
        var first = await _anonymous.RegisterAsync();
        var again = await _anonymous.PostAsync("/api/v1/auth/register",
            new RegisterRequest(first.Email.ToUpperInvariant(), "another good password", "X", "Y"));
        await again.ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.EmailTaken);
    }

    [Theory]
    [InlineData("not-an-email", "correct horse battery", "email")]
    [InlineData("ok@example.com", "short", "password")]
    [InlineData("ok@example.com", "aaaaaaaaaaaaaaaa", "password")]
    public async Task Register_with_bad_input_names_the_field(string email, string password, string field)
    {
        var response = await _anonymous.PostAsync("/api/v1/auth/register", new RegisterRequest(email, password, "N", "O"));
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        problem.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue();
    }

    [Fact]
    public async Task Login_answers_the_same_401_for_a_wrong_password_and_an_unknown_email()
    {
        var caller = await _anonymous.RegisterAsync();
        var wrongPassword = await _anonymous.PostAsync("/api/v1/auth/login", new LoginRequest(caller.Email, "wrong password!"));
        var unknownEmail = await _anonymous.PostAsync("/api/v1/auth/login", new LoginRequest("nobody@example.com", caller.Password));

        var a = await wrongPassword.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, ProblemCodes.InvalidCredentials);
        var b = await unknownEmail.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, ProblemCodes.InvalidCredentials);
        a.GetProperty("title").GetString().ShouldBe(b.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Login_returns_tokens_with_the_users_organization()
    {
        var caller = await _anonymous.RegisterAsync();
        var response = await _anonymous.PostAsync("/api/v1/auth/login", new LoginRequest(caller.Email, caller.Password));
        var tokens = await response.ReadAsync<TokenResponse>(HttpStatusCode.OK);
        tokens.Organization!.Id.ShouldBe(caller.OrgId);
        (await _anonymous.WithBearer(tokens.AccessToken).GetAsync("/api/v1/me")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_PBKDF2_password_hash_is_replaced_by_Argon2id_at_the_next_sign_in()
    {
        var caller = await _anonymous.RegisterAsync();
        await SetPasswordHashAsync(caller.Email, PasswordHasherTests.Pbkdf2(caller.Password, iterations: 10_000));

        var wrong = await _anonymous.PostAsync("/api/v1/auth/login", new LoginRequest(caller.Email, "wrong password!"));
        await wrong.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, ProblemCodes.InvalidCredentials);
        (await PasswordHashAsync(caller.Email)).ShouldStartWith("pbkdf2-sha256$10000$", Case.Sensitive, "a wrong password changes nothing");

        (await _anonymous.PostAsync("/api/v1/auth/login", new LoginRequest(caller.Email, caller.Password))).StatusCode.ShouldBe(HttpStatusCode.OK);
        var rehashed = await PasswordHashAsync(caller.Email);
        rehashed.ShouldStartWith("$argon2id$v=19$m=1024,t=1,p=1$");

        var again = await _anonymous.PostAsync("/api/v1/auth/login", new LoginRequest(caller.Email, caller.Password));
        var tokens = await again.ReadAsync<TokenResponse>(HttpStatusCode.OK);
        (await _anonymous.WithBearer(tokens.AccessToken).GetAsync("/api/v1/me")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await PasswordHashAsync(caller.Email)).ShouldBe(rehashed, "a current hash is kept");
    }

    [Fact]
    public async Task Refresh_rotates_and_a_reused_token_revokes_the_whole_family()
    {
        var caller = await _anonymous.RegisterAsync();
        var first = caller.Tokens.RefreshToken;

        var rotated = await (await _anonymous.PostAsync("/api/v1/auth/refresh", new RefreshRequest(first))).ReadAsync<TokenResponse>(HttpStatusCode.OK);
        rotated.RefreshToken.ShouldNotBe(first);

        var reuse = await _anonymous.PostAsync("/api/v1/auth/refresh", new RefreshRequest(first));
        await reuse.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, ProblemCodes.RefreshTokenReused);

        // The newest token of the family stopped working too.
        var newest = await _anonymous.PostAsync("/api/v1/auth/refresh", new RefreshRequest(rotated.RefreshToken));
        await newest.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, ProblemCodes.InvalidRefreshToken);
    }

    [Fact]
    public async Task Parallel_uses_of_one_refresh_token_succeed_at_most_once()
    {
        var caller = await _anonymous.RegisterAsync();
        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            _anonymous.PostAsync("/api/v1/auth/refresh", new RefreshRequest(caller.Tokens.RefreshToken))));
        attempts.Count(r => r.StatusCode == HttpStatusCode.OK).ShouldBeLessThanOrEqualTo(1);
        attempts.ShouldAllBe(r => r.StatusCode == HttpStatusCode.OK || r.StatusCode == HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Logout_ends_the_refresh_token()
    {
        var caller = await _anonymous.RegisterAsync();
        (await _anonymous.PostAsync("/api/v1/auth/logout", new RefreshRequest(caller.Tokens.RefreshToken))).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var refresh = await _anonymous.PostAsync("/api/v1/auth/refresh", new RefreshRequest(caller.Tokens.RefreshToken));
        await refresh.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, ProblemCodes.InvalidRefreshToken);
        (await _anonymous.PostAsync("/api/v1/auth/logout", new RefreshRequest(caller.Tokens.RefreshToken))).StatusCode.ShouldBe(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task A_tampered_access_token_is_refused()
    {
        var caller = await _anonymous.RegisterAsync();
        var other = await _anonymous.RegisterAsync();
        var parts = caller.Tokens.AccessToken.Split('.');
        var otherPayload = other.Tokens.AccessToken.Split('.')[1];
        var tampered = $"{parts[0]}.{otherPayload}.{parts[2]}";

        var response = await _anonymous.WithBearer(tampered).GetAsync("/api/v1/me");
        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, ProblemCodes.Unauthorized);
    }

    [Fact]
    public async Task An_alg_none_token_is_refused()
    {
        var caller = await _anonymous.RegisterAsync();
        var payload = caller.Tokens.AccessToken.Split('.')[1];
        var header = Base64Url("{\"alg\":\"none\",\"typ\":\"JWT\"}");

        (await _anonymous.WithBearer($"{header}.{payload}.").GetAsync("/api/v1/me")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await _anonymous.WithBearer($"{header}.{payload}").GetAsync("/api/v1/me")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task An_expired_access_token_is_refused_after_the_30_second_skew()
    {
        var caller = await _anonymous.RegisterAsync();
        var token = caller.Tokens.AccessToken;
        var lifetime = TimeSpan.FromSeconds(caller.Tokens.ExpiresIn);

        app.Clock.Advance(lifetime + TimeSpan.FromSeconds(20));
        (await _anonymous.WithBearer(token).GetAsync("/api/v1/me")).StatusCode.ShouldBe(HttpStatusCode.OK);
        app.Clock.Advance(TimeSpan.FromSeconds(20));
        (await _anonymous.WithBearer(token).GetAsync("/api/v1/me")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Calls_without_a_token_answer_401_problem()
    {
        var response = await _anonymous.GetAsync("/api/v1/me");
        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, ProblemCodes.Unauthorized);
        response.Headers.WwwAuthenticate.ToString().ShouldBe("Bearer");
    }

    [Fact]
    public async Task Passwords_and_tokens_never_reach_the_logs()
    {
        var caller = await _anonymous.RegisterAsync();
        await _anonymous.PostAsync("/api/v1/auth/login", new LoginRequest(caller.Email, caller.Password));
        await _anonymous.PostAsync("/api/v1/auth/refresh", new RefreshRequest(caller.Tokens.RefreshToken));
        await caller.Client.GetAsync("/api/v1/me");

        var logs = string.Join('\n', app.LogSink.Lines);
        logs.ShouldNotContain(caller.Password);
        logs.ShouldNotContain(caller.Tokens.RefreshToken);
        logs.ShouldNotContain(caller.Tokens.AccessToken.Split('.')[2]);
    }

    private async Task SetPasswordHashAsync(string email, string hash)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        (await db.Set<User>().Where(u => u.NormalizedEmail == User.Normalize(email))
            .ExecuteUpdateAsync(u => u.SetProperty(x => x.PasswordHash, hash))).ShouldBe(1);
    }

    private async Task<string> PasswordHashAsync(string email)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        return await db.Set<User>().Where(u => u.NormalizedEmail == User.Normalize(email)).Select(u => u.PasswordHash).SingleAsync();
    }

    private static string Base64Url(string text) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

public sealed class AuthTestsOnSqlite(SqliteApp app) : AuthTests<SqliteApp>(app);

public sealed class AuthTestsOnPostgres(PostgresApp app) : AuthTests<PostgresApp>(app);
